"""
Recording into the trail.

- Writes: `@audited` makes a service one transaction with its entry; `@audit_batch` does the
  same for a service that records its own entries (a workflow step). Inside one, every entry
  waits in a queue and the outermost appends them all at its end, so the chain's lock is the
  last lock the transaction takes (no deadlock with the rows it locked) and a write that rolls
  back leaves no entry.
- Reads and refusals (`audit_reads`, `audit_refusal`): in a request they wait for the response
  (audit.middleware); outside one they are appended at once.
- Everything else (`audit_record`): appended at once, or queued if a batch is open.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import GENESIS, content_of, content_prefix, entry_hash
from audit.context import acting_for, current, normal_ip
from audit.models import AuditEntry

# 401 (no credentials on the API), 403 (not allowed) and 404 (not visible, docs/DESIGN.md §4).
REFUSED_STATUSES = frozenset({401, 403, 404})

# Any constant: the advisory lock that makes the chain one chain on PostgreSQL.
CHAIN_LOCK = 7_111_111

F = TypeVar("F", bound=Callable[..., Any])

# The entries waiting for the end of the outermost audited transaction, if one is open.
_batch: ContextVar[list[dict[str, Any]] | None] = ContextVar("audit_batch", default=None)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        context = current()
        return context.ip if context else None
    return normal_ip(request.META.get("REMOTE_ADDR"))


def _object_ref(obj: Any) -> str:
    """The reference kept for an object: its public id where it has one, never its content."""
    if obj is None:
        return ""
    return str(getattr(obj, "public_id", None) or getattr(obj, "pk", "") or "")


def _plain(detail: dict[str, Any]) -> bool:
    """Whether a detail is already what JSON gives back (the reads' is: text and flags)."""
    return all(type(v) in (str, bool, int) for v in detail.values())


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

    def prepared(self) -> dict[str, Any]:
        """The entry's content, as of now (who, for whom, from where): all but its place."""
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
        return {
            "at": timezone.now(),
            "actor_id": self.actor.pk if authenticated else None,
            "actor_username": (self.actor.get_username() if authenticated else self.actor_username)[
                :150
            ],
            "organisation": organisation[:255],
            "organisation_id": organisation_id[:36],
            "action": self.action,
            "object_type": self.object_type[:40],
            "object_id": str(self.object_id)[:64],
            "case_id": (_object_ref(self.case) if self.case is not None else str(self.case_id))[
                :64
            ],
            "outcome": self.outcome,
            "ip": client_ip(self.request),
            # Only JSON-native values, so the hash recomputed from the stored row is the same.
            "detail": detail if _plain(detail) else json.loads(json.dumps(detail, default=str)),
        }


# ---------------------------------------------------------------------------------------------
# Appending


_COLUMNS = [f.column for f in AuditEntry._meta.concrete_fields if not f.primary_key]
_NAMES = [f.attname for f in AuditEntry._meta.concrete_fields if not f.primary_key]


def _head() -> tuple[int, str]:
    """The chain's last entry (SQLite: the transaction started IMMEDIATE holds the write lock)."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def _db_value(name: str, value: Any) -> Any:
    if name == "detail":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _chain(rows: list[dict[str, Any]], seq: int, prev_hash: str) -> None:
    for row in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, prev_hash
        row["hash"] = prev_hash = entry_hash(prev_hash, content_of(_Row(row)))


def _append(rows: list[dict[str, Any]], *, relaxed: bool = False) -> list[dict[str, Any]]:
    """
    Chain and insert prepared entries, in the caller's transaction or one of their own.
    `relaxed` (a request's reads, alone in their transaction): see audit_append.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _append_postgresql(rows, relaxed=relaxed and not _in_transaction())
    with transaction.atomic(savepoint=False):
        _chain(rows, *_head())
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
        one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(rows))}",  # noqa: S608
                [_db_value(name, row[name]) for row in rows for name in _NAMES],
            )
    return rows


_PLACE = ("seq", "prev_hash", "hash")


def _append_postgresql(rows: list[dict[str, Any]], *, relaxed: bool) -> list[dict[str, Any]]:
    """
    One round trip on the hot path of every case page (issue #7 allows it 1 ms): the database
    function audit_append (migration 0004) locks the chain, reads its head, and places, hashes
    and inserts the entries, whose content prefixes (audit.chain) Python computed. Alone (in
    autocommit) the call is its own transaction, so the lock is held only for it.
    """
    payload = []
    for row in rows:
        item = {name: row[name] for name in _NAMES if name not in _PLACE}
        item["at"] = row["at"].isoformat()
        item["prefix"] = content_prefix(content_of(_Row({**row, "seq": 0})))
        payload.append(item)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT out_seq, out_prev, out_hash FROM audit_append(%s::jsonb, %s)",
            [json.dumps(payload, ensure_ascii=False), relaxed],
        )
        for row, (seq, prev_hash, hash_) in zip(rows, cursor.fetchall(), strict=True):
            row.update(seq=seq, prev_hash=prev_hash, hash=hash_)
    return rows


class _Row:
    """Attribute access to a prepared row, for the chain's content_of."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


def _queue_or_append(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    queue = _batch.get()
    if queue is not None:
        queue.extend(rows)
        return []
    return _append(rows)


def audit_record_events(events: Iterable[Event]) -> None:
    """Record several entries (a write's), appended now or at the end of the open batch."""
    _queue_or_append([event.prepared() for event in events])


def audit_record(**fields: Any) -> AuditEntry | None:
    """
    Record one entry (the fields of `Event`). Return it as stored when it was appended at once,
    or None when it waits for the end of the open batch.
    """
    appended = _queue_or_append([Event(**fields).prepared()])
    if not appended:
        return None
    return AuditEntry(**{name: appended[0][name] for name in (*_NAMES,)})


def _in_transaction() -> bool:
    """
    Whether the code runs in a transaction the application opened. A test's own wrapping
    transaction (Django marks it `_from_testcase`) does not count: tests see what production
    does.
    """
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def audit_reads(events: Iterable[Event]) -> None:
    """
    Record reads of case content. Outside any transaction (the usual case: a page or an API
    answer looking a case up) they are appended at once, before the content is rendered, while
    the database connection is busy anyway. Inside a transaction they wait (for the end of the
    request, or of the audited service), so the chain's lock stays the transaction's last.
    """
    rows = [event.prepared() for event in events]
    if not rows:
        return
    context = current()
    if _batch.get() is not None or _in_transaction():
        if context is not None:
            context.reads.extend(rows)
        else:
            _queue_or_append(rows)
        return
    _append(rows, relaxed=context is not None)
    if context is not None:
        context.read_seqs.extend(row["seq"] for row in rows)
        context.read_cases.extend(row["case_id"] for row in rows)


def read_event(
    user: Any, case: Any, object_type: str, object_id: Any, *, row: bool = False, **detail: Any
) -> Event:
    """A read of something filed under a case (`row`: shown as a row of a list)."""
    return Event(
        action=AuditEntry.Action.READ,
        actor=user,
        case=case,
        object_type=object_type,
        object_id=str(object_id),
        detail={"row": True, **detail} if row else detail,
    )


def rows_event(user: Any, object_type: str, rows: Iterable[tuple[Any, Any]]) -> Event | None:
    """
    One read of the rows a list showed (issue #11: a list costs one append, not one per row):
    each row is (the case it is filed under, or None; the object's id). The entry names every
    case in `detail["rows"]` (and, for rows that are not cases, every object in
    `detail["objects"]`); "who has read this case" and the auditor's search find it by either
    (audit.selectors.entries_naming_case). A list of one row is an ordinary read of it.
    """
    rows = list(rows)
    if not rows:
        return None
    if len(rows) == 1:
        case, object_id = rows[0]
        return read_event(user, case, object_type, object_id, row=True)
    cases = [case for case, _object_id in rows if case is not None]
    case_ids = list(dict.fromkeys(_object_ref(case) for case in cases))
    detail: dict[str, Any] = {"row": True, "rows": case_ids}
    if object_type != "case":
        detail["objects"] = [str(object_id) for _case, object_id in rows]
    organisation, organisation_id = acting_for(user, cases[0] if cases else None)
    return Event(
        action=AuditEntry.Action.READ,
        actor=user,
        organisation=organisation,
        organisation_id=organisation_id,
        object_type=f"{object_type}_list"[:40],
        case_id=case_ids[0] if len(case_ids) == 1 else "",
        detail=detail,
    )


def audit_rows_read(user: Any, object_type: str, rows: Iterable[tuple[Any, Any]]) -> None:
    """Record the rows a list showed, in one entry (rows_event)."""
    event = rows_event(user, object_type, rows)
    if event is not None:
        audit_reads([event])


def audit_refusal(event: Event) -> None:
    """Record a refused access: in a request, if its answer is the refusal (401/403/404)."""
    context = current()
    if context is not None:
        context.refusals.append(event.prepared())
    else:
        _queue_or_append([event.prepared()])


def audit_request_end(context: Any, status: int) -> None:
    """
    Append what a finished request leaves (audit.middleware): if it was refused, its refusal,
    which names the reads the request had already recorded (`voids`: a lookup the door let
    through and a later check refused; "who has read this case" leaves them out); otherwise
    the reads that waited, and the rows its lists showed (audit.rows), one entry per kind.
    """
    if status in REFUSED_STATUSES:
        if context.read_seqs:
            voided_cases = {row["case_id"] for row in context.refusals} | set(context.read_cases)
            for row in context.refusals:
                row["detail"]["voids"] = list(context.read_seqs)
                if not row["case_id"] and len(voided_cases - {""}) == 1:
                    row["case_id"] = next(iter(voided_cases - {""}))
        _append(context.refusals)
    elif status < 500:
        shown = [
            rows_event(user, kind, rows.values()) for kind, (user, rows) in context.shown.items()
        ]
        _append([*context.reads, *(e.prepared() for e in shown if e is not None)], relaxed=True)


# ---------------------------------------------------------------------------------------------
# Writes


@contextmanager
def audit_transaction() -> Iterator[None]:
    """
    transaction.atomic for code that writes and records: the entries recorded inside wait in a
    queue that the outermost appends at its end, after every row it locked (so the chain's lock
    is the transaction's last), and leave the queue if their part fails. Services get it from
    @audited and @audit_batch; a view calling several services in one transaction uses it.
    """
    queue = _batch.get()
    if queue is not None:
        mark = len(queue)
        try:
            with transaction.atomic():
                yield
        except BaseException:
            del queue[mark:]
            raise
        return
    queue = []
    token = _batch.set(queue)
    try:
        with transaction.atomic():
            yield
            _batch.set(None)
            _append(queue)
    finally:
        _batch.reset(token)


def _in_batch(body: Callable[[], Any], own_entry: Callable[[Any], None] | None = None) -> Any:
    with audit_transaction():
        result = body()
        if own_entry is not None:
            own_entry(result)
    return result


def audit_batch(function: F) -> F:
    """
    Make a service one transaction whose entries (recorded by `audit_record` inside it) are
    appended at its end, after every row it locks.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _in_batch(lambda: function(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


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


def _object_of(result: Any, kwargs: dict[str, Any], names: tuple[str, ...]) -> Any:
    """What a write wrote: what it returns, else the object it was given (a removal)."""
    if isinstance(result, models.Model):
        return result
    for name in names:
        if isinstance(kwargs.get(name), models.Model):
            return kwargs[name]
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
    target: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """
    Make a service one transaction with its audit entry: who (the first of the `actor`
    arguments given, else the request's user), the case (`case`, or the case of what it writes
    or takes), the object it returns (or the `target` argument it removes), and the
    operation's name. Field values are never copied into the trail.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            def own_entry(result: Any) -> None:
                obj = _object_of(result, kwargs, target)
                audit_record(
                    action=action,
                    actor=_actor_of(kwargs, actor),
                    case=_case_of(result, kwargs),
                    object_type=obj._meta.model_name if obj is not None else "",
                    object_id=_object_ref(obj),
                    detail={"operation": operation},
                )

            return _in_batch(lambda: function(*args, **kwargs), own_entry)

        return wrapper  # type: ignore[return-value]

    return decorate
