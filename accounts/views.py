from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts.models import Role
from accounts.selectors import memberships_active_for
from cases.selectors import case_list_for

HOME_CASES_SHOWN = 10


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each role what it works on; roles with nothing yet get an honest empty state."""
    memberships = list(memberships_active_for(user=request.user))
    roles = {m.role for m in memberships}
    cases = case_list_for(user=request.user)
    context = {
        "memberships": memberships,
        "roles": roles,
        "Role": Role,
        "cases": list(cases[:HOME_CASES_SHOWN]),
        "case_count": cases.count(),
        "works_cases": bool(roles & {Role.CP_OFFICER, Role.CHAIRMAN, Role.SUPERVISOR}),
    }
    return render(request, "accounts/home.html", context)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one not-found page: for what does not exist and for what the user may not see."""
    return render(request, "404.html", status=404)
