"""Keep the request's context for the trail; after the response, record its reads or refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit import context
from audit.models import AuditEntry
from audit.services import REFUSED_STATUSES, Event, audit_request_end

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
    Around each request: the context (address, page or API) for the entries it records; after
    the response, its reads of case content if it was answered, or its refusal if it was
    refused (401, 403, 404) — as the code that refused recorded it (the case door names the
    case), else one entry naming the view. A 404 for an address that matches no view is not
    an access to anything: no entry. The appends run before the answer leaves: no content is
    sent without its entry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.begin(request)
        try:
            response = self.get_response(request)
            state = context.current()
            match = getattr(request, "resolver_match", None)
            if response.status_code in REFUSED_STATUSES:
                if match is None:
                    return response
                if not state.refusals:
                    state.refusals.append(self.refusal(request, response, match))
            audit_request_end(state, response.status_code)
            return response
        finally:
            context.end(token)

    @staticmethod
    def refusal(request: HttpRequest, response: HttpResponse, match) -> dict:
        # Only identifiers from the address (public ids), never query strings or bodies.
        return Event(
            action=AuditEntry.Action.REFUSED,
            outcome=AuditEntry.Outcome.DENIED,
            actor=getattr(request, "user", None),
            object_type=match.url_name or "",
            object_id=next((identifier(v) for v in match.kwargs.values()), ""),
            case_id=case_named_by(match),
            detail={"status": response.status_code, "method": request.method},
        ).prepared()
