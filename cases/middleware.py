"""Per-request caches of the door: the user's share grants and their unread notices."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cases.access import shares_request_scope
from cases.selectors import unread_request_scope


class SharesPerRequestMiddleware:
    """
    Read the user's grants at most once per request and permission set (a grant resets it),
    and walk their unread notices once (a new or read notice resets it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with shares_request_scope(), unread_request_scope():
            return self.get_response(request)
