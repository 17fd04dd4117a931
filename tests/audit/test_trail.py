"""The audit trail: append-only, hash-chained, in the transaction of what it records."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import audit_record
from audit.verify import audit_verify
from tests.conftest import PASSWORD


def record(n: int = 3) -> list[AuditEntry]:
    return [
        audit_record(action="read", object_type="case", object_id=f"c{i}", detail={"i": i})
        for i in range(n)
    ]


def test_entries_chain_and_verify(db):
    entries = record(4)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[1].prev_hash == entries[0].hash
    report = audit_verify()
    assert (report.ok, report.checked) == (True, 4)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "4 entries" in out.getvalue()


def test_a_rolled_back_write_leaves_no_entry(db):
    def write_that_fails() -> None:
        with transaction.atomic():
            audit_record(action="write", object_type="case", object_id="x")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_that_fails()
    assert not AuditEntry.objects.exists()


def _raw(sql: str, params: list) -> None:
    """Tamper directly in the database, as an attacker with SQL access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_auditentry SET object_id = 'other' WHERE seq = 2", "entry 2 was altered"),
        ("DELETE FROM audit_auditentry WHERE seq = 2", "entry 2 is missing"),
        ("UPDATE audit_auditentry SET seq = 99 WHERE seq = 3", "entry 3 is missing"),
        (
            "UPDATE audit_auditentry SET prev_hash = (SELECT prev_hash FROM audit_auditentry "
            "WHERE seq = 2) WHERE seq = 3",
            "entry 3 does not follow",
        ),
    ],
)
def test_altering_deleting_or_reordering_any_entry_is_detected(db, tamper, problem):
    record(4)
    _raw(tamper, [])
    report = audit_verify()
    assert not report.ok
    assert problem in report.problem
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit", stdout=StringIO())


def test_swapping_two_entries_contents_is_detected(db):
    first, second = record(2)
    _raw(
        "UPDATE audit_auditentry SET object_id = %s WHERE seq = 1",
        [second.object_id],
    )
    assert not audit_verify().ok


def test_postgresql_refuses_update_and_delete(db):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger exists on PostgreSQL, which CI runs")
    record(1)
    for sql in (
        "UPDATE audit_auditentry SET object_id = 'x'",
        "DELETE FROM audit_auditentry",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEntry.objects.get().object_id == "c0"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(db):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database is one connection; CI runs this on PostgreSQL"
        )
    barrier = threading.Barrier(4)

    def work(index: int) -> None:
        barrier.wait()
        try:
            for step in range(10):
                audit_record(action="read", object_type="case", object_id=f"{index}-{step}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = audit_verify()
    assert (report.ok, report.checked) == (True, 40)


def test_logins_and_failed_logins_are_recorded_without_the_password(world):
    client = Client()
    client.post(reverse("login"), {"username": "officer", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    failed, ok = AuditEntry.objects.filter(action__startswith="login").order_by("seq")
    assert (failed.action, failed.outcome, failed.actor_username) == (
        "login_failed",
        "denied",
        "officer",
    )
    assert (ok.action, ok.outcome, ok.actor_id) == ("login", "ok", world.officer.pk)
    assert ok.ip == "127.0.0.1"
    assert "wrong-password" not in str(failed.detail)
    assert audit_verify().ok


def test_cutting_off_the_newest_entries_is_caught_against_a_kept_head(db):
    record(3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    head = out.getvalue().split("Head: ")[1].split(" ")[0]
    assert head.startswith("3:")
    call_command("verify_audit", "--expect", head, stdout=StringIO())
    _raw("DELETE FROM audit_auditentry WHERE seq = 3", [])
    assert audit_verify().ok  # the chain alone cannot tell
    with pytest.raises(CommandError, match="no longer in the chain"):
        call_command("verify_audit", "--expect", head, stdout=StringIO())
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit", "--expect", "three", stdout=StringIO())
