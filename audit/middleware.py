"""Keep the request's context for the trail, and record every refused access."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from audit import context
from audit.models import AuditEntry
from audit.services import audit_record

# 401 (no credentials on the API), 403 (not allowed) and 404 (not visible, DESIGN §4).
REFUSED_STATUSES = frozenset({401, 403, 404})
# The views whose address names a case (pages, API and prints): a refusal there is filed
# under that case, so "who tried to reach this case" finds it.
CASE_VIEW_PREFIXES = (
    "cases:",
    "api-case",
    "printing:case-file",
    "printing:form",
    "printing:register",
)


def identifier(value: object) -> str:
    """A public id from the address, as its canonical text; anything else is not kept (it could
    be anything a person typed, personal data included)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return ""


def case_named_by(match) -> str:
    if not match.view_name.startswith(CASE_VIEW_PREFIXES):
        return ""
    return identifier(match.kwargs.get("public_id") or match.kwargs.get("id") or "")


class AuditMiddleware:
    """
    Around each request: the context (address, page or API, the user's organisations) for the
    entries recorded while it runs; after it, one "refused" entry for a 401, 403 or 404 from a
    view, unless the code that refused already recorded it with more precision (the case door
    does). A 404 for an address that matches no view is not an access to anything: no entry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.begin(request)
        try:
            response = self.get_response(request)
            state = context.current()
            match = getattr(request, "resolver_match", None)
            if (
                response.status_code in REFUSED_STATUSES
                and match is not None
                and state is not None
                and not state.refusal_recorded
            ):
                self.record_refusal(request, response, match)
            return response
        finally:
            context.end(token)

    @staticmethod
    def record_refusal(request: HttpRequest, response: HttpResponse, match) -> None:
        user = getattr(request, "user", None)
        # Only identifiers from the address (public ids), never query strings or bodies.
        object_id = next((identifier(v) for v in match.kwargs.values()), "")
        with transaction.atomic():
            audit_record(
                action=AuditEntry.Action.REFUSED,
                outcome=AuditEntry.Outcome.DENIED,
                actor=user,
                object_type=match.url_name or "",
                object_id=object_id,
                case_id=case_named_by(match),
                detail={"status": response.status_code, "method": request.method},
            )
