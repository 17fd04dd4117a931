"""
The intake's clocks before triage (hotline.models.IntakeClock; docs/lifecycles.md): the law
counts from the receipt of the information, so a report call or a collaborator's report starts
the 12-hour emergency clock (rule emergency_12h) and the pass-on clock (intake_pass_on, Art.
26(1) "chuyển ngay", a local default) when it arrives; triage ends them; a miss escalates to
the hotline's operators (for calls) and to the people the rule names in the commune that must
act. The rules are the deadline engine's (cases.DeadlineRule), read by their codes.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User
from cases import services as case_services
from cases.deadlines import due_at, recipients_for
from cases.models import Case, DeadlineRule, Notification
from hotline.models import Call, CollaboratorReport, IntakeClock

EMERGENCY_RULE = "emergency_12h"
PASS_ON_RULE = "intake_pass_on"
INTAKE_RULES = (EMERGENCY_RULE, PASS_ON_RULE)

OPEN = Q(met_at__isnull=True, waived_at__isnull=True)


def _item_field(item: Call | CollaboratorReport) -> str:
    return "call" if isinstance(item, Call) else "report"


def received_at(item: Call | CollaboratorReport) -> datetime.datetime:
    """When the information arrived: the call's start, the report's sending."""
    return item.started_at if isinstance(item, Call) else item.created_at


def commune_that_acts(item: Call | CollaboratorReport):
    """Art. 26(1): the commune where it happened; failing that, where the child lives."""
    if isinstance(item, CollaboratorReport):
        return item.commune
    return item.incident_commune or item.residence_commune


def clocks_of(item: Call | CollaboratorReport) -> QuerySet[IntakeClock]:
    return IntakeClock.objects.filter(**{_item_field(item): item})


def intake_clocks_start(item: Call | CollaboratorReport) -> None:
    """Start the item's clocks at its receipt (inside the logging service's transaction)."""
    at = received_at(item)
    for rule in DeadlineRule.objects.filter(code__in=INTAKE_RULES, is_active=True):
        IntakeClock.objects.create(
            **{_item_field(item): item},
            rule=rule,
            commune=commune_that_acts(item),
            starts_at=at,
            due_at=due_at(rule, at),
        )


def intake_clocks_end(item: Call | CollaboratorReport, *, case: Case | None) -> None:
    """
    Triage decided the item: it has been passed on (the pass-on clock is met), and its
    emergency clock continues as the case's own, which runs from the same receipt (a case
    linked to it takes the earlier receipt), or is no longer needed (closed without a case).
    """
    now = timezone.now()
    open_clocks = clocks_of(item).filter(OPEN)
    open_clocks.filter(rule__code=PASS_ON_RULE).update(met_at=now)
    note = f"case {case.number}" if case is not None else ""
    open_clocks.exclude(rule__code=PASS_ON_RULE).update(waived_at=now, note=note)
    if case is not None:
        case_services.case_contact_earlier(case=case, at=received_at(item))


def open_clocks_by_item(items: list[Call | CollaboratorReport]) -> dict[int, IntakeClock]:
    """The most urgent open clock of each item (one query), for the inboxes and home pages."""
    if not items:
        return {}
    field = _item_field(items[0])
    soonest: dict[int, IntakeClock] = {}
    clocks = IntakeClock.objects.filter(OPEN, **{f"{field}__in": items}).select_related("rule")
    for clock in clocks.order_by("due_at"):
        soonest.setdefault(getattr(clock, f"{field}_id"), clock)
    return soonest


def _hotline_operators() -> list[User]:
    memberships = Membership.objects.filter(
        role=Role.HOTLINE_OPERATOR,
        organisation__kind=Organisation.Kind.HOTLINE,
        is_active=True,
        organisation__is_active=True,
        user__is_active=True,
    ).select_related("user")
    return list({m.user_id: m.user for m in memberships}.values())


def _recipients(clock: IntakeClock) -> list[User]:
    people: dict[int, User] = {}
    if clock.call_id:
        people.update((u.pk, u) for u in _hotline_operators())
    if clock.commune is not None:
        probe = Case(commune=clock.commune, province=clock.commune.province)
        people.update((u.pk, u) for u in recipients_for(probe, list(clock.rule.escalate_to)))
    return list(people.values())


def intake_escalate(now: datetime.datetime | None = None) -> int:
    """
    Record each missed intake clock once and tell the people it escalates to (run by
    `manage.py escalate_deadlines` through cases.hooks.register_escalator). Each clock is
    claimed by a conditional UPDATE, so two runs at once escalate nothing twice.
    """
    now = now or timezone.now()
    candidates = IntakeClock.objects.filter(OPEN, escalated_at__isnull=True, due_at__lt=now)
    escalated = 0
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = IntakeClock.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            clock = IntakeClock.objects.select_related(
                "rule", "commune__parent", "call", "report"
            ).get(pk=pk)
            kind = (
                Notification.Kind.CALL_OVERDUE
                if clock.call_id
                else Notification.Kind.REPORT_OVERDUE
            )
            case_services.notify(_recipients(clock), kind=kind, about=clock.item.public_id)
            escalated += 1
    return escalated


def call_notice_link(notice: Notification) -> str:
    return reverse("hotline:call-detail", args=[notice.about])


def report_notice_link(notice: Notification) -> str:
    return reverse("hotline:report-detail", args=[notice.about])
