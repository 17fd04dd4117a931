from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from cases.access import VIEW_PERMISSIONS, can, case_permissions
from cases.models import Case
from cases.selectors import case_list_for
from cases.serializers import CaseSerializer

# The case action each HTTP method needs once the case is visible at all.
METHOD_ACTIONS = {"PUT": "change_case", "PATCH": "change_case", "DELETE": "change_case"}


class CaseAccessPermission(permissions.BasePermission):
    """
    Ask the project's one decision function, for every method (DRF's DjangoObjectPermissions
    skips GET on objects and wants model-wide permissions: not used here).
    """

    def has_object_permission(self, request: Request, view: APIView, obj: Case) -> bool:
        if not case_permissions(request.user, obj) & VIEW_PERMISSIONS:
            return False
        action = METHOD_ACTIONS.get(request.method)
        return action is None or can(request.user, action, obj)


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Cases the signed-in user may see. A case outside their reach answers 404."""

    serializer_class = CaseSerializer
    permission_classes = [permissions.IsAuthenticated, CaseAccessPermission]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self) -> QuerySet[Case]:
        return case_list_for(user=self.request.user)
