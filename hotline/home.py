"""
The intake blocks of the home page (cases.hooks.register_home_section, from
HotlineConfig.ready): the operator's inbox and ringing calls, the collaborator's reports, the
commune officer's intake inbox. Each reads through hotline.selectors and costs a fixed number
of queries whatever the data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role
from cases.deadlines import clock_of
from cases.hooks import HomeSection
from config.keyset import ListCount, first_rows_counted
from hotline import clocks, services
from hotline.selectors import (
    call_inbox_for,
    report_inbox_for,
    reports_visible_to,
)
from hotline.views import waiting_rows

WAITING_SHOWN = 5
UNTRIAGED_SHOWN = 5
REPORTS_SHOWN = 5


def hotline_section(request: HttpRequest, roles: set[str]) -> HomeSection | None:
    """The operator: the calls awaiting triage, a button to log a call, the ringing calls."""
    if Role.HOTLINE_OPERATOR not in roles or not services.hotline_organisations_of(request.user):
        return None
    rows, count = untriaged_rows(call_inbox_for(user=request.user))
    context: dict[str, Any] = {
        "inbox_count": count,
        "untriaged": rows,
        "waiting": waiting_rows(WAITING_SHOWN),
    }
    return HomeSection(template="hotline/home_hotline.html", context=context, order=10)


def untriaged_rows(inbox) -> tuple[list[dict[str, Any]], ListCount]:
    """
    The first items of an inbox (most urgent and oldest first), each with its most urgent
    clock and the time left on it (the law's clocks run from the receipt, hotline.clocks),
    and the inbox's size.
    """
    items, count = first_rows_counted(inbox, UNTRIAGED_SHOWN)
    soonest = clocks.open_clocks_by_item(items)
    now = timezone.now()
    rows = [
        {
            "item": item,
            "received": clocks.received_at(item),
            "clock": clock_of(soonest[item.pk], now) if item.pk in soonest else None,
        }
        for item in items
    ]
    return rows, count


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
    """The commune officer: the reports waiting in the intake inbox, each with its time left."""
    if Role.CP_OFFICER not in roles:
        return None
    rows, count = untriaged_rows(report_inbox_for(user=request.user))
    context = {"inbox_count": count, "untriaged": rows}
    return HomeSection(template="hotline/home_officer.html", context=context, order=10)


PROVIDERS = (hotline_section, collaborator_section, officer_section)
