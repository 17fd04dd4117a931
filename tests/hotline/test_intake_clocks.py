"""
The clock starts at the first contact (issue #13; Decree 56 Arts. 26(1), 26(3), 31(2), 32(2)):
a report call or a collaborator's report starts the 12-hour emergency clock at its receipt,
before triage, and the pass-on clock ("chuyển ngay", a local default); opening a case continues
the 12 hours, linking gives the case the earlier receipt, and untriaged intake escalates to the
hotline's and the commune's people, whose home pages show each item with its time left.
"""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from cases import services as case_services
from cases.deadlines import deadline_view
from cases.models import CaseDeadline, DeadlineRule, Notification
from cases.services import case_share_grant
from hotline import clocks, services
from hotline.models import IntakeClock
from tests.cases.test_workflow_services import RATINGS, go_to_needs_meeting
from tests.factories import make_case
from tests.hotline.test_intake_services import log_report, report

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EVENING = datetime.datetime(2026, 5, 12, 21, 0, tzinfo=VN)  # a Tuesday, 9 p.m.
HOURS = datetime.timedelta(hours=1)


def at(hours: float) -> datetime.datetime:
    return EVENING + datetime.timedelta(hours=hours)


@pytest.fixture
def call(world):
    """A report call that began at 9 p.m., logged a quarter of an hour later."""
    with time_machine.travel(at(0.25), tick=False):
        return log_report(world, started_at=EVENING)


def clock(item, code: str) -> IntakeClock:
    return clocks.clocks_of(item).get(rule__code=code)


def test_a_report_call_starts_its_clocks_at_the_call(world, call):
    emergency, pass_on = clock(call, "emergency_12h"), clock(call, "intake_pass_on")
    assert emergency.starts_at == pass_on.starts_at == EVENING
    assert emergency.due_at == at(12)
    assert pass_on.due_at == at(2)
    assert emergency.commune == world.commune
    assert DeadlineRule.objects.get(code="intake_pass_on").is_local_default


@pytest.mark.parametrize("call_type", ["counselling", "silent", "wrong_number"])
def test_a_call_that_is_not_a_report_starts_no_clock(world, call_type):
    other = log_report(world, call_type=call_type)
    assert not clocks.clocks_of(other).exists()


def test_a_collaborators_report_starts_its_clocks_when_it_arrives(world):
    with time_machine.travel(EVENING, tick=False):
        sent = report(world)
    assert clock(sent, "emergency_12h").due_at == at(12)
    assert clock(sent, "intake_pass_on").commune == world.commune


def test_opening_a_case_continues_the_12_hours(world, call):
    with time_machine.travel(at(1), tick=False):
        case = services.intake_open_case(actor=world.hotline, item=call)
    pass_on, emergency = clock(call, "intake_pass_on"), clock(call, "emergency_12h")
    assert pass_on.met_at == at(1)
    assert deadline_view(pass_on).state == "met"
    assert emergency.waived_at == at(1)
    assert emergency.note == f"case {case.number}"
    case_clock = CaseDeadline.objects.get(case=case, rule__code="emergency_12h")
    assert (case_clock.starts_at, case_clock.due_at) == (EVENING, at(12))


def test_linking_gives_the_case_the_earlier_receipt(world, call):
    with time_machine.travel(at(3), tick=False):
        case = make_case(world.commune, "Nguyễn Văn Đức")
    case_clock = CaseDeadline.objects.get(case=case, rule__code="emergency_12h")
    assert case_clock.due_at == at(15)
    case_share_grant(case=case, permissions=["view_case"], reason="t", user=world.hotline)
    with time_machine.travel(at(4), tick=False):
        services.intake_link_case(actor=world.hotline, item=call, case=case)
    case_clock.refresh_from_db()
    assert (case_clock.starts_at, case_clock.due_at) == (EVENING, at(12))
    # A later contact does not push the clock back.
    with time_machine.travel(at(5), tick=False):
        later = log_report(world, started_at=at(4.5))
        services.intake_link_case(actor=world.hotline, item=later, case=case)
    case_clock.refresh_from_db()
    assert case_clock.starts_at == EVENING


def test_closing_without_a_case_ends_both_clocks(world, call):
    services.intake_close(actor=world.hotline, item=call, reason="out_of_scope")
    assert clock(call, "intake_pass_on").met_at is not None
    assert clock(call, "emergency_12h").waived_at is not None
    assert not clocks.clocks_of(call).filter(clocks.OPEN).exists()


def test_untriaged_intake_escalates_once_to_the_hotline_and_the_commune(world, call):
    with time_machine.travel(at(1), tick=False):
        assert clocks.intake_escalate() == 0
    with time_machine.travel(at(3), tick=False):  # the pass-on clock has run out
        call_command("escalate_deadlines", stdout=io.StringIO())
        assert clocks.intake_escalate() == 0  # once
    told = set(
        Notification.objects.filter(kind=Notification.Kind.CALL_OVERDUE).values_list(
            "recipient__username", "about"
        )
    )
    assert told == {("hotline", call.public_id), ("officer", call.public_id)}
    with time_machine.travel(at(13), tick=False):  # the 12 hours too
        assert clocks.intake_escalate() == 1
    emergency = set(
        Notification.objects.filter(kind=Notification.Kind.CALL_OVERDUE).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"hotline", "officer", "chairman", "supervisor"} <= emergency
    assert "officer2" not in emergency  # another commune's officer


def test_a_report_escalates_to_the_commune_not_the_hotline(world):
    with time_machine.travel(EVENING, tick=False):
        sent = report(world)
    with time_machine.travel(at(3), tick=False):
        assert clocks.intake_escalate() == 1
    told = set(
        Notification.objects.filter(kind=Notification.Kind.REPORT_OVERDUE).values_list(
            "recipient__username", "about"
        )
    )
    assert told == {("officer", sent.public_id)}


def test_the_escalation_notice_leads_to_the_item(world, call, client_for):
    with time_machine.travel(at(3), tick=False):
        clocks.intake_escalate()
    page = client_for("officer").get(reverse("cases:notifications")).content.decode()
    assert reverse("hotline:call-detail", args=[call.public_id]) in page


def test_the_home_pages_show_each_untriaged_item_with_its_time_left(world, call, client_for):
    with time_machine.travel(EVENING, tick=False):
        sent = report(world)
    with time_machine.travel(at(1.5), tick=False):
        hotline = client_for("hotline").get(reverse("home")).content.decode()
        officer = client_for("officer").get(reverse("home")).content.decode()
    for body, item in ((hotline, call), (officer, sent)):
        row = body.split(f'data-item="{item.public_id}"')[1].split("</li>")[0]
        assert 'data-state="open"' in row
        assert "30" in row  # the pass-on clock: 30 minutes left
    with time_machine.travel(at(2.5), tick=False):
        late = client_for("officer").get(reverse("home")).content.decode()
    row = late.split(f'data-item="{sent.public_id}"')[1].split("</li>")[0]
    assert 'data-state="overdue"' in row


def test_the_stall_from_the_initial_assessment_to_the_meeting_has_a_local_clock(world):
    rule = DeadlineRule.objects.get(code="assessment_to_meeting")
    assert rule.is_local_default
    case_services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **RATINGS
    )
    stall = CaseDeadline.objects.get(case=world.case, rule=rule)
    assert stall.met_at is None
    other = make_case(world.commune, "Lò Văn Páo")
    go_to_needs_meeting(world, other)
    assert deadline_view(CaseDeadline.objects.get(case=other, rule=rule)).state == "met"


def test_the_case_page_marks_a_local_default(world, client_for):
    case_services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **RATINGS
    )
    body = client_for("officer").get(reverse("cases:detail", args=[world.case.public_id]))
    row = body.content.decode().split('data-rule="assessment_to_meeting"')[1].split("</tr>")[0]
    assert "mặc định địa phương" in row
    statutory = body.content.decode().split('data-rule="emergency_12h"')[1].split("</tr>")[0]
    assert "mặc định địa phương" not in statutory
