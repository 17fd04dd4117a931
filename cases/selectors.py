"""Permission-filtered reads of cases. Every list and every lookup starts from the one door."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import AdministrativeUnit, User
from audit.models import AuditEntry
from audit.selectors import entries_naming_case
from audit.services import Event, audit_reads, audit_refusal, read_event
from cases.access import VIEW_CASE, cases_visible_to, jurisdiction_of, visible_condition
from cases.models import Case, CaseDeadline, Notification
from cases.workflow import OPEN_STATES
from config.keyset import ListCount, rows_before
from config.request_cache import RequestCache


def case_list_for(*, user: User) -> QuerySet[Case]:
    """Return the cases the user may see, ready to list."""
    return cases_visible_to(user).select_related("commune", "province", "child")


# What a row of a case list shows (the page's table, the API's CaseSerializer, the home page)
# and what the door, the trail and the row's view need: a row reads 20 columns, not 60.
ROW_FIELDS = (
    "public_id",
    "number",
    "status",
    "received_at",
    "created_at",
    "updated_at",
    "emergency_required",
    "commune_id",
    "province_id",
    "child__full_name",
    "commune__code",
    "commune__name",
    "commune__level",
    "province__code",
    "province__name",
    "province__level",
)


def case_rows_for(*, user: User) -> QuerySet[Case]:
    """
    The cases the user may see, as list rows: only the columns a row shows. The rows a page
    fetches from it are recorded as read (audit.rows).
    """
    return case_list_for(user=user).only(*ROW_FIELDS).shown_to(user, "case")


def cases_of_incident_for(*, user: User, case: Case) -> QuerySet[Case]:
    """The other cases of the same incident that the user may see (the case page lists them)."""
    if not case.incident_id:
        return Case.objects.none()
    return (
        case_list_for(user=user)
        .filter(incident_id=case.incident_id)
        .exclude(pk=case.pk)
        .shown_to(user, "case")
    )


def case_get_for(*, user: User, public_id: uuid.UUID | str) -> Case:
    """
    Return one case the user may see, or raise Http404 (same answer as a missing case).

    Either way the trail records it (docs/DESIGN.md §9): a read of the case's content, appended at
    once,
    or a refused access filed under the id that was asked for, appended if the request's answer
    is the refusal. A lookup that a later check refuses (a summary-only viewer asking for the
    notes) is named by that refusal (`voids`), and "who has read this case" leaves it out.
    """
    try:
        case = (
            case_list_for(user=user)
            .select_related("received_by", "incident_commune", "child__residence_commune")
            .get(public_id=public_id)
        )
    except (Case.DoesNotExist, ValueError, TypeError, ValidationError):
        audit_case_refused(user=user, public_id=public_id)
        raise Http404 from None
    audit_reads([read_event(user, case, "case", case.public_id)])
    return case


def audit_case_refused(*, user: User, public_id: uuid.UUID | str) -> None:
    """Record a refused case lookup, filed under the case id asked for."""
    try:
        asked = str(uuid.UUID(str(public_id)))
    except ValueError:
        asked = ""  # not an id at all: nothing is named, and the text asked is not kept
    audit_refusal(
        Event(
            action=AuditEntry.Action.REFUSED,
            outcome=AuditEntry.Outcome.DENIED,
            actor=user,
            object_type="case",
            object_id=asked,
            case_id=asked,
            detail={"status": 404},
        )
    )


def audit_document_download(*, user: User, case: Case, document: Any) -> None:
    """Record that a case document's file is being handed out."""
    event = read_event(user, case, "case_document", document.public_id, sha256=document.sha256)
    event.action = AuditEntry.Action.DOWNLOAD
    audit_reads([event])


def _communes_held_with(user: User, permission: str) -> list[int]:
    """The communes whose cases the user holds by jurisdiction with `permission`."""
    return sorted(pk for pk, perms in jurisdiction_of(user).communes.items() if permission in perms)


def _cases_held_with(user: User, permission: str) -> QuerySet[Case]:
    """Return the cases the user holds by jurisdiction with `permission` (not by shares)."""
    jurisdiction = jurisdiction_of(user)
    communes = _communes_held_with(user, permission)
    provinces = [pk for pk, perms in jurisdiction.provinces.items() if permission in perms]
    if not communes and not provinces:
        return Case.objects.none()
    return Case.objects.filter(Q(commune_id__in=communes) | Q(province_id__in=provinces))


def deadlines_due_for(*, user: User) -> QuerySet[CaseDeadline]:
    """
    Return the open clocks on the cases the user works, most urgent (earliest due) first: one
    range of the open clocks' (commune, due_at) index. A clock is open only while its case is:
    the three steps that finish a case waive its clocks (Event.CASE_FINISHED).
    """
    communes = _communes_held_with(user, "change_case")
    if not communes:
        return CaseDeadline.objects.none()
    return (
        CaseDeadline.objects.filter(
            commune_id__in=communes, met_at__isnull=True, waived_at__isnull=True
        )
        .select_related("rule", "case__child", "case__commune")
        .order_by("due_at", "id")
        .shown_to(user, "case", row=_clock_row)
    )


def _clock_row(deadline: CaseDeadline) -> tuple[Case, uuid.UUID]:
    """A clock shown in a list shows its case's number and child: a row of that case."""
    return deadline.case, deadline.case.public_id


def plans_awaiting_approval_for(*, user: User) -> QuerySet[Case]:
    """Return the cases waiting for the chairman: a plan submitted, or a review to decide."""
    cases = _cases_held_with(user, "approve_plan")
    return (
        cases.filter(status__in=[Case.Status.PLAN_SUBMITTED, Case.Status.UNDER_REVIEW])
        .select_related("child", "commune")
        .order_by("updated_at")
        .shown_to(user, "case")
    )


@dataclass(frozen=True)
class CommuneOverdue:
    commune: AdministrativeUnit
    open_cases: int
    overdue: int


def overdue_by_commune_for(*, user: User) -> list[CommuneOverdue]:
    """
    For a supervisor: each commune of their province with its open and overdue counts. Two
    grouped index reads: the province's open cases by commune ((province, status, commune)),
    and the open clocks past due by commune ((commune, due_at) of the open clocks).
    """
    jurisdiction = jurisdiction_of(user)
    provinces = [pk for pk, perms in jurisdiction.provinces.items() if VIEW_CASE in perms]
    if not provinces:
        return []
    now = timezone.now()
    open_cases = dict(
        Case.objects.filter(province_id__in=provinces, status__in=OPEN_STATES)
        .order_by()
        .values("commune_id")
        .annotate(n=Count("*"))
        .values_list("commune_id", "n")
    )
    overdue = dict(
        CaseDeadline.objects.filter(
            commune_id__in=sorted(open_cases),
            met_at__isnull=True,
            waived_at__isnull=True,
            due_at__lt=now,
        )
        .order_by()
        .values("commune_id")
        .annotate(n=Count("*"))
        .values_list("commune_id", "n")
    )
    communes = AdministrativeUnit.objects.in_bulk(list(open_cases))
    result = [
        CommuneOverdue(communes[pk], count, overdue.get(pk, 0)) for pk, count in open_cases.items()
    ]
    return sorted(result, key=lambda r: (-r.overdue, -r.open_cases, r.commune.name))


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """
    Return the user's notifications about cases they can still see, newest first, as one
    query (for marking them read). The door's condition is asked of each notice's own case
    (joined), never of every case the user holds. Lists and the badge use
    notifications_shown_for, whose plan does not depend on the planner's estimate of it.
    """
    condition = visible_condition(user, prefix="case__")
    about_a_visible_case = Q(case__isnull=True)
    if condition is not None:
        about_a_visible_case |= condition
    return (
        Notification.objects.filter(recipient=user)
        .filter(about_a_visible_case)
        .select_related("case", "deadline__rule")
    )


def _visible_notice_ids(*, user: User, limit: int, unread: bool, batch: int) -> list[int]:
    """
    The ids of the user's newest `limit` notices (`unread` only) about cases they can still
    see, newest first.

    A busy commune's officer holds thousands of notices, nearly all about cases of the
    commune; PostgreSQL cannot know that and, asked for the newest 20 that the door lets
    through, reads and sorts all of them (140 ms at national scale). So the notices' ids are
    read in their index order a batch at a time and the door is asked which of the batch's
    cases the user still sees: two index reads per batch, and nearly always one batch.
    """
    newest = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    if unread:
        newest = newest.filter(read_at__isnull=True)
    newest = newest.values_list("pk", "case_id", "created_at")
    shown: list[int] = []
    after: tuple[Any, int] | None = None
    while len(shown) < limit:
        page = newest if after is None else newest.filter(rows_before(("created_at", "id"), after))
        rows = list(page[:batch])
        case_ids = {case_id for _pk, case_id, _at in rows if case_id is not None}
        visible = (
            set(cases_visible_to(user).filter(pk__in=case_ids).values_list("pk", flat=True))
            if case_ids
            else set()
        )
        shown.extend(pk for pk, case_id, _at in rows if case_id is None or case_id in visible)
        if len(rows) < batch:
            break
        after = (rows[-1][2], rows[-1][0])
    return shown[:limit]


UNREAD_SHOWN_UP_TO = 99

# Within one request the user's unread notices are walked once (cases.middleware opens the
# scope): the header's badge and the home page's list of unread notices are prefixes of the
# same walk, so the home page no longer walks them twice.
_unread = RequestCache("unread_per_request")
unread_request_scope = _unread.scope
forget_unread = _unread.forget  # a notice was created or marked read: walk them again


def _unread_ids(user: User) -> list[int]:
    """The ids of the user's newest unread notices they may still see, up to the badge's 99+."""
    return _unread.get(
        user.pk,
        lambda: _visible_notice_ids(
            user=user, limit=UNREAD_SHOWN_UP_TO + 1, unread=True, batch=UNREAD_SHOWN_UP_TO + 1
        ),
    )


def notifications_shown_for(
    *, user: User, limit: int, unread: bool = False, batch: int = 100
) -> list[Notification]:
    """The user's newest `limit` notifications (`unread` only) about cases they still see."""
    if unread and limit <= UNREAD_SHOWN_UP_TO + 1:
        ids = _unread_ids(user)[:limit]
    else:
        ids = _visible_notice_ids(user=user, limit=limit, unread=unread, batch=batch)
    if not ids:
        return []
    found = Notification.objects.select_related("case", "deadline__rule").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def unread_count_for(*, user: User) -> ListCount:
    """The header's badge: the user's unread notices, counted up to 99 ("99+")."""
    unread = _unread_ids(user)
    return ListCount(
        value=min(len(unread), UNREAD_SHOWN_UP_TO), capped=len(unread) > UNREAD_SHOWN_UP_TO
    )


READ_ACTIONS = (AuditEntry.Action.READ, AuditEntry.Action.PRINT, AuditEntry.Action.DOWNLOAD)


@dataclass(frozen=True)
class Reader:
    """One person's reads of a case, from the trail."""

    username: str
    organisation: str
    count: int
    first: Any
    last: Any


def case_readers(*, case: Case) -> tuple[list[Reader], QuerySet[AuditEntry]]:
    """
    Who has read this case: one line per person and organisation (how often, first and last),
    and every read, print and download, newest first.
    """
    case_id = str(case.public_id)
    # A lookup the door let through and a later check refused is no read: its refusal names it.
    voided = {
        seq
        for detail in AuditEntry.objects.filter(
            case_id=case_id, action=AuditEntry.Action.REFUSED, detail__has_key="voids"
        ).values_list("detail", flat=True)
        for seq in detail["voids"]
    }
    entries = (
        AuditEntry.objects.filter(entries_naming_case(case_id))
        .filter(action__in=READ_ACTIONS, outcome=AuditEntry.Outcome.OK)
        .exclude(seq__in=voided)
    )
    readers = [
        Reader(r["actor_username"], r["organisation"], r["count"], r["first"], r["last"])
        for r in entries.values("actor_username", "organisation")
        .annotate(count=Count("id"), first=Min("at"), last=Max("at"))
        .order_by("-last")
    ]
    return readers, entries.order_by("-seq")


def may_see_readers(*, user: User, case: Case) -> bool:
    """Those who hold the case by jurisdiction (not by a share) see who has read it."""
    return VIEW_CASE in jurisdiction_of(user).permissions_for(case)
