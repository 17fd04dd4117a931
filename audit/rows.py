"""
The rows a list shows, recorded by the queryset that fetches them (docs/DESIGN.md §9).

A selector that produces list rows marks its queryset `shown_to(user, kind, row)`; whatever
page, endpoint or section then fetches rows from it (a page, a slice, a keyset page) records
them, so a new list cannot forget its reads. What does not fetch rows records nothing: a count,
`exists()`, ids read as values. A lookup of one object (`*_get_for`) takes `unshown()` and
records its own read of the content.

Within a request the rows wait and are appended at its end (audit.services.audit_request_end)
as one entry per kind naming them all (audit.services.rows_event), so a page of several lists
costs one append and a refused request none; outside a request they are appended at once.

A paginator that fetches one row more than it shows, to know whether more follow, marks that
window `lookahead` (config.keyset): the extra row is not shown, and not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models.query import ModelIterable

# A row as the trail files it: (the case it is filed under, or None; the object's public id).
Row = tuple[Any, Any]


def own_row(obj: Any) -> Row:
    """A case's row is filed under itself."""
    return obj, obj.public_id


def under_case(obj: Any) -> Row:
    """A row of something filed under its case (a referral, a call or report once triaged)."""
    return (obj.case if obj.case_id else None), obj.public_id


class ShownRowsQuerySet(models.QuerySet):
    """A queryset that records the model rows it fetches as shown to a user (see the module)."""

    _shown: tuple[Any, str, Callable[[Any], Row]] | None = None
    lookahead = False

    def shown_to(
        self, user: Any, kind: str, row: Callable[[Any], Row] = own_row
    ) -> ShownRowsQuerySet:
        clone = self._chain()
        clone._shown = (user, kind, row)
        return clone

    def unshown(self) -> ShownRowsQuerySet:
        clone = self._chain()
        clone._shown = None
        return clone

    def _clone(self) -> ShownRowsQuerySet:
        clone = super()._clone()
        clone._shown = self._shown
        return clone

    def _fetch_all(self) -> None:
        fetched = self._result_cache is None
        super()._fetch_all()
        if not fetched or self._shown is None:
            return
        if not issubclass(self._iterable_class, ModelIterable):
            return
        rows = self._result_cache
        window = self.query.high_mark
        if self.lookahead and window is not None and len(rows) == window - self.query.low_mark:
            rows = rows[:-1]
        user, kind, row = self._shown
        record_shown(user, kind, [row(obj) for obj in rows])


def record_shown(user: Any, kind: str, rows: Iterable[Row]) -> None:
    """Record rows shown to the user: at the request's end, one entry per kind; else at once."""
    from audit.context import current
    from audit.services import audit_rows_read

    rows = list(rows)
    if not rows:
        return
    context = current()
    if context is None:
        audit_rows_read(user, kind, rows)
        return
    waiting = context.shown.setdefault(kind, (user, {}))[1]
    for case, object_id in rows:
        waiting.setdefault(str(object_id), (case, object_id))
