"""
Recording into the trail. Every append happens inside the transaction of what it records: a
write is never without its entry, and a write that rolls back leaves none.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import GENESIS, content_of, entry_hash
from audit.context import acting_for, current
from audit.models import AuditEntry

# Any constant: the advisory lock that makes the chain one chain on PostgreSQL.
CHAIN_LOCK = 7_111_111

F = TypeVar("F", bound=Callable[..., Any])


def _lock_chain() -> None:
    """Serialise appends: two transactions must not both extend the same last entry."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    # SQLite: settings open every transaction IMMEDIATE, which takes the one write lock first.


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        context = current()
        return context.ip if context else None
    return request.META.get("REMOTE_ADDR") or None


def _object_ref(obj: Any) -> str:
    """The reference kept for an object: its public id where it has one, never its content."""
    if obj is None:
        return ""
    return str(getattr(obj, "public_id", None) or getattr(obj, "pk", "") or "")


@dataclass
class Event:
    """One entry to append. `case` is any object with public_id, commune_id and province_id."""

    action: str
    outcome: str = AuditEntry.Outcome.OK
    actor: Any = None
    actor_username: str = ""
    organisation: str | None = None
    organisation_id: str = ""
    object_type: str = ""
    object_id: str = ""
    case: Any = None
    case_id: str = ""
    request: HttpRequest | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def entry(self, *, seq: int, prev_hash: str, at: Any) -> AuditEntry:
        authenticated = self.actor is not None and getattr(self.actor, "is_authenticated", False)
        organisation, organisation_id = self.organisation, self.organisation_id
        if organisation is None:
            organisation, organisation_id = acting_for(self.actor, self.case)
        context = current()
        detail = dict(self.detail)
        if context is not None:
            detail.setdefault("via", context.via)
            if context.view:
                detail.setdefault("view", context.view)
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor_id=self.actor.pk if authenticated else None,
            actor_username=(self.actor.get_username() if authenticated else self.actor_username)[
                :150
            ],
            organisation=organisation[:255],
            organisation_id=organisation_id[:36],
            action=self.action,
            object_type=self.object_type[:40],
            object_id=str(self.object_id)[:64],
            case_id=(_object_ref(self.case) if self.case is not None else str(self.case_id))[:64],
            outcome=self.outcome,
            ip=client_ip(self.request),
            # Only JSON-native values, so the hash recomputed from the stored row is the same.
            detail=json.loads(json.dumps(detail, default=str)),
            prev_hash=prev_hash,
        )
        entry.hash = entry_hash(entry.prev_hash, content_of(entry))
        return entry


@transaction.atomic
def audit_record_events(events: Iterable[Event]) -> list[AuditEntry]:
    """Append several entries under one lock, in one insert (a list page's rows)."""
    events = list(events)
    if not events:
        return []
    _lock_chain()
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        # Plain SQL on the hot path: every case page appends (issue #7 allows 1 ms for it).
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        last = cursor.fetchone()
    seq, prev_hash = last if last else (0, GENESIS)
    now = timezone.now()
    entries = []
    for event in events:
        seq += 1
        entry = event.entry(seq=seq, prev_hash=prev_hash, at=now)
        entries.append(entry)
        prev_hash = entry.hash
    _insert(entries)
    return entries


_FIELDS = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]


def _insert(entries: list[AuditEntry]) -> None:
    """INSERT the rows with the fields' own conversions, without the ORM's per-call compiling."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _FIELDS)
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    rows = [
        [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _FIELDS]
        for entry in entries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            rows,
        )


def audit_record(**fields: Any) -> AuditEntry:
    """Append one entry (the fields of `Event`)."""
    return audit_record_events([Event(**fields)])[0]


def _case_of(result: Any, kwargs: dict[str, Any]) -> Any:
    """The case a write touched: its `case` argument, or the case of what it wrote or took."""
    if kwargs.get("case") is not None:
        return kwargs["case"]
    for obj in (result, *kwargs.values()):
        if isinstance(obj, models.Model):
            if obj._meta.model_name == "case":
                return obj
            if getattr(obj, "case_id", None) is not None:
                return obj.case
    return None


def _actor_of(kwargs: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if kwargs.get(name) is not None:
            return kwargs[name]
    context = current()  # a service without an actor argument acts for the request's user
    return getattr(context.request, "user", None) if context is not None else None


def audited(
    operation: str,
    *,
    action: str = AuditEntry.Action.WRITE,
    actor: tuple[str, ...] = ("actor", "user"),
) -> Callable[[F], F]:
    """
    Make a service one transaction with its audit entry: who (the first of the `actor`
    arguments given, else the request's user), the case (`case`, or the case of what it writes
    or takes), the object it returns, and the operation's name. Field values are never copied
    into the trail.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with transaction.atomic():
                result = function(*args, **kwargs)
                obj = result if isinstance(result, models.Model) else None
                audit_record(
                    action=action,
                    actor=_actor_of(kwargs, actor),
                    case=_case_of(result, kwargs),
                    object_type=obj._meta.model_name if obj is not None else "",
                    object_id=_object_ref(obj),
                    detail={"operation": operation},
                )
            return result

        return wrapper  # type: ignore[return-value]

    return decorate
