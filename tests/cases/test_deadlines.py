"""The deadline engine: rules as data, clocks started, met, waived, and escalated once."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases import services
from cases.deadlines import deadline_view, deadlines_escalate
from cases.models import CaseDeadline, DeadlineRule, Notification
from tests.cases.test_workflow_services import RATINGS, go_to_needs_meeting
from tests.factories import make_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def clock(case, code: str) -> CaseDeadline:
    return CaseDeadline.objects.get(case=case, rule__code=code)


def test_the_rules_are_seeded_with_citations(db):
    rules = {rule.code: rule for rule in DeadlineRule.objects.all()}
    assert set(rules) >= {
        "emergency_12h",
        "plan_draft_5wd",
        "plan_approve_2wd",
        "plan_approve_7wd",
        "separation_15d",
        "review_plan_date",
    }
    assert rules["emergency_12h"].unit == "hours"
    assert rules["emergency_12h"].duration == 12
    assert "Điều 26(3)" in rules["emergency_12h"].citation
    assert rules["plan_draft_5wd"].unit == "working_days"
    assert rules["separation_15d"].unit == "calendar_days"
    assert all(rule.escalate_to for rule in rules.values())


def test_receipt_starts_the_12_hour_clock(world):
    received = timezone.now() - datetime.timedelta(hours=1)
    case = make_case(world.commune, received_at=received)
    emergency = clock(case, "emergency_12h")
    assert emergency.starts_at == received
    assert emergency.due_at == received + datetime.timedelta(hours=12)
    assert deadline_view(emergency).state == "open"


def test_an_assessment_without_emergency_waives_the_12_hour_clock(world):
    services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **RATINGS
    )
    emergency = clock(world.case, "emergency_12h")
    assert emergency.waived_at is not None
    assert deadline_view(emergency).state == "waived"


def test_a_late_emergency_decision_is_met_late(world):
    case = make_case(world.commune, received_at=timezone.now() - datetime.timedelta(hours=20))
    services.case_decide_emergency(
        actor=world.chairman,
        case=case,
        kind="intervention",
        decision_number="1/QĐ-UBND",
        measures="Công an can thiệp",
    )
    assert deadline_view(clock(case, "emergency_12h")).state == "met_late"


def test_the_plan_clock_counts_working_days_across_a_weekend(world):
    # Needs meeting on Friday 6 November 2026: five working days end on Friday 13 November.
    case = make_case(world.commune, received_at=datetime.datetime(2026, 11, 2, 9, tzinfo=VN))
    go_to_needs_meeting(world, case, held_at=datetime.datetime(2026, 11, 6, 15, tzinfo=VN))
    due = timezone.localtime(clock(case, "plan_draft_5wd").due_at, VN)
    assert due.date() == datetime.date(2026, 11, 13)
    assert (due.hour, due.minute) == (23, 59)
    due7 = timezone.localtime(clock(case, "plan_approve_7wd").due_at, VN)
    assert due7.date() == datetime.date(2026, 11, 17)


def test_the_plan_clock_skips_tet(world):
    # Needs meeting on Thursday 12 February 2026; Tết keeps 14–22 February off.
    case = make_case(world.commune, received_at=datetime.datetime(2026, 2, 9, 9, tzinfo=VN))
    go_to_needs_meeting(world, case, held_at=datetime.datetime(2026, 2, 12, 10, tzinfo=VN))
    due = timezone.localtime(clock(case, "plan_draft_5wd").due_at, VN)
    # Working days after 12 Feb: 13, 23, 24, 25, 26 February.
    assert due.date() == datetime.date(2026, 2, 26)


def test_submission_meets_the_draft_clock_and_starts_the_approval_clock(world):
    go_to_needs_meeting(world, world.case)
    services.case_draft_plan(
        actor=world.officer,
        case=world.case,
        objectives="An toàn",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        activities=[_activity()],
    )
    services.case_submit_plan(actor=world.officer, case=world.case)
    assert clock(world.case, "plan_draft_5wd").met_at is not None
    approval = CaseDeadline.objects.get(case=world.case, rule__code="plan_approve_2wd")
    assert approval.key == "v1-1"
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung kinh phí")
    approval.refresh_from_db()
    assert approval.waived_at is not None
    services.case_submit_plan(actor=world.officer, case=world.case)
    services.case_approve_plan(
        actor=world.chairman,
        case=world.case,
        decision_number="7/QĐ-UBND",
        decision_date=timezone.localdate(),
    )
    second = CaseDeadline.objects.get(case=world.case, rule__code="plan_approve_2wd", key="v1-2")
    assert deadline_view(second).state == "met"
    assert deadline_view(clock(world.case, "plan_approve_7wd")).state == "met"
    review = clock(world.case, "review_plan_date")
    assert timezone.localtime(review.due_at).date() == timezone.localdate() + datetime.timedelta(
        days=30
    )


def _submitted_on_a_monday(world) -> CaseDeadline:
    """
    A case received, assessed and its plan submitted on Monday 2 March 2026 at 10:00 in
    Vietnam (world.case becomes it): its 2-working-day approval clock.
    """
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=VN), tick=False):
        world.case = make_case(world.commune, "Lê Thị Hoa")
        go_to_needs_meeting(world, world.case)
        services.case_draft_plan(
            actor=world.officer,
            case=world.case,
            objectives="An toàn",
            review_on=datetime.date(2026, 4, 1),
            activities=[_activity()],
        )
        services.case_submit_plan(actor=world.officer, case=world.case)
    return clock(world.case, "plan_approve_2wd")


@pytest.mark.parametrize(("dated", "state"), [(4, "met"), (5, "met_late")])
def test_an_approval_is_measured_on_its_decision_date_not_its_entry(world, dated, state):
    approval = _submitted_on_a_monday(world)
    assert timezone.localtime(approval.due_at).date() == datetime.date(2026, 3, 4)  # Wednesday
    entered = datetime.datetime(2026, 3, 6, 16, 30, tzinfo=VN)  # Friday
    with time_machine.travel(entered, tick=False):
        services.case_approve_plan(
            actor=world.chairman,
            case=world.case,
            decision_number="12/QĐ-UBND",
            decision_date=datetime.date(2026, 3, dated),
        )
    approval.refresh_from_db()
    assert timezone.localtime(approval.met_at).date() == datetime.date(2026, 3, dated)
    assert approval.met_entered_at == entered
    assert deadline_view(approval).state == state
    assert deadline_view(clock(world.case, "plan_approve_7wd")).state == "met"
    # The review clock runs from the decision, to the date the plan set.
    review = clock(world.case, "review_plan_date")
    assert timezone.localtime(review.due_at).date() == datetime.date(2026, 4, 1)


def test_an_approval_dated_the_day_of_submission_is_met_at_the_submission(world):
    approval = _submitted_on_a_monday(world)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, 0, tzinfo=VN), tick=False):
        services.case_approve_plan(
            actor=world.chairman,
            case=world.case,
            decision_number="13/QĐ-UBND",
            decision_date=datetime.date(2026, 3, 2),
        )
    approval.refresh_from_db()
    assert approval.met_at == approval.starts_at  # not before the plan arrived


def _activity() -> dict:
    today = timezone.localdate()
    return {
        "measure": "s_health",  # a support case (Art. 49)
        "description": "Khám sức khỏe",
        "person_responsible": "Trạm trưởng",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=10),
    }


def test_closing_a_case_stops_every_clock(world):
    services.case_mark_not_substantiated(
        actor=world.officer, case=world.case, reason="Không có căn cứ"
    )
    assert not CaseDeadline.objects.filter(
        case=world.case, met_at__isnull=True, waived_at__isnull=True
    ).exists()


def overdue_case(world):
    return make_case(world.commune, received_at=timezone.now() - datetime.timedelta(hours=30))


def test_escalation_notifies_the_chairman_and_supervisor_once(world):
    case = overdue_case(world)
    assert deadlines_escalate() == 1
    assert deadlines_escalate() == 0
    notified = set(
        Notification.objects.filter(case=case).values_list("recipient__username", flat=True)
    )
    assert notified == {"chairman", "supervisor"}
    assert clock(case, "emergency_12h").escalated_at is not None


def test_a_met_or_running_clock_is_not_escalated(world):
    make_case(world.commune, received_at=timezone.now() - datetime.timedelta(hours=2))
    assert deadlines_escalate() == 0
    assert not Notification.objects.exists()


def test_the_command_reports_what_it_did(world):
    overdue_case(world)
    from io import StringIO

    out = StringIO()
    call_command("escalate_deadlines", stdout=out)
    assert "Escalated 1" in out.getvalue()


def test_email_goes_out_only_when_configured(world, settings):
    world.chairman.email = "chairman@example.vn"
    world.chairman.save()
    settings.EMAIL_NOTIFICATIONS = False
    overdue_case(world)
    deadlines_escalate()
    assert mail.outbox == []


def test_email_names_the_case_number_not_the_child(
    world, settings, django_capture_on_commit_callbacks
):
    world.chairman.email = "chairman@example.vn"
    world.chairman.save()
    settings.EMAIL_NOTIFICATIONS = True
    case = overdue_case(world)
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_escalate()
    [message] = mail.outbox
    assert message.to == ["chairman@example.vn"]
    assert case.number in message.subject
    assert case.child.full_name not in message.body


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_escalate_nothing_twice(world):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database is one connection; CI runs this on PostgreSQL"
        )
    for _ in range(5):
        overdue_case(world)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(deadlines_escalate())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 5
    assert Notification.objects.count() == 5 * 2  # chairman and supervisor, once per clock
