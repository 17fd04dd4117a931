"""
Benchmark: what the audit trail adds to a case detail request (`make bench`; issue #7 target:
at most 1 ms at the median).

The same officer opens the same filled case page (through review, with notes and history) many
times, alternately with the trail recording and with the read's recording replaced by nothing,
on a trail that already holds TRAIL_SIZE entries. Prints both medians and their difference;
the target is checked by the benchmark run, not by `make test` (DESIGN §12).
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.chain import GENESIS, content_of, entry_hash
from audit.models import AuditEntry
from audit.verify import audit_verify
from cases import selectors
from tests.printing.conftest import through_review

pytestmark = [pytest.mark.bench]

TRAIL_SIZE = 50_000
ROUNDS = 15
PER_ROUND = 20
TARGET_MS = 1.0


def fill_trail(size: int) -> None:
    """A trail of earlier reads, properly chained, so the append is measured on a real table."""
    prev, rows = GENESIS, []
    start = AuditEntry.objects.order_by("-seq").first()
    if start is not None:
        prev = start.hash
    first_seq = (start.seq if start else 0) + 1
    now = timezone.now()
    for seq in range(first_seq, first_seq + size):
        entry = AuditEntry(
            seq=seq,
            at=now,
            actor_id=1,
            actor_username="someone",
            organisation="UBND",
            action="read",
            object_type="case",
            object_id=f"{seq:036d}",
            case_id=f"{seq % 997:036d}",
            outcome="ok",
            detail={"via": "page", "view": "cases:detail"},
            prev_hash=prev,
        )
        entry.hash = entry_hash(prev, content_of(entry))
        prev = entry.hash
        rows.append(entry)
    AuditEntry.objects.bulk_create(rows, batch_size=5000)


def timed(client: Client, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times


def test_audit_overhead_on_the_case_detail_request(world, named_case, monkeypatch):
    through_review(world, named_case)
    fill_trail(TRAIL_SIZE)
    client = Client()
    client.force_login(world.officer)
    url = reverse("cases:detail", args=[named_case.public_id])
    timed(client, url, 10)  # warm-up: templates, translations, connections

    recorded = selectors.audit_record
    with_audit: list[float] = []
    without: list[float] = []
    for _ in range(ROUNDS):
        # Alternate short rounds so drift in the machine's load falls on both sides alike.
        monkeypatch.setattr(selectors, "audit_record", recorded)
        with_audit += timed(client, url, PER_ROUND)
        monkeypatch.setattr(selectors, "audit_record", lambda **fields: None)
        without += timed(client, url, PER_ROUND)
    monkeypatch.setattr(selectors, "audit_record", recorded)

    on = statistics.median(with_audit) * 1000
    off = statistics.median(without) * 1000
    added = on - off
    reads = AuditEntry.objects.filter(case_id=str(named_case.public_id), action="read").count()
    print(
        f"\ncase detail on {connection.vendor}, trail of {TRAIL_SIZE:,} entries, "
        f"{len(with_audit)} requests each: median {on:.2f} ms with the trail, {off:.2f} ms "
        f"without; auditing adds {added:.2f} ms (target ≤ {TARGET_MS} ms)"
    )
    assert reads == 10 + ROUNDS * PER_ROUND  # every audited request left its read
    assert audit_verify().ok
    assert added <= TARGET_MS
