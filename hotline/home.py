"""
The intake blocks of the home page (cases.hooks.register_home_section, from
HotlineConfig.ready): the operator's inbox and ringing calls, the collaborator's reports, the
commune officer's intake inbox. Each reads through hotline.selectors and costs a fixed number
of queries whatever the data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import Role
from cases.hooks import HomeSection
from hotline import services
from hotline.selectors import (
    call_inbox_for,
    report_inbox_for,
    reports_visible_to,
)
from hotline.views import waiting_rows

WAITING_SHOWN = 5
REPORTS_SHOWN = 5


def hotline_section(request: HttpRequest, roles: set[str]) -> HomeSection | None:
    """The operator: the calls awaiting triage, a button to log a call, the ringing calls."""
    if Role.HOTLINE_OPERATOR not in roles or not services.hotline_organisations_of(request.user):
        return None
    context: dict[str, Any] = {
        "inbox_count": call_inbox_for(user=request.user).count(),
        "waiting": waiting_rows(WAITING_SHOWN),
    }
    return HomeSection(template="hotline/home_hotline.html", context=context, order=10)


def collaborator_section(request: HttpRequest, roles: set[str]) -> HomeSection | None:
    """The collaborator: a button to report a child, and what became of their last reports."""
    if Role.COLLABORATOR not in roles:
        return None
    reports = list(
        reports_visible_to(user=request.user)
        .filter(collaborator=request.user)
        .order_by("-created_at", "-id")[:REPORTS_SHOWN]
    )
    return HomeSection(
        template="hotline/home_collaborator.html", context={"reports": reports}, order=10
    )


def officer_section(request: HttpRequest, roles: set[str]) -> HomeSection | None:
    """The commune officer: how many reports wait in the intake inbox."""
    if Role.CP_OFFICER not in roles:
        return None
    context = {"inbox_count": report_inbox_for(user=request.user).count()}
    return HomeSection(template="hotline/home_officer.html", context=context, order=10)


PROVIDERS = (hotline_section, collaborator_section, officer_section)
