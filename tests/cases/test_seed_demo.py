"""The demo: one real province, its communes, a user per role, a few cases; twice is once."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organisation, User
from cases.access import cases_visible_to
from cases.models import Case

USERNAMES = [
    "hotline",
    "officer",
    "officer2",
    "chairman",
    "collaborator",
    "school",
    "health",
    "police",
    "supervisor",
    "auditor",
    "admin",
]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_it_creates_the_demo_world_once(db, debug_on):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
    )
    assert set(User.objects.values_list("username", flat=True)) == set(USERNAMES)
    for username in USERNAMES:
        assert username in out.getvalue()
    assert "Quảng Trị" in out.getvalue()


def test_the_demo_shows_the_access_rule(db, debug_on):
    call_command("seed_demo", stdout=StringIO())
    users = {u.username: u for u in User.objects.all()}
    officer_cases = set(cases_visible_to(users["officer"]))
    officer2_cases = set(cases_visible_to(users["officer2"]))
    assert len(officer_cases) == 7
    assert len(officer2_cases) == 2
    assert not officer_cases & officer2_cases
    assert len(cases_visible_to(users["supervisor"])) == 9
    assert len(cases_visible_to(users["hotline"])) == 2
    for name in ("collaborator", "school", "auditor", "admin"):
        assert not cases_visible_to(users[name]).exists()
    assert users["admin"].check_password("demo-111-Vietnam")


# An ordinary working Wednesday afternoon in Vietnam. The demo holds a needs meeting twelve
# calendar days ago and no plan; the plan is overdue once five working days have passed since
# the meeting, which is not so in the days just after Tết (12-17 February 2027, say).
ORDINARY_WEDNESDAY = datetime.datetime(
    2026, 6, 10, 15, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
)


@time_machine.travel(ORDINARY_WEDNESDAY, tick=True)
def test_the_demo_has_cases_at_every_stage_and_some_overdue(db, debug_on):
    from django.utils import timezone

    from cases.models import CaseDeadline

    call_command("seed_demo", stdout=StringIO())
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {
        "received",
        "initial_assessed",
        "emergency_protection",
        "needs_meeting_held",
        "plan_submitted",
        "in_implementation",
        "closed",
        "not_substantiated",
    } <= statuses
    overdue = CaseDeadline.objects.filter(
        met_at__isnull=True, waived_at__isnull=True, due_at__lt=timezone.now()
    )
    assert set(overdue.values_list("rule__code", flat=True)) >= {"emergency_12h", "plan_draft_5wd"}
