"""
The intake pages: the operator's call screen and triage, the inboxes, the collaborator's report
form and list, the home sections. The allowed user succeeds; everyone else gets the not-found
page; bad input gets the form back with its messages and saves nothing.
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseDeadline
from hotline import services
from hotline.models import Call, CollaboratorReport, IntakeStatus, TelephonyCall

CALL_NEW = reverse("hotline:call-new")
CALLS = reverse("hotline:calls")
REPORT_NEW = reverse("hotline:report-new")
MY_REPORTS = reverse("hotline:my-reports")
REPORTS = reverse("hotline:reports")

PERSONAS = [
    "hotline",
    "officer",
    "officer2",
    "chairman",
    "collaborator",
    "school",
    "supervisor",
    "auditor",
    "admin",
    "nobody",
]


def call_url(call: Call) -> str:
    return reverse("hotline:call-detail", args=[call.public_id])


def report_url(report: CollaboratorReport) -> str:
    return reverse("hotline:report-detail", args=[report.public_id])


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def call_data(world, **extra) -> dict:
    data = {
        "started_at": local(timezone.now() - datetime.timedelta(minutes=20)),
        "duration": "7:30",
        "caller_number": "0912 345 678",
        "channel": "phone",
        "call_type": "report",
        "caller_relation": "neighbour",
        "child_name": "Nguyễn Văn Đức",
        "child_age": "9",
        "child_sex": "male",
        "incident_province": str(world.province.pk),
        "incident_commune": str(world.commune.pk),
        "place": "Thôn 3",
        "residence_province": str(world.province.pk),
        "residence_commune": str(world.commune.pk),
        "narrative": "Trẻ bị cha đánh nhiều lần",
        "urgency": "high",
        "child_condition": "Có vết bầm ở tay",
        "expected_consequence": "Tiếp tục bị bạo lực",
        "family_situation": "Cha nghiện rượu",
        "current_carer": "Bà ngoại",
        "prior_actions": "Hàng xóm đã can ngăn",
    }
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


def log_call(client, world, **extra):
    return client.post(CALL_NEW, call_data(world, **extra))


def field_block(body: str, name: str) -> str:
    """The HTML of one field's block (label, input, errors)."""
    match = re.search(
        rf'<div class="field[^"]*" id="field-{re.escape(name)}">(.*?)\n</div>', body, re.S
    )
    assert match, name
    return match.group(0)


def a_report(world, **extra) -> CollaboratorReport:
    data = {"child_name": "Bé Na", "child_age": 6, "place": "Thôn 4", "narrative": "Bé bị bỏ đói"}
    data.update(extra)
    return services.report_submit(actor=world.collaborator, **data)


# ---------------------------------------------------------------------------------------------
# The call screen


@pytest.mark.parametrize(
    "call_type", ["report", "counselling", "information", "silent", "prank", "wrong_number"]
)
def test_the_operator_logs_each_call_type_through_the_page(world, client_for, call_type):
    client = client_for("hotline")
    response = log_call(client, world, call_type=call_type)
    call = Call.objects.get()
    assert call.call_type == call_type
    assert call.operator == world.hotline
    assert call.duration_seconds == 450
    assert call.caller_number_kind == "number"
    if call_type == "report":
        assert response["Location"] == call_url(call)
        assert call.status == IntakeStatus.RECEIVED
        assert call.incident_commune == world.commune
        assert call.child_condition == "Có vết bầm ở tay"
        assert call.prior_actions == "Hàng xóm đã can ngăn"
        page = client.get(response["Location"])
        assert 'id="triage"' in page.content.decode()
    else:
        # Counted, never a case: back to a fresh screen with the message.
        assert response["Location"] == CALL_NEW
        assert call.status == IntakeStatus.NO_CASE_NEEDED
        fresh = client.get(CALL_NEW)
        assert fresh.status_code == 200
        assert 'class="success"' in fresh.content.decode()
        assert call not in Call.objects.filter(status=IntakeStatus.RECEIVED)


def test_a_silent_call_needs_no_child_and_no_commune(world, client_for):
    response = client_for("hotline").post(
        CALL_NEW, {"call_type": "silent", "caller_number": "", "channel": "phone"}
    )
    assert response.status_code == 302
    assert Call.objects.get().status == IntakeStatus.NO_CASE_NEEDED


def test_an_invalid_number_shows_the_message_next_to_the_field_and_saves_nothing(world, client_for):
    response = log_call(client_for("hotline"), world, caller_number="091234")
    assert response.status_code == 400
    block = field_block(response.content.decode(), "caller_number")
    assert "has-error" in block
    assert 'class="errorlist"' in block
    assert "“091234”" in block  # the message quotes what was typed
    assert 'value="091234"' in block  # and keeps it for correcting
    assert not Call.objects.exists()


def test_a_report_without_a_commune_and_without_a_type_is_refused_field_by_field(world, client_for):
    response = log_call(
        client_for("hotline"),
        world,
        call_type="",
        incident_province="",
        incident_commune="",
        residence_province="",
        residence_commune="",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "has-error" in field_block(body, "call_type")
    assert not Call.objects.exists()
    response = log_call(
        client_for("hotline"),
        world,
        incident_province="",
        incident_commune="",
        residence_province="",
        residence_commune="",
    )
    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "incident_commune")
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("typed", "value", "kind"),
    [("", "", "withheld"), ("anonymous", "", "withheld"), ("113", "113", "short")],
)
def test_withheld_and_short_numbers_are_accepted(world, client_for, typed, value, kind):
    response = log_call(client_for("hotline"), world, caller_number=typed, caller_consents="on")
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.caller_number, call.caller_number_kind) == (value, kind)
    page = client_for("hotline").get(call_url(call)).content.decode()
    assert f'id="caller-number" data-kind="{kind}"' in page


def test_a_caller_who_does_not_consent_leaves_no_name(world, client_for):
    response = log_call(
        client_for("hotline"), world, caller_name="Bà Tư", caller_address="Thôn 2, Đông Hà"
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.caller_consents, call.caller_name, call.caller_address) == (False, "", "")
    assert call.caller_number == ""  # not kept either; its keyed hash still spots a repeat
    assert call.caller_number_key


def test_a_caller_who_consents_is_kept_and_reaches_the_case(world, client_for):
    client = client_for("hotline")
    log_call(client, world, caller_consents="on", caller_name="Bà Tư", caller_address="Thôn 2")
    call = Call.objects.get()
    assert (call.caller_name, call.caller_number) == ("Bà Tư", "+84912345678")
    client.post(call_url(call), {"action": "open"})
    case = Case.objects.get(pk=Call.objects.get().case_id)
    assert (case.reporter_name, case.reporter_phone) == ("Bà Tư", "+84912345678")


def test_bad_times_and_durations_are_refused_next_to_their_fields(world, client_for):
    client = client_for("hotline")
    future = local(timezone.now() + datetime.timedelta(hours=3))
    for name, value in (("duration", "7 phút"), ("child_age", "30"), ("child_age", "-1")):
        response = log_call(client, world, **{name: value})
        assert response.status_code == 400
        assert "has-error" in field_block(response.content.decode(), name), name
    response = log_call(client, world, started_at=future)
    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "started_at")
    response = log_call(client, world, duration="99999")
    assert "has-error" in field_block(response.content.decode(), "duration")
    assert not Call.objects.exists()


def test_choosing_a_province_shows_its_communes_and_keeps_what_was_typed(world, client_for):
    data = call_data(world, incident_commune="", incident_province=str(world.province.pk))
    response = client_for("hotline").post(CALL_NEW, {**data, "pick": "incident"})
    assert response.status_code == 200
    body = response.content.decode()
    incident = field_block(body, "incident_commune")
    assert f'value="{world.commune.pk}"' in incident
    assert f'value="{world.other_commune.pk}"' in incident
    assert f'value="{world.far_commune.pk}"' not in incident
    assert "Nguyễn Văn Đức" in body  # what was typed is still there
    assert "has-error" not in body  # not validated yet
    assert not Call.objects.exists()


def test_the_residence_communes_follow_the_province_where_it_happened(world, client_for):
    data = call_data(world, incident_province=str(world.other_province.pk), residence_province="")
    response = client_for("hotline").post(CALL_NEW, {**data, "pick": "incident"})
    residence = field_block(response.content.decode(), "residence_commune")
    assert f'value="{world.far_commune.pk}"' in residence
    assert f'value="{world.commune.pk}"' not in residence


def test_a_commune_of_another_province_than_the_one_chosen_is_refused(world, client_for):
    response = log_call(
        client_for("hotline"),
        world,
        incident_province=str(world.province.pk),
        incident_commune=str(world.far_commune.pk),
    )
    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "incident_commune")


def test_the_call_screen_is_prefilled_from_a_ringing_call(world, client_for):
    started = timezone.now() - datetime.timedelta(minutes=10)
    ringing = TelephonyCall.objects.create(
        call_id="cc-20261129-42",
        caller_number="+84912345678",
        caller_number_kind="number",
        started_at=started,
        answered_at=started + datetime.timedelta(seconds=20),
        ended_at=started + datetime.timedelta(seconds=20 + 305),
    )
    client = client_for("hotline")
    screen = client.get(CALL_NEW).content.decode()
    assert 'data-call-id="cc-20261129-42"' in screen
    assert "?telephony=cc-20261129-42" in screen
    response = client.get(CALL_NEW + "?telephony=cc-20261129-42")
    body = response.content.decode()
    assert 'name="telephony" value="cc-20261129-42"' in body
    assert 'value="0912 345 678"' in field_block(body, "caller_number")
    assert f'value="{local(started)}"' in field_block(body, "started_at")
    assert 'value="5:05"' in field_block(body, "duration")
    assert 'id="prefilled"' in body

    data = call_data(world, telephony="cc-20261129-42", caller_number="+84912345678")
    assert client.post(CALL_NEW, data).status_code == 302
    call = Call.objects.get()
    assert call.telephony == ringing
    # Logged: no longer offered, and not logged twice.
    assert 'data-call-id="cc-20261129-42"' not in client.get(CALL_NEW).content.decode()
    again = client.post(CALL_NEW, data)
    assert again.status_code == 400
    assert 'id="form-errors"' in again.content.decode()
    assert Call.objects.count() == 1


def test_a_ringing_call_already_logged_is_not_prefilled(world, client_for):
    response = client_for("hotline").get(CALL_NEW + "?telephony=no-such-call")
    assert response.status_code == 200
    assert 'name="telephony" value="no-such-call"' not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Triage of calls


def test_a_report_call_opens_a_case_the_officer_sees(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    response = operator.post(call_url(call), {"action": "open"})
    assert response.status_code == 302
    assert response["Location"] == call_url(call)
    call.refresh_from_db()
    case = call.case
    assert call.status == IntakeStatus.CASE_OPENED
    assert case.received_at == call.started_at
    assert case.commune == world.commune
    clock = CaseDeadline.objects.get(case=case, rule__code="emergency_12h")
    assert clock.due_at == call.started_at + datetime.timedelta(hours=12)
    outcome = operator.get(call_url(call)).content.decode()
    assert 'id="outcome"' in outcome
    assert reverse("cases:detail", args=[case.public_id]) in outcome
    assert 'id="triage"' not in outcome
    assert case.number in client_for("officer").get(reverse("cases:list")).content.decode()
    assert case.number not in client_for("officer2").get(reverse("cases:list")).content.decode()


def test_the_operator_may_open_the_case_in_another_commune(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    page = operator.get(call_url(call) + f"?province={world.other_province.pk}")
    assert f'value="{world.far_commune.pk}"' in page.content.decode()
    response = operator.post(
        call_url(call) + f"?province={world.province.pk}",
        {"action": "open", "open-commune": str(world.other_commune.pk)},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.case.commune == world.other_commune


def test_duplicates_are_suggested_on_the_second_call_without_diacritics(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    first = Call.objects.get()
    operator.post(call_url(first), {"action": "open"})
    first.refresh_from_db()
    log_call(operator, world, child_name="nguyen van duc", caller_number="+84 912 345 678")
    second = Call.objects.exclude(pk=first.pk).get()
    body = operator.get(call_url(second)).content.decode()
    rows = re.findall(
        r'<tr class="suggestion" data-kind="(\w+)" data-reasons="([\w ]+)"'
        r'(?: data-case="([\w-]+)")?',
        body,
    )
    reasons = {(kind, number): set(why.split()) for kind, why, number in rows}
    assert {"name", "number", "commune"} <= reasons[("case", first.case.number)]
    assert {"name", "number"} <= reasons[("call", "")]
    case_row = body[body.index(f'data-case="{first.case.number}"') :]
    case_row = case_row[: case_row.index("</tr>")]
    # Number, commune, status, date and why: never the child.
    assert world.commune.name in case_row
    assert "Nguyễn Văn Đức" not in case_row
    assert f'id="link-{first.case.number}"' in case_row


def test_the_operator_links_a_call_to_a_suggested_case(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world, child_name=world.case.child_name)
    call = Call.objects.get()
    assert f'data-case="{world.case.number}"' in operator.get(call_url(call)).content.decode()
    response = operator.post(
        call_url(call), {"action": "link", "link-case": world.case.number, "link-note": "Gọi lại"}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.status, call.case, call.triage_note) == ("linked", world.case, "Gọi lại")


def test_the_operator_links_only_to_a_case_it_follows(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    refused = operator.post(call_url(call), {"action": "link", "link-case": world.far_case.number})
    assert refused.status_code == 400
    assert world.far_case.child_name not in refused.content.decode()
    response = operator.post(call_url(call), {"action": "link", "link-case": world.case.number})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.case == world.case


@pytest.mark.parametrize("number", ["", "HS-0000-999999", "9" * 40])
def test_linking_to_no_open_case_is_refused_next_to_the_field(world, client_for, number):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    response = operator.post(call_url(call), {"action": "link", "link-case": number})
    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "link-case")
    call.refresh_from_db()
    assert call.status == IntakeStatus.RECEIVED


def test_a_closed_case_cannot_be_linked(world, client_for):
    Case.objects.filter(pk=world.other_case.pk).update(status=Case.Status.CLOSED)
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    response = operator.post(
        call_url(call), {"action": "link", "link-case": world.other_case.number}
    )
    assert response.status_code == 400


def test_the_operator_closes_a_call_with_a_reason(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    refused = operator.post(call_url(call), {"action": "close", "close-note": "?"})
    assert refused.status_code == 400
    assert "has-error" in field_block(refused.content.decode(), "close-reason")
    response = operator.post(
        call_url(call),
        {"action": "close", "close-reason": "out_of_scope", "close-note": "Người đã 19 tuổi"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.status, call.close_reason, call.triage_note) == (
        "closed",
        "out_of_scope",
        "Người đã 19 tuổi",
    )
    page = operator.get(call_url(call)).content.decode()
    assert 'data-reason="out_of_scope"' in page


def test_a_second_decision_gets_the_page_back_with_why(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    operator.post(call_url(call), {"action": "close", "close-reason": "duplicate"})
    response = operator.post(call_url(call), {"action": "open"})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="refusal"' in body
    assert 'id="outcome" data-status="closed"' in body
    assert not Case.objects.filter(source="hotline").exists()


def test_a_call_that_is_not_a_report_has_no_decisions(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world, call_type="counselling")
    call = Call.objects.get()
    page = operator.get(call_url(call)).content.decode()
    assert 'id="triage"' not in page
    assert 'id="outcome" data-status="no_case"' in page
    assert operator.post(call_url(call), {"action": "open"}).status_code == 409
    assert Call.objects.get().case is None


def test_an_unknown_action_is_refused_not_crashed(world, client_for):
    operator = client_for("hotline")
    log_call(operator, world)
    call = Call.objects.get()
    assert operator.post(call_url(call), {"action": "delete"}).status_code == 400
    assert operator.post(call_url(call), {}).status_code == 400


# ---------------------------------------------------------------------------------------------
# The operator's inbox


# Mid-afternoon in Vietnam: the calls of three hours ago are today's calls at any hour CI runs.
AFTERNOON = datetime.datetime(
    2026, 6, 1, 15, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
)


@time_machine.travel(AFTERNOON, tick=True)
def test_the_call_inbox_puts_the_most_urgent_and_oldest_first(world, client_for):
    now = timezone.now()
    normal_old = services.call_log(
        actor=world.hotline,
        call_type="report",
        incident_commune=world.commune,
        urgency="normal",
        started_at=now - datetime.timedelta(hours=3),
    )
    emergency_new = services.call_log(
        actor=world.hotline,
        call_type="report",
        incident_commune=world.commune,
        urgency="emergency",
        started_at=now - datetime.timedelta(minutes=5),
    )
    emergency_old = services.call_log(
        actor=world.hotline,
        call_type="report",
        incident_commune=world.commune,
        urgency="emergency",
        started_at=now - datetime.timedelta(hours=1),
    )
    services.call_log(actor=world.hotline, call_type="prank")
    services.call_log(actor=world.hotline, call_type="prank")
    body = client_for("hotline").get(CALLS).content.decode()
    inbox = body[body.index('id="call-inbox"') : body.index('id="calls-today"')]
    order = re.findall(r'data-call="([0-9a-f-]+)"', inbox)
    assert order == [str(c.public_id) for c in (emergency_old, emergency_new, normal_old)]
    assert 'id="call-inbox-count" data-count="3"' in inbox
    today = body[body.index('id="calls-today"') : body.index('id="call-log"')]
    assert '<li data-type="prank" data-count="2">' in today
    assert '<li data-type="report" data-count="3">' in today
    assert '<li data-type="silent" data-count="0">' in today


def test_the_call_log_filters_by_type_and_status(world, client_for):
    services.call_log(actor=world.hotline, call_type="prank")
    report = services.call_log(
        actor=world.hotline, call_type="report", incident_commune=world.commune
    )
    client = client_for("hotline")
    body = client.get(CALLS + "?call_type=prank").content.decode()
    log = body[body.index('id="call-log"') :]
    assert re.findall(r'data-type="(\w+)" data-status', log) == ["prank"]
    body = client.get(CALLS + "?status=received").content.decode()
    log = body[body.index('id="call-log"') :]
    assert re.findall(r'data-call="([0-9a-f-]+)"', log) == [str(report.public_id)]
    assert client.get(CALLS + "?call_type=nonsense").status_code == 400


def test_the_call_log_is_paginated(world, client_for):
    for _index in range(30):
        services.call_log(actor=world.hotline, call_type="information")
    client = client_for("hotline")
    first = client.get(CALLS + "?call_type=information").content.decode()
    assert 'id="next-page"' in first
    assert "call_type=information&amp;page=2" in first
    second = client.get(CALLS + "?call_type=information&page=2").content.decode()
    log = second[second.index('id="call-log"') :]
    assert len(re.findall(r"data-call=", log)) == 5


# ---------------------------------------------------------------------------------------------
# Collaborator reports


def test_the_collaborator_reports_and_follows_the_report_without_seeing_the_case(world, client_for):
    collaborator = client_for("collaborator")
    form = collaborator.get(REPORT_NEW)
    assert form.status_code == 200
    response = collaborator.post(
        REPORT_NEW,
        {
            "child_name": "Bé Na",
            "child_age": "6",
            "place": "Thôn 4",
            "narrative": "Bé bị bỏ đói",
            "urgency": "high",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == MY_REPORTS
    report = CollaboratorReport.objects.get()
    assert (report.commune, report.collaborator, report.urgency) == (
        world.commune,
        world.collaborator,
        "high",
    )
    mine = collaborator.get(MY_REPORTS).content.decode()
    assert 'class="success"' in mine  # the confirmation
    assert f'data-report="{report.public_id}" data-status="received"' in mine

    officer = client_for("officer")
    assert officer.post(report_url(report), {"action": "open"}).status_code == 302
    report.refresh_from_db()
    case = report.case
    assert case.source == "collaborator"
    assert case.commune == world.commune

    for page in (MY_REPORTS, report_url(report), reverse("home")):
        body = collaborator.get(page).content.decode()
        assert 'data-status="case_opened"' in body, page
        assert case.number not in body, page
        assert str(case.public_id) not in body, page
    assert collaborator.get(reverse("cases:detail", args=[case.public_id])).status_code == 404
    # Her own report cannot be triaged by her.
    assert collaborator.post(report_url(report), {"action": "close"}).status_code == 403


def test_a_report_without_what_is_happening_is_refused_and_saves_nothing(world, client_for):
    response = client_for("collaborator").post(
        REPORT_NEW, {"child_name": "Bé Na", "child_age": "40", "narrative": "  "}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "has-error" in field_block(body, "narrative")
    assert "has-error" in field_block(body, "child_age")
    assert 'value="Bé Na"' in body
    assert not CollaboratorReport.objects.exists()


def test_the_collaborators_list_shows_each_status(world, client_for):
    received = a_report(world)
    opened = a_report(world, narrative="Mở")
    linked = a_report(world, narrative="Liên kết")
    closed = a_report(world, narrative="Đóng")
    services.intake_open_case(actor=world.officer, item=opened)
    services.intake_link_case(actor=world.officer, item=linked, case=world.case)
    services.intake_close(actor=world.officer, item=closed, reason="not_substantiated")
    body = client_for("collaborator").get(MY_REPORTS).content.decode()
    for report, status in (
        (received, "received"),
        (opened, "case_opened"),
        (linked, "linked"),
        (closed, "closed"),
    ):
        assert f'data-report="{report.public_id}" data-status="{status}"' in body
    assert world.case.number not in body
    assert "not_substantiated" not in body  # the reason is the officer's, not hers


def test_the_officer_works_the_intake_inbox(world, client_for):
    first = a_report(world, urgency="normal")
    urgent = a_report(world, urgency="emergency", narrative="Khẩn cấp")
    officer = client_for("officer")
    body = officer.get(REPORTS).content.decode()
    inbox = body[body.index('id="report-inbox"') : body.index('id="recently-triaged"')]
    assert re.findall(r'data-report="([0-9a-f-]+)"', inbox) == [
        str(urgent.public_id),
        str(first.public_id),
    ]
    response = officer.post(
        report_url(first), {"action": "close", "close-reason": "duplicate", "close-note": "Trùng"}
    )
    assert response.status_code == 302
    body = officer.get(REPORTS).content.decode()
    recent = body[body.index('id="recently-triaged"') :]
    assert f'data-report="{first.public_id}" data-status="closed"' in recent
    assert 'id="report-inbox-count" data-count="1"' in body


def test_the_officer_sees_suggestions_and_links_a_report_only_to_a_case_it_sees(world, client_for):
    report = a_report(world, child_name="nguyen van an")
    officer = client_for("officer")
    body = officer.get(report_url(report)).content.decode()
    assert f'data-case="{world.case.number}"' in body
    assert world.far_case.number not in body
    refused = officer.post(
        report_url(report), {"action": "link", "link-case": world.far_case.number}
    )
    assert refused.status_code == 400
    response = officer.post(report_url(report), {"action": "link", "link-case": world.case.number})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.case) == ("linked", world.case)
    page = officer.get(report_url(report)).content.decode()
    assert reverse("cases:detail", args=[world.case.public_id]) in page


# ---------------------------------------------------------------------------------------------
# Who sees what


def outsiders(allowed: set[str]) -> list[str]:
    return [p for p in PERSONAS if p not in allowed]


PAGES = {
    "call-new": {"hotline"},
    "calls": {"hotline"},
    "call-detail": {"hotline"},
    "report-new": {"collaborator"},
    "my-reports": {"collaborator"},
    "reports": {"officer", "officer2"},
    "report-detail": {"officer", "collaborator"},
}


def page_url(world, name: str) -> str:
    if name == "call-detail":
        call = services.call_log(
            actor=world.hotline, call_type="report", incident_commune=world.commune
        )
        return call_url(call)
    if name == "report-detail":
        return report_url(a_report(world))
    return reverse(f"hotline:{name}")


@pytest.mark.parametrize(
    ("name", "persona"),
    [(name, persona) for name, allowed in PAGES.items() for persona in outsiders(allowed)],
)
def test_outsiders_get_the_not_found_page_on_every_intake_page(world, client_for, name, persona):
    url = page_url(world, name)
    client = client_for(persona)
    assert client.get(url).status_code == 404
    response = client.post(url, {"action": "close", "close-reason": "duplicate"})
    assert response.status_code == 404
    assert not Call.objects.exclude(status=IntakeStatus.RECEIVED).exists()
    assert not CollaboratorReport.objects.exclude(status=IntakeStatus.RECEIVED).exists()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_who_may_use_a_page_gets_it_never_cached(world, client_for, name):
    url = page_url(world, name)
    for persona in PAGES[name]:
        response = client_for(persona).get(url)
        assert response.status_code == 200, persona
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_log_in(world, client, name):
    response = client.get(page_url(world, name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_missing_call_and_a_forbidden_call_get_the_same_page(world, client_for):
    call = services.call_log(
        actor=world.hotline, call_type="report", incident_commune=world.commune
    )
    client = client_for("officer")
    forbidden = client.get(call_url(call))
    missing = client.get(reverse("hotline:call-detail", args=[uuid.uuid4()]))
    assert forbidden.status_code == missing.status_code == 404
    hidden = re.compile(rb'<input type="hidden"[^>]*>')
    assert hidden.sub(b"", forbidden.content) == hidden.sub(b"", missing.content)


def test_another_communes_officer_cannot_see_or_triage_a_report(world, client_for):
    report = a_report(world)
    client = client_for("officer2")
    assert client.get(report_url(report)).status_code == 404
    assert client.post(report_url(report), {"action": "open"}).status_code == 404
    assert str(report.public_id) not in client.get(REPORTS).content.decode()


def test_garbage_in_forms_and_addresses_never_causes_a_500(world, client_for):
    huge = "9" * 40
    operator = client_for("hotline")
    garbage = {
        "started_at": "yesterday",
        "duration": huge,
        "caller_number": "x" * 500,
        "channel": "pigeon",
        "call_type": huge,
        "caller_relation": "\x00",
        "child_age": huge,
        "child_sex": "x",
        "incident_province": huge,
        "incident_commune": "abc",
        "residence_province": "-1",
        "residence_commune": huge,
        "urgency": "very",
        "telephony": "t" * 500,
    }
    assert operator.post(CALL_NEW, garbage).status_code == 400
    # Year 1 overflows when converted to UTC: refused next to the field, not a 500.
    response = log_call(operator, world, started_at="0001-01-01T00:00")
    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "started_at")
    assert operator.post(CALL_NEW, {**garbage, "pick": "incident"}).status_code == 200
    assert operator.get(CALL_NEW + f"?telephony={huge * 5}").status_code == 200
    assert operator.get(CALLS + f"?page={huge}&status=\x00").status_code == 400
    assert operator.get(CALLS + "?page=abc").status_code == 200
    call = services.call_log(
        actor=world.hotline, call_type="report", incident_commune=world.commune
    )
    assert operator.get(call_url(call) + f"?province={huge}").status_code == 200
    response = operator.post(
        call_url(call) + "?province=abc", {"action": "open", "open-commune": huge}
    )
    assert response.status_code == 400
    response = operator.post(call_url(call), {"action": "close", "close-reason": huge})
    assert response.status_code == 400
    assert operator.get("/intake/calls/not-a-uuid/").status_code == 404
    collaborator = client_for("collaborator")
    response = collaborator.post(
        REPORT_NEW, {"narrative": "x", "urgency": huge, "child_age": "-3", "place": "p" * 600}
    )
    assert response.status_code == 400
    assert collaborator.get(MY_REPORTS + f"?page={huge}").status_code == 200
    assert not CollaboratorReport.objects.exists()


# ---------------------------------------------------------------------------------------------
# Home sections and the header


def test_the_operators_home_shows_the_inbox_and_the_ringing_calls(world, client_for):
    services.call_log(actor=world.hotline, call_type="report", incident_commune=world.commune)
    TelephonyCall.objects.create(call_id="ring-1", started_at=timezone.now())
    body = client_for("hotline").get(reverse("home")).content.decode()
    section = body[body.index('id="intake-hotline"') :]
    assert 'data-count="1"' in section
    assert CALL_NEW in section
    assert CALLS in section
    assert 'data-call-id="ring-1"' in section
    assert 'id="nav-call-new"' in body


def test_the_collaborators_home_offers_the_report_button_and_her_reports(world, client_for):
    report = a_report(world)
    body = client_for("collaborator").get(reverse("home")).content.decode()
    section = body[body.index('id="intake-collaborator"') :]
    assert REPORT_NEW in section
    assert f'data-report="{report.public_id}" data-status="received"' in section
    assert 'id="nav-report-new"' in body


def test_the_officers_home_counts_the_reports_awaiting_triage(world, client_for):
    a_report(world)
    a_report(world)
    body = client_for("officer").get(reverse("home")).content.decode()
    section = body[body.index('id="intake-officer"') :]
    assert 'data-count="2"' in section
    assert REPORTS in section
    assert 'id="nav-intake"' in body
    other = client_for("officer2").get(reverse("home")).content.decode()
    assert 'id="intake-officer"' in other
    assert 'data-count="0"' in other[other.index('id="intake-officer"') :]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_gets_only_its_own_intake_sections_and_links(world, client_for, persona):
    body = client_for(persona).get(reverse("home")).content.decode()
    expected = {
        "intake-hotline": persona == "hotline",
        "intake-collaborator": persona == "collaborator",
        "intake-officer": persona in ("officer", "officer2"),
        "nav-calls": persona == "hotline",
        "nav-my-reports": persona == "collaborator",
        "nav-intake": persona in ("officer", "officer2"),
    }
    for element, shown in expected.items():
        assert (f'id="{element}"' in body) is shown, element
    # The links are the same on every page, not only the home page.
    cases = client_for(persona).get(reverse("cases:list")).content.decode()
    for element in ("nav-calls", "nav-my-reports", "nav-intake"):
        assert (f'id="{element}"' in cases) is expected[element], element


# ---------------------------------------------------------------------------------------------
# Query budgets: none grows with the data


def test_the_call_pages_stay_within_their_query_budget(
    world, client_for, django_assert_max_num_queries
):
    for index in range(30):
        services.call_log(
            actor=world.hotline,
            call_type="report",
            incident_commune=world.commune,
            residence_commune=world.other_commune,
            child_name=f"Trẻ {index}",
            caller_number="0912345678",
        )
        services.call_log(actor=world.hotline, call_type="prank")
        TelephonyCall.objects.create(call_id=f"ring-{index}", started_at=timezone.now())
    client = client_for("hotline")
    # 13 today: session, user, three role reads (the page, the inbox, the log), today's counts,
    # the log's count and page, the inbox's rows and count, the header (unread count, links)
    with django_assert_max_num_queries(13):
        assert client.get(CALLS).status_code == 200
    # 9 today: session, user, operator check, waiting calls, the two province lists, header
    with django_assert_max_num_queries(9):
        assert client.get(CALL_NEW).status_code == 200
    call = Call.objects.filter(call_type="report").first()
    # 22 today: the call, the role checks, the suggestions (one query per kind of match, ten
    # rows at most each, their communes at once, among the cases the hotline can see), which
    # cases are visible, the province and commune lists of the "open a case" form, the header
    with django_assert_max_num_queries(22):
        assert client.get(call_url(call)).status_code == 200


def test_the_report_pages_stay_within_their_query_budget(
    world, client_for, django_assert_max_num_queries
):
    for index in range(30):
        report = a_report(world, child_name=f"Trẻ {index}")
        if index % 2:
            services.intake_open_case(actor=world.officer, item=report)
    officer = client_for("officer")
    # 17 today: session, user, the officer's communes read once per selector (memberships and
    # units, four times), recent rows, which of their cases are visible, the inbox's rows and
    # count, the header (unread count, links)
    with django_assert_max_num_queries(17):
        assert officer.get(REPORTS).status_code == 200
    collaborator = client_for("collaborator")
    with django_assert_max_num_queries(10):
        assert collaborator.get(MY_REPORTS).status_code == 200
    with django_assert_max_num_queries(8):
        assert collaborator.get(REPORT_NEW).status_code == 200
