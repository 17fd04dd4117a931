"""
Reads of the audit trail, for auditors only (docs/DESIGN.md §2, §9).

An auditor reads who did what, to which record, when and from where; never a case's content.
The only thing read from a case is its number, to name the case an entry is filed under and to
let the auditor search by the number printed on a paper file.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import roles_of
from audit.models import AuditEntry

# The keys of an entry's `detail` an auditor is shown: how and where it happened. Any other
# key (a hash, a decision number, the filters of a search...) stays in the trail, unshown.
DETAIL_SHOWN = ("via", "view", "operation", "step", "status", "method", "voids", "rows")


def entries_naming_case(case_id: str) -> Q:
    """
    The entries filed under the case, and the list reads that name it among their rows
    (audit.services.rows_event): the (case_id, action, at) index and, on PostgreSQL, the GIN
    index on detail->'rows' (migration 0005) serve the two halves.
    """
    if connection.vendor == "postgresql":
        # has_key repeats the partial index's predicate, so the planner may use it.
        return Q(case_id=case_id) | Q(detail__has_key="rows", detail__rows__contains=[case_id])
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    listed = RawSQL(  # noqa: S611 (the table name is ours; the case id is a parameter)
        f"SELECT e.id FROM {table} e, json_each(e.detail, '$.rows') r WHERE r.value = %s",  # noqa: S608
        [case_id],
    )
    return Q(case_id=case_id) | Q(pk__in=listed)


def is_auditor(*, user: User) -> bool:
    """Whether the user holds an active auditor membership in an active organisation."""
    return Role.AUDITOR in roles_of(user=user)


def _case_model() -> Any:
    # audit is a base app that imports none of the others (audit/apps.py); the case number is
    # the one thing it reads of a case, through the app registry, at call time.
    return apps.get_model("cases", "Case")


def case_id_for_number(number: str) -> str | None:
    """The public id (text) of the case with this number, or None if there is none."""
    public_id = (
        _case_model().objects.filter(number=number).values_list("public_id", flat=True).first()
    )
    return None if public_id is None else str(public_id)


def case_numbers_for(case_ids: Iterable[str]) -> dict[str, str]:
    """
    Map the case ids of some entries to their case numbers, in one query. An id that is not a
    case's public id (a refused request may name anything) is simply not in the answer.
    """
    wanted: dict[uuid.UUID, str] = {}
    for case_id in case_ids:
        if not case_id:
            continue
        try:
            wanted[uuid.UUID(case_id)] = case_id
        except ValueError:
            continue
    if not wanted:
        return {}
    found = _case_model().objects.filter(public_id__in=wanted).values_list("public_id", "number")
    return {wanted[public_id]: number for public_id, number in found}


@dataclass(frozen=True)
class CaseFilter:
    """The case asked for: as given (an id or a number) and the case id it names, if any."""

    asked: str
    case_id: str | None


@dataclass(frozen=True)
class AuditSearch:
    """What the auditor searches for; every part optional, all parts combined."""

    case: CaseFilter | None = None
    user: str = ""
    organisation_id: str = ""
    action: str = ""
    outcome: str = ""
    since: datetime.datetime | None = None  # inclusive, aware
    until: datetime.datetime | None = None  # inclusive, aware

    def as_strings(self) -> dict[str, str]:
        """
        The filters, for the trail's record of the search, as what they matched: the case's id
        and an account's username, else NO_MATCH. Never the text as typed: an auditor may type
        a child's name into the case box, and the trail keeps what it is given for ever.
        """
        values: dict[str, str] = {}
        if self.case is not None:
            values["case"] = self.case.case_id or NO_MATCH
        if self.user:
            known = (
                User.objects.filter(username__iexact=self.user)
                .values_list("username", flat=True)
                .first()
            )
            values["user"] = known or NO_MATCH
        for name in ("organisation_id", "action", "outcome"):
            if getattr(self, name):
                values[name.removesuffix("_id")] = str(getattr(self, name))
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None:
                values[name] = timezone.localtime(moment).isoformat()
        return values


NO_MATCH = "(no match)"


def audit_entries_search(search: AuditSearch) -> QuerySet[AuditEntry]:
    """The entries matching the search, newest first (the order they were appended)."""
    entries = AuditEntry.objects.all()
    if search.case is not None:
        if search.case.case_id is None:
            return AuditEntry.objects.none()  # a number no case has: nothing, not an error
        entries = entries.filter(entries_naming_case(search.case.case_id))
    if search.user:
        entries = entries.filter(actor_username__iexact=search.user)
    if search.organisation_id:
        entries = entries.filter(organisation_id=search.organisation_id)
    if search.action:
        entries = entries.filter(action=search.action)
    if search.outcome:
        entries = entries.filter(outcome=search.outcome)
    if search.since is not None:
        entries = entries.filter(at__gte=search.since)
    if search.until is not None:
        entries = entries.filter(at__lte=search.until)
    return entries.order_by("-seq")


@dataclass(frozen=True)
class AuditRow:
    """One entry as an auditor sees it: the entry, its case's number, the detail shown."""

    entry: AuditEntry
    case_number: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def shown_detail(entry: AuditEntry) -> dict[str, Any]:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    return {key: detail[key] for key in DETAIL_SHOWN if key in detail}


def audit_rows(entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """The rows of a page of entries, with their case numbers read in one query."""
    entries = list(entries)
    numbers = case_numbers_for(entry.case_id for entry in entries)
    return [
        AuditRow(entry=entry, case_number=numbers.get(entry.case_id), detail=shown_detail(entry))
        for entry in entries
    ]
