"""
Keyset pagination and capped counts: lists whose every page costs what the first does.

A page is the first rows of one index range in the list's order; the next page starts after
its last row (`(received_at, id) < (last row's)`, one index condition on PostgreSQL), so a deep
page walks no OFFSET. Counting a list exactly would read every row it holds (a province holds
250,000 cases): counts stop at COUNT_CAP and say "more than" past it (issue #11).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils import timezone
from django.utils.dateparse import parse_datetime

COUNT_CAP = 1000

OLDER = "n"  # the next page: the rows after the cursor in the list's (newest first) order
NEWER = "p"  # the previous page


class InvalidCursor(ValueError):
    """The cursor is not one a page of this list gave out."""


@dataclass(frozen=True)
class ListCount:
    """A list's size: exact up to `COUNT_CAP`, else `capped` (there are more than `value`)."""

    value: int
    capped: bool

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:  # a badge: "99+"
        return f"{self.value}+" if self.capped else str(self.value)


def counted_rows(queryset: QuerySet, cap: int = COUNT_CAP) -> QuerySet:
    """What a capped count reads: the first `cap` + 1 ids, without the joins a page selects."""
    return queryset.select_related(None).order_by().values("pk")[: cap + 1]


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> ListCount:
    """Count at most `cap` + 1 rows (an index range's first entries), and say if there are more."""
    found = counted_rows(queryset, cap).count()
    return ListCount(value=min(found, cap), capped=found > cap)


def _with_one_more(queryset: QuerySet, size: int) -> list[Any]:
    """
    The first `size` rows and one more, which only tells whether more follow: the window is
    marked `lookahead`, so a queryset that records the rows it shows (audit.rows) leaves it out.
    """
    window = queryset[: size + 1]
    window.lookahead = True
    return list(window)


def first_rows_counted(
    queryset: QuerySet, shown: int, cap: int = COUNT_CAP
) -> tuple[list[Any], ListCount]:
    """The first `shown` rows and the list's size, counted only when the rows are not all."""
    rows = _with_one_more(queryset, shown)
    if len(rows) <= shown:
        return rows, ListCount(value=len(rows), capped=False)
    return rows[:shown], capped_count(queryset, cap)


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None  # older rows follow
    previous_cursor: str | None  # newer rows precede

    def count(self, queryset: QuerySet, cap: int = COUNT_CAP) -> ListCount:
        """
        The size of the list this page is of: its own rows when it is the whole list (no page
        before or after it, as for a school's few referred cases), else a capped count.
        """
        if self.next_cursor is None and self.previous_cursor is None and len(self.rows) <= cap:
            return ListCount(value=len(self.rows), capped=False)
        return capped_count(queryset, cap)


def _encode(direction: str, values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values]
    text = json.dumps([direction, *plain], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: tuple[type, ...]) -> tuple[str, tuple[Any, ...]]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, *plain = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursor(cursor) from None
    if direction not in (OLDER, NEWER) or len(plain) != len(kinds):
        raise InvalidCursor(cursor)
    values: list[Any] = []
    for kind, value in zip(kinds, plain, strict=True):
        if kind is datetime.datetime:
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None or timezone.is_naive(moment):
                raise InvalidCursor(cursor)
            values.append(moment)
        elif kind is int and type(value) is int:
            values.append(value)
        else:
            raise InvalidCursor(cursor)
    return direction, tuple(values)


def rows_before(fields: tuple[str, ...], values: tuple[Any, ...]) -> TupleLessThan:
    """The rows after `values` in descending `fields` order: one index condition."""
    return TupleLessThan(Tuple(*(F(name) for name in fields)), values)


def keyset_page(
    queryset: QuerySet,
    *,
    cursor: str | None,
    size: int,
    fields: tuple[str, ...] = ("received_at", "id"),
    kinds: tuple[type, ...] = (datetime.datetime, int),
) -> KeysetPage:
    """
    One page of `queryset` in descending `fields` order (newest first), from `cursor` (None: the
    first page). Raises InvalidCursor for a cursor this function did not make.
    """
    key = Tuple(*(F(name) for name in fields))
    newest_first = [f"-{name}" for name in fields]
    if not cursor:
        rows = _with_one_more(queryset.order_by(*newest_first), size)
        return KeysetPage(rows[:size], _after(rows, size, fields), None)
    direction, values = _decode(cursor, kinds)
    if direction == OLDER:
        rows = _with_one_more(
            queryset.filter(rows_before(fields, values)).order_by(*newest_first), size
        )
        # The cursor's own row is newer than this page: there is a page before it.
        return KeysetPage(rows[:size], _after(rows, size, fields), _before(rows, fields))
    rows = _with_one_more(queryset.filter(TupleGreaterThan(key, values)).order_by(*fields), size)
    more_newer = len(rows) > size
    rows = rows[:size][::-1]
    return KeysetPage(
        rows,
        _encode(OLDER, _values(rows[-1], fields)) if rows else None,
        _before(rows, fields) if more_newer else None,
    )


def _values(row: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in fields)


def _after(rows: list[Any], size: int, fields: tuple[str, ...]) -> str | None:
    return _encode(OLDER, _values(rows[size - 1], fields)) if len(rows) > size else None


def _before(rows: list[Any], fields: tuple[str, ...]) -> str | None:
    return _encode(NEWER, _values(rows[0], fields)) if rows else None
