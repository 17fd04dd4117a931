from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one not-found page: for what does not exist and for what the user may not see."""
    return render(request, "404.html", status=404)
