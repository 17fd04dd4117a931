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
    assert len(officer_cases) == 9
    assert len(officer2_cases) == 2
    assert not officer_cases & officer2_cases
    assert len(cases_visible_to(users["supervisor"])) == 11
    assert len(cases_visible_to(users["hotline"])) == 2
    # The recipients' inboxes are not empty: each sees the cases referred to it, in summary.
    assert len(cases_visible_to(users["school"])) == 1
    assert len(cases_visible_to(users["health"])) == 1
    assert len(cases_visible_to(users["police"])) == 1
    for name in ("collaborator", "auditor", "admin"):
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


@time_machine.travel(ORDINARY_WEDNESDAY, tick=True)
def test_the_demo_shows_the_decree_56_process_as_the_law_has_it(db, debug_on):
    from cases.models import CaseDeadline, EmergencyDecision
    from hotline.models import CollaboratorReport, IntakeClock
    from referrals.models import Referral

    call_command("seed_demo", stdout=StringIO())
    # An untriaged report with its clock running.
    report = CollaboratorReport.objects.get()
    assert report.case_id is None
    assert IntakeClock.objects.filter(
        report=report, met_at__isnull=True, rule__code="intake_pass_on"
    ).exists()
    # A night intervention by the officer and by the police, within the 12 hours.
    night = Case.objects.get(child__full_name="Trịnh Văn Tùng")
    by = set(night.emergency_decisions.values_list("decided_by__username", flat=True))
    assert by == {"officer", "police"}
    assert CaseDeadline.objects.get(case=night, rule__code="emergency_12h").met_at is not None
    # A separation during implementation.
    separated = Case.objects.get(child__full_name="Lý Thị Ngọc")
    assert separated.status == "in_implementation"
    assert separated.emergency_decisions.get().kind == EmergencyDecision.Kind.SEPARATION
    # A crime report awaiting its police referral.
    waiting = Case.objects.get(child__full_name="Trần Thị Bình")
    assert waiting.crime_report
    assert not waiting.referrals.exists()
    assert CaseDeadline.objects.get(case=waiting, rule__code="crime_to_police").met_at is None
    # Open referrals to the school, the health station and the police, and one ended.
    open_kinds = set(
        Referral.objects.filter(status__in=Referral.OPEN).values_list(
            "organisation__kind", flat=True
        )
    )
    assert open_kinds == {"school", "health_facility", "police"}
    assert Referral.objects.filter(status="completed").count() == 1
    assert Referral.objects.filter(activity__isnull=False).count() == 2
