"""
The audit API (/api/v1/audit/entries/): the auditor's search of the trail, the same filters and
rows as the page. Anyone but an auditor gets 404; answers are never cached; each search is
itself an entry of the trail.
"""

from __future__ import annotations

from typing import Any

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from audit.selectors import audit_entries_search, audit_rows
from audit.serializers import AuditEntrySerializer, AuditSearchSerializer
from audit.views import auditor_or_404, record_search
from config.api import SafeJSONRenderer, error_responses


@extend_schema(tags=["audit"])
class AuditEntryListView(GenericAPIView):
    """The audit trail, newest first, for auditors."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [SafeJSONRenderer]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    serializer_class = AuditEntrySerializer

    @extend_schema(
        operation_id="audit_entries_list",
        parameters=[AuditSearchSerializer],
        responses={200: AuditEntrySerializer(many=True), **error_responses(400, 401, 404)},
        description=(
            "Search the audit trail: who did what, acting for which organisation, to which "
            "object and case, when, from where, with what outcome. Newest first, 50 a page. "
            "Only for users with an active auditor membership; anyone else gets 404. No case "
            "content: a case appears as its id and number only, and of each entry's detail "
            "only `via`, `view`, `operation`, `step`, `status` and `method`. Each search is "
            "recorded in the trail."
        ),
    )
    def get(self, request: Request) -> Response:
        auditor_or_404(request.user)  # before the filters: an outsider learns nothing from a 400
        filters = AuditSearchSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        search = filters.search()
        page = self.paginate_queryset(audit_entries_search(search))
        response = self.get_paginated_response(
            AuditEntrySerializer(audit_rows(page), many=True).data
        )
        record_search(user=request.user, search=search)
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # Cache-Control: no-store
        return response
