"""Per-request caches of what the user is (their memberships)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.selectors import memberships_request_scope


class MembershipsPerRequestMiddleware:
    """Read the user's memberships at most once per request (accounts.selectors.memberships_of)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with memberships_request_scope():
            return self.get_response(request)
