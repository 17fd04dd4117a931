"""
What a request tells the trail: from where, through which door (page or API), and for whom the
user acts. Kept in a context variable by audit.middleware, so that the services and selectors
that record entries need not be handed the request.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from accounts.selectors import memberships_of


def normal_ip(value: str | None) -> str | None:
    """The address as the database stores it (hashed the same way), or None if it is not one."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


@dataclass
class RequestContext:
    """
    One request's view of the trail. Refusals wait here until the response is known (a lookup
    refused inside a request that then succeeds, such as re-reading a case just transferred
    away, is no refusal); reads made inside a transaction wait too. audit.middleware appends
    them at the end: the refusal if the answer is 401/403/404, the waiting reads otherwise.
    """

    request: HttpRequest
    reads: list[dict[str, Any]] = field(default_factory=list)  # waiting: read in a transaction
    refusals: list[dict[str, Any]] = field(default_factory=list)
    read_seqs: list[int] = field(default_factory=list)  # reads already appended
    read_cases: list[str] = field(default_factory=list)
    # Rows shown by lists (audit.rows), by kind: (the user, {object id: (case, object id)}).
    shown: dict[str, tuple[Any, dict[str, tuple[Any, Any]]]] = field(default_factory=dict)

    @property
    def ip(self) -> str | None:
        return normal_ip(self.request.META.get("REMOTE_ADDR"))

    @property
    def via(self) -> str:
        return "api" if self.request.path.startswith("/api/") else "page"

    @property
    def view(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        return match.view_name if match else ""


_current: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def begin(request: HttpRequest) -> Any:
    return _current.set(RequestContext(request))


def end(token: Any) -> None:
    _current.reset(token)


def acting_for(user: Any, case: Any = None) -> tuple[str, str]:
    """
    Return the name and public id of the organisation the user acts for: on a case, the one
    whose area is the case's commune or province when the user holds such a membership;
    otherwise the user's only organisation. A user of several organisations with none of them
    the case's jurisdiction is recorded with all their names and no single id.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return "", ""
    memberships = memberships_of(user=user)
    organisations = {m.organisation_id: m.organisation for m in memberships}
    if case is not None:
        areas = {getattr(case, "commune_id", None), getattr(case, "province_id", None)} - {None}
        local = [o for o in organisations.values() if o.area_id in areas]
        if len(local) == 1:
            return local[0].name, str(local[0].public_id)
    if len(organisations) == 1:
        (only,) = organisations.values()
        return only.name, str(only.public_id)
    return "; ".join(sorted(o.name for o in organisations.values())), ""
