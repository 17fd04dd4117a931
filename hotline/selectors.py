"""Permission-filtered reads of calls and reports, and the duplicate suggestions."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from audit.rows import own_row, record_shown, under_case
from audit.services import audit_reads, read_event
from cases.access import VIEW_CASE, cases_visible_to
from cases.models import Case
from cases.workflow import OPEN_STATES
from hotline.models import Call, CollaboratorReport, IntakeStatus, Urgency
from hotline.services import (
    collaborator_communes_of,
    hotline_organisations_of,
    officer_communes_of,
)

RECENT = datetime.timedelta(days=90)
URGENCY_ORDER = SqlCase(
    When(urgency=Urgency.EMERGENCY, then=Value(0)),
    When(urgency=Urgency.HIGH, then=Value(1)),
    When(urgency=Urgency.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


# What a call's page and rows show beside the call itself.
CALL_RELATED = ("incident_commune", "residence_commune", "case", "operator")


def calls_visible_to(*, user: User) -> QuerySet[Call]:
    """
    The national hotline's operators see its calls. Whoever reads a case's whole file also
    reads the call sheet behind it (issue #13): what the operator wrote, and the caller's
    identity only where the caller agreed to give it (call_log keeps nothing else).
    """
    calls = Call.objects.select_related(*CALL_RELATED)
    if not hotline_organisations_of(user):
        held = cases_visible_to(user, permission=VIEW_CASE)
        if held.query.is_empty():
            return Call.objects.none()
        calls = calls.filter(case__in=held.values("pk"))
    return calls.shown_to(user, "call", row=under_case)


def calls_behind_case(*, user: User, case: Case, permissions: set[str]) -> QuerySet[Call]:
    """
    The calls a case came from, for one who reads its whole file (`permissions`, the door's
    answer on this case, already says so: no second trip through it), oldest first.
    """
    if VIEW_CASE not in permissions:
        return Call.objects.none()
    return (
        Call.objects.filter(case=case)
        .select_related(*CALL_RELATED)
        .order_by("started_at", "id")
        .shown_to(user, "call", row=under_case)
    )


def call_get_for(*, user: User, public_id: uuid.UUID | str) -> Call:
    """One call the user may see (404 otherwise); the trail records the read of its intake."""
    try:
        call = calls_visible_to(user=user).unshown().get(public_id=public_id)
    except (Call.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    audit_intake_read(user=user, item=call)
    return call


def audit_intake_read(*, user: User, item: Call | CollaboratorReport) -> None:
    """
    Record the read of one call or report (a child, a place and a story are the intake of a
    case), filed under its case once it has one. Lists record their rows themselves (audit.rows).
    """
    audit_reads(
        [read_event(user, item.case if item.case_id else None, _kind(item), item.public_id)]
    )


def _kind(item: Call | CollaboratorReport) -> str:
    return "call" if isinstance(item, Call) else "report"


def call_inbox_for(*, user: User) -> QuerySet[Call]:
    """Report calls awaiting triage, most urgent and oldest first."""
    return (
        calls_visible_to(user=user)
        .filter(status=IntakeStatus.RECEIVED, call_type=Call.CallType.REPORT)
        .annotate(urgency_rank=URGENCY_ORDER)
        .order_by("urgency_rank", "started_at")
    )


def reports_visible_to(*, user: User) -> QuerySet[CollaboratorReport]:
    """A collaborator sees their own reports; a commune officer the reports of the commune."""
    if not user.is_authenticated or not user.is_active:
        return CollaboratorReport.objects.none()
    condition = Q(pk__in=[])
    if collaborator_communes_of(user):
        condition |= Q(collaborator=user)
    communes = officer_communes_of(user)
    if communes:
        condition |= Q(commune__in=communes)
    return (
        CollaboratorReport.objects.filter(condition)
        .select_related("commune", "collaborator", "case")
        .shown_to(user, "report", row=under_case)
    )


def report_get_for(*, user: User, public_id: uuid.UUID | str) -> CollaboratorReport:
    """One report the user may see (404 otherwise); the trail records the read."""
    try:
        report = reports_visible_to(user=user).unshown().get(public_id=public_id)
    except (CollaboratorReport.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    audit_intake_read(user=user, item=report)
    return report


def report_inbox_for(*, user: User) -> QuerySet[CollaboratorReport]:
    """Reports of the officer's communes awaiting triage, most urgent and oldest first."""
    communes = officer_communes_of(user)
    return (
        CollaboratorReport.objects.filter(commune__in=communes, status=IntakeStatus.RECEIVED)
        .select_related("commune", "collaborator", "case")
        .annotate(urgency_rank=URGENCY_ORDER)
        .order_by("urgency_rank", "created_at")
        .shown_to(user, "report", row=under_case)
    )


@dataclass
class Suggestion:
    """Something that may be the same child or the same caller, and why it was suggested."""

    kind: str  # "call", "report", "case"
    obj: Call | CollaboratorReport | Case
    reasons: set[str] = field(default_factory=set)

    @property
    def reason_list(self) -> list[str]:
        return sorted(self.reasons)


def intake_suggestions_for(
    *, user: User, item: Call | CollaboratorReport, limit: int = 10
) -> list[Suggestion]:
    """
    Recent calls, reports and open cases that share the caller's number, the child's name
    (without diacritics or case) or the commune with `item`.

    Cases are suggested only among those the user can already see (need to know, docs/DESIGN.md §4):
    the hotline sees the cases it received; an officer the commune's.
    """
    since = timezone.now() - RECENT
    found: dict[tuple[str, int], Suggestion] = {}

    def add(kind: str, objs: QuerySet, reason: str) -> None:
        for obj in objs[:limit]:
            if type(obj) is type(item) and obj.pk == item.pk:
                continue
            found.setdefault((kind, obj.pk), Suggestion(kind, obj)).reasons.add(reason)

    commune = getattr(item, "incident_commune", None) or getattr(item, "commune", None)
    is_hotline = bool(hotline_organisations_of(user))
    if is_hotline:
        calls = (
            Call.objects.filter(started_at__gte=since)
            .select_related("case")
            .order_by("-started_at")
        )
        if isinstance(item, Call) and item.caller_number_key:
            add("call", calls.filter(caller_number_key=item.caller_number_key), "number")
        if item.child_name_key:
            add("call", calls.filter(child_name_key=item.child_name_key), "name")
        cases = cases_visible_to(user).filter(status__in=OPEN_STATES)
    else:
        cases = cases_visible_to(user).filter(status__in=OPEN_STATES)
        reports = reports_visible_to(user=user).unshown().filter(created_at__gte=since)
        if item.child_name_key:
            add("report", reports.filter(child_name_key=item.child_name_key), "name")
    cases = cases.select_related("commune").order_by("-received_at")
    if item.child_name_key:
        add("case", cases.filter(child__name_key=item.child_name_key), "name")
    if isinstance(item, Call) and item.caller_number_key:
        same_caller = Call.objects.filter(caller_number_key=item.caller_number_key)
        add("case", cases.filter(pk__in=same_caller.values("case")), "number")
    if commune is not None:
        add("case", cases.filter(commune=commune, received_at__gte=since), "commune")
    ranked = sorted(found.values(), key=lambda s: (-len(s.reasons), s.kind))[:limit]
    # A suggestion is a row of a list: the trail records those shown (not every candidate).
    for kind, row in (("case", own_row), ("call", under_case), ("report", under_case)):
        record_shown(user, kind, [row(s.obj) for s in ranked if s.kind == kind])
    return ranked
