"""Walk the chain and name the first entry that was altered, removed or reordered."""

from __future__ import annotations

from dataclasses import dataclass

from audit.chain import GENESIS, content_of, entry_hash
from audit.models import AuditEntry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None
    head: tuple[int, str] | None = None  # the last entry's place and hash, when intact


def audit_verify(*, batch: int = 2000) -> ChainReport:
    """Recompute every hash in order; stop at the first entry that does not fit."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            return ChainReport(
                ok=True, checked=checked, head=(last_seq, prev_hash) if checked else None
            )
        for entry in rows:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, f"entry {expected_seq} is missing", expected_seq)
            if entry.prev_hash != prev_hash:
                return ChainReport(
                    False,
                    checked,
                    f"entry {entry.seq} does not follow the entry before it",
                    entry.seq,
                )
            if entry_hash(entry.prev_hash, content_of(entry)) != entry.hash:
                return ChainReport(False, checked, f"entry {entry.seq} was altered", entry.seq)
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
            last_seq = entry.seq
