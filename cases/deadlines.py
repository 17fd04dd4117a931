"""
The deadline engine. Rules are data (cases.DeadlineRule, seeded by a migration); workflow
services report events here, and the engine starts, meets and waives each case's clocks.

Events carry a key that tells repeats apart (plan versions, separation decisions). An event meets
or waives the open clocks of its rules whose key equals the event's key or extends it
("v2" meets "v2" and "v2-1").
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation, Role
from audit.models import AuditEntry
from audit.services import audit_record
from cases.calendar import add_calendar_days, add_hours, add_working_days
from cases.models import Case, CaseDeadline, DeadlineRule, Notification

logger = logging.getLogger(__name__)


class Event:
    """The events that start, meet or waive clocks."""

    CASE_RECEIVED = "case_received"
    INITIAL_ASSESSED = "initial_assessed"
    NO_EMERGENCY = "initial_assessed_no_emergency"
    EMERGENCY_DECIDED = "emergency_decided"
    SEPARATION_STARTED = "separation_started"
    SEPARATION_ENDED = "separation_ended"
    NEEDS_MEETING_HELD = "needs_meeting_held"
    REPLAN_STARTED = "replan_started"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_RETURNED = "plan_returned"
    PLAN_APPROVED = "plan_approved"
    REVIEW_RECORDED = "review_recorded"
    CASE_FINISHED = "case_finished"
    # A Mẫu 03 recorded again while a separation runs (key: the separation), Circular 14/2020
    # Art. 14(3); a petition to the court about a separation (key: the separation).
    SEPARATION_REASSESSED = "separation_reassessed"
    COURT_PETITIONED = "court_petitioned"
    # A crime report (cases.crime): flagged, passed to the police, confirmed in writing.
    CRIME_FLAGGED = "crime_flagged"
    CRIME_REFERRAL_SENT = "crime_referral_sent"
    CRIME_WRITTEN_RECORDED = "crime_written_recorded"


def due_at(
    rule: DeadlineRule, start: datetime.datetime, due_on: datetime.date | None = None
) -> datetime.datetime:
    """Compute when a clock started at `start` under `rule` runs out."""
    unit = DeadlineRule.Unit
    if rule.unit == unit.HOURS:
        return add_hours(start, rule.duration)
    if rule.unit == unit.WORKING_DAYS:
        return add_working_days(start, rule.duration)
    if rule.unit == unit.CALENDAR_DAYS:
        return add_calendar_days(start, rule.duration)
    if rule.unit == unit.PLAN_DATE:
        if due_on is None:
            raise ValueError(f"Rule {rule.code} needs the date set in the plan.")
        return timezone.make_aware(
            datetime.datetime.combine(due_on, datetime.time.max), timezone.get_current_timezone()
        )
    raise ValueError(f"Unknown unit {rule.unit}")


def _key_matches(key: str) -> Q:
    return Q(key=key) | Q(key__startswith=f"{key}-")


def deadlines_on_event(
    *,
    case: Case,
    event: str,
    at: datetime.datetime,
    key: str = "",
    start_key: str | None = None,
    due_on: datetime.date | None = None,
) -> None:
    """
    Apply one workflow event to the case's clocks (call inside the service's transaction).
    `at` is when the law counts the event (a decision's own time or date); the clocks it meets
    also keep when it was entered (`met_entered_at`).
    """
    rules = list(DeadlineRule.objects.filter(is_active=True))
    open_clocks = CaseDeadline.objects.filter(
        case=case, met_at__isnull=True, waived_at__isnull=True
    )
    if event == Event.CASE_FINISHED:
        open_clocks.update(waived_at=at)
        return
    for rule in rules:
        if event in rule.waived_by:
            open_clocks.filter(_key_matches(key), rule=rule).update(waived_at=at)
        if event in rule.met_by:
            open_clocks.filter(_key_matches(key), rule=rule).update(
                met_at=at, met_entered_at=timezone.now()
            )
    for rule in rules:
        if event not in rule.started_by:
            continue
        CaseDeadline.objects.get_or_create(
            case=case,
            rule=rule,
            key=start_key if start_key is not None else key,
            defaults={
                "starts_at": at,
                "due_at": due_at(rule, at, due_on),
                "commune_id": case.commune_id,
            },
        )


def deadlines_from_earlier_contact(*, case: Case, at: datetime.datetime) -> int:
    """
    The first contact about the case came earlier than its receipt (a call linked to it): the
    clocks that run from the receipt run from that contact instead, due earlier. A clock
    already met keeps its meeting, now judged against the earlier due time.
    """
    moved = 0
    rules = [r for r in DeadlineRule.objects.all() if Event.CASE_RECEIVED in r.started_by]
    clocks = CaseDeadline.objects.filter(case=case, rule__in=rules, starts_at__gt=at)
    for clock in clocks.select_related("rule"):
        clock.starts_at, clock.due_at = at, due_at(clock.rule, at)
        clock.save(update_fields=["starts_at", "due_at"])
        moved += 1
    return moved


def deadline_move(
    *, case: Case, rule_code: str, key: str, due: datetime.datetime, note: str
) -> None:
    """Move an open clock's end (a separation extended on a competent authority's request)."""
    CaseDeadline.objects.filter(
        case=case, rule__code=rule_code, key=key, met_at__isnull=True, waived_at__isnull=True
    ).update(due_at=due, note=note[:255])


@dataclass(frozen=True)
class DeadlineView:
    """A clock as a person reads it: the rule, its citation, time left, met or not."""

    deadline: CaseDeadline
    state: str
    label: str
    seconds_left: int | None

    @property
    def rule(self) -> DeadlineRule:
        return self.deadline.rule


STATE_LABELS = {
    "met": _("Met in time"),
    "met_late": _("Met late"),
    "overdue": _("Overdue"),
    "open": _("Running"),
    "waived": _("No longer needed"),
}


def deadline_view(deadline: CaseDeadline, now: datetime.datetime | None = None) -> DeadlineView:
    now = now or timezone.now()
    if deadline.waived_at is not None:
        state, left = "waived", None
    elif deadline.met_at is not None:
        state = "met" if deadline.met_at <= deadline.due_at else "met_late"
        left = None
    else:
        left = int((deadline.due_at - now).total_seconds())
        state = "overdue" if left < 0 else "open"
    return DeadlineView(
        deadline=deadline, state=state, label=str(STATE_LABELS[state]), seconds_left=left
    )


def duration_text(seconds: int) -> str:
    """Say a length of time the way a deadline table needs it: '2 ngày 3 giờ', '40 phút'."""
    minutes = abs(seconds) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext_now("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return gettext_now("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return gettext_now("%(minutes)s min") % {"minutes": minutes}


@dataclass(frozen=True)
class Clock:
    """A deadline as a table row: the engine's view of it plus the words for time left."""

    view: DeadlineView
    remaining: str

    @property
    def deadline(self) -> CaseDeadline:
        return self.view.deadline


def clock_of(deadline: Any, now: datetime.datetime) -> Clock:
    """A clock (a case's, or an intake item's: anything with due_at, met_at, waived_at) to show."""
    view = deadline_view(deadline, now)
    if view.state == "open":
        remaining = gettext_now("%(time)s left") % {"time": duration_text(view.seconds_left)}
    elif view.state == "overdue":
        remaining = gettext_now("overdue by %(time)s") % {"time": duration_text(view.seconds_left)}
    else:
        remaining = ""
    return Clock(view=view, remaining=remaining)


def recipients_for(case: Case, roles: list[str]) -> list:
    """Return the active users holding the given roles over the case's commune or province."""
    query = Q()
    commune_roles = [r for r in roles if r in (Role.CP_OFFICER, Role.CHAIRMAN)]
    if commune_roles:
        query |= Q(
            role__in=commune_roles,
            organisation__kind=Organisation.Kind.COMMUNE_COMMITTEE,
            organisation__area_id=case.commune_id,
        )
    if Role.SUPERVISOR in roles:
        query |= Q(
            role=Role.SUPERVISOR,
            organisation__kind=Organisation.Kind.PROVINCIAL_HEALTH,
            organisation__area_id=case.province_id,
        )
    if not query:
        return []
    memberships = Membership.objects.filter(
        query, is_active=True, organisation__is_active=True, user__is_active=True
    ).select_related("user")
    return list({m.user_id: m.user for m in memberships}.values())


def _email_enabled() -> bool:
    return settings.EMAIL_NOTIFICATIONS


def deadlines_escalate(*, now: datetime.datetime | None = None) -> int:
    """
    Record each missed deadline once and notify the people its rule escalates to.

    Safe to run twice at the same time: each clock is claimed by a conditional UPDATE that only
    one run can win, so nothing is escalated twice.
    """
    now = now or timezone.now()
    candidates = CaseDeadline.objects.filter(
        met_at__isnull=True, waived_at__isnull=True, escalated_at__isnull=True, due_at__lt=now
    ).values_list("pk", flat=True)
    escalated = 0
    for pk in list(candidates):
        with transaction.atomic():
            claimed = CaseDeadline.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            deadline = CaseDeadline.objects.select_related("case", "rule").get(pk=pk)
            users = recipients_for(deadline.case, deadline.rule.escalate_to)
            for user in users:
                try:
                    with transaction.atomic():
                        Notification.objects.create(
                            recipient=user,
                            kind=Notification.Kind.DEADLINE_MISSED,
                            case=deadline.case,
                            deadline=deadline,
                        )
                except IntegrityError:
                    continue
            # Last in the transaction: the chain's lock after the rows this one locked.
            audit_record(
                action=AuditEntry.Action.WRITE,
                actor_username="system",
                organisation="",
                case=deadline.case,
                object_type="casedeadline",
                object_id=str(deadline.pk),
                detail={"operation": "deadline_escalated", "rule": deadline.rule.code},
            )
            if _email_enabled():
                addresses = [u.email for u in users if u.email]
                transaction.on_commit(lambda d=deadline, a=addresses: _send_escalation_email(d, a))
            escalated += 1
            # No personal data in logs: the case number and rule code only.
            logger.info("Escalated %s on case %s", deadline.rule.code, deadline.case.number)
    return escalated


def _send_escalation_email(deadline: CaseDeadline, addresses: list[str]) -> None:
    if not addresses:
        return
    # The message names the case number and the rule, never the child.
    send_mail(
        subject=f"[BVTE] Quá hạn / Overdue: {deadline.case.number}",
        message=(
            f"Hồ sơ {deadline.case.number}: {deadline.rule.name_vi} ({deadline.rule.citation}) "
            f"đã quá hạn.\nCase {deadline.case.number}: {deadline.rule.name_en} is overdue."
        ),
        from_email=None,
        recipient_list=addresses,
        fail_silently=True,
    )
