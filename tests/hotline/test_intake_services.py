"""Intake through its services: calls, collaborator reports, triage and duplicate suggestions."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.access import can_see, cases_visible_to
from cases.models import CaseDeadline, Notification
from hotline import services
from hotline.models import Call, CollaboratorReport, IntakeStatus, TelephonyCall
from hotline.phones import caller_number_display, caller_number_parse
from hotline.selectors import (
    call_inbox_for,
    intake_suggestions_for,
    report_inbox_for,
    reports_visible_to,
)
from hotline.telephony import (
    SignatureRefused,
    sign,
    signature_verify,
    telephony_calls_waiting,
    telephony_event_apply,
)
from tests.factories import make_case


@pytest.mark.parametrize(
    ("raw", "value", "kind"),
    [
        ("0912345678", "+84912345678", "number"),
        ("+84 912 345 678", "+84912345678", "number"),
        ("024 3747 1111", "+842437471111", "number"),
        ("", "", "withheld"),
        ("Anonymous", "", "withheld"),
        ("113", "113", "short"),
        ("1080", "1080", "short"),
    ],
)
def test_caller_numbers_parse_to_e164_or_their_kind(raw, value, kind):
    parsed = caller_number_parse(raw)
    assert (parsed.value, parsed.kind) == (value, kind)


@pytest.mark.parametrize("raw", ["091234", "012", "abc", "0912 345 678 999", "+84 000"])
def test_an_invalid_number_names_the_field(raw):
    with pytest.raises(ValidationError) as error:
        caller_number_parse(raw)
    assert "caller_number" in error.value.message_dict


def test_numbers_display_as_people_read_them():
    assert caller_number_display("+84912345678", "number") == "0912 345 678"
    assert "113" in caller_number_display("113", "short")


def log_report(world, **extra):
    data = {
        "call_type": "report",
        "caller_number": "0912345678",
        "caller_relation": "neighbour",
        "child_name": "Nguyễn Văn Đức",
        "child_age": 9,
        "incident_commune": world.commune,
        "narrative": "Trẻ bị cha đánh nhiều lần",
        "urgency": "high",
        "started_at": timezone.now() - datetime.timedelta(minutes=30),
        "duration_seconds": 420,
        **extra,
    }
    return services.call_log(actor=world.hotline, **data)


@pytest.mark.parametrize(
    "call_type", ["counselling", "information", "silent", "prank", "wrong_number"]
)
def test_calls_that_are_not_reports_are_counted_never_cases(world, call_type):
    call = services.call_log(actor=world.hotline, call_type=call_type, caller_number="")
    assert call.status == IntakeStatus.NO_CASE_NEEDED
    assert call not in call_inbox_for(user=world.hotline)
    with pytest.raises(services.IntakeAlreadyTriaged):
        services.intake_open_case(actor=world.hotline, item=call)


def test_a_caller_who_does_not_consent_leaves_no_identity(world):
    call = log_report(world, caller_consents=False, caller_name="Bà Tư", caller_address="Thôn 2")
    assert (call.caller_name, call.caller_address, call.caller_number) == ("", "", "")
    assert call.caller_number_key  # still recognised if they call again
    assert "912345678" not in call.caller_number_key
    case = services.intake_open_case(actor=world.hotline, item=call)
    assert (case.reporter_name, case.reporter_phone) == ("", "")


def test_only_operators_log_calls(world):
    with pytest.raises(services.IntakeNotPermitted):
        services.call_log(actor=world.officer, call_type="report")


def test_a_report_needs_a_commune_and_a_valid_number(world):
    with pytest.raises(ValidationError) as error:
        services.call_log(actor=world.hotline, call_type="report", caller_number="12", child_age=30)
    assert set(error.value.message_dict) == {"incident_commune", "caller_number", "child_age"}
    assert not Call.objects.exists()


def test_opening_a_case_from_a_call_starts_the_clock_at_the_call(world):
    call = log_report(world, caller_consents=True, caller_name="Bà Tư")
    case = services.intake_open_case(actor=world.hotline, item=call)
    assert case.received_at == call.started_at
    assert case.commune == world.commune
    assert case.source == "hotline"
    assert case.reporter_name == "Bà Tư"
    assert case.reporter_phone == "+84912345678"
    clock = CaseDeadline.objects.get(case=case, rule__code="emergency_12h")
    assert clock.due_at == call.started_at + datetime.timedelta(hours=12)
    assert can_see(world.hotline, case)  # the hotline follows it by a share
    assert case in cases_visible_to(world.officer)  # the commune's inbox
    assert Notification.objects.filter(
        recipient=world.officer, case=case, kind="case_assigned"
    ).exists()
    call.refresh_from_db()
    assert (call.status, call.case, call.triaged_by) == ("case_opened", case, world.hotline)


def test_a_call_is_triaged_once(world):
    call = log_report(world)
    services.intake_open_case(actor=world.hotline, item=call)
    with pytest.raises(services.IntakeAlreadyTriaged):
        services.intake_close(actor=world.hotline, item=call, reason="duplicate")


def test_closing_needs_a_reason_from_the_list(world):
    call = log_report(world)
    with pytest.raises(ValidationError):
        services.intake_close(actor=world.hotline, item=call, reason="bored")
    services.intake_close(actor=world.hotline, item=call, reason="out_of_scope", note="Người lớn")
    call.refresh_from_db()
    assert (call.status, call.close_reason, call.triage_note) == (
        "closed",
        "out_of_scope",
        "Người lớn",
    )


def test_repeat_callers_and_names_without_diacritics_are_suggested(world):
    first = log_report(world, child_name="Nguyễn Văn Đức")
    case = services.intake_open_case(actor=world.hotline, item=first)
    again = log_report(world, child_name="nguyen van duc", caller_number="+84 912 345 678")
    suggestions = intake_suggestions_for(user=world.hotline, item=again)
    by_object = {(s.kind, s.obj.pk): s.reasons for s in suggestions}
    assert by_object[("call", first.pk)] == {"number", "name"}
    assert {"name", "number", "commune"} <= by_object[("case", case.pk)]
    services.intake_link_case(actor=world.hotline, item=again, case=case, note="Gọi lại")
    again.refresh_from_db()
    assert (again.status, again.case) == ("linked", case)


def test_the_hotline_cannot_link_its_way_into_a_case_it_never_received(world):
    call = log_report(world, incident_commune=world.other_commune)
    with pytest.raises(ValidationError) as error:
        services.intake_link_case(actor=world.hotline, item=call, case=world.other_case)
    assert "case" in error.value.message_dict
    assert not can_see(world.hotline, world.other_case)
    suggestions = intake_suggestions_for(user=world.hotline, item=call)
    assert all(s.obj != world.other_case for s in suggestions)


def report(world, **extra):
    data = {
        "child_name": "Bé Na",
        "child_age": 6,
        "place": "Thôn 4",
        "narrative": "Bé bị bỏ đói",
        "urgency": "high",
        **extra,
    }
    return services.report_submit(actor=world.collaborator, **data)


def test_a_collaborator_report_lands_in_the_commune_inbox(world):
    item = report(world)
    assert item.commune == world.commune
    assert list(report_inbox_for(user=world.officer)) == [item]
    assert not report_inbox_for(user=world.officer2).exists()
    assert Notification.objects.filter(recipient=world.officer, kind="intake_received").exists()


def test_a_report_needs_what_is_happening(world):
    with pytest.raises(ValidationError) as error:
        report(world, narrative=" ")
    assert "narrative" in error.value.message_dict
    assert not CollaboratorReport.objects.exists()


def test_the_collaborator_sees_the_status_of_own_reports_and_no_case(world):
    item = report(world)
    other = services.report_submit(actor=world.collaborator, narrative="Khác", urgency="normal")
    case = services.intake_open_case(actor=world.officer, item=item)
    visible = {r.pk: r.status for r in reports_visible_to(user=world.collaborator)}
    assert visible == {item.pk: "case_opened", other.pk: "received"}
    assert not can_see(world.collaborator, case)
    assert case.source == "collaborator"


def test_only_the_commune_officer_triages_its_reports(world):
    item = report(world)
    for persona in ("officer2", "hotline", "collaborator", "chairman"):
        with pytest.raises(services.IntakeNotPermitted):
            services.intake_close(actor=world.users[persona], item=item, reason="duplicate")
    assert not reports_visible_to(user=world.officer2).exists()


def test_an_officer_links_a_report_only_to_a_case_it_can_see(world):
    item = report(world)
    with pytest.raises(ValidationError):
        services.intake_link_case(actor=world.officer, item=item, case=world.far_case)
    services.intake_link_case(actor=world.officer, item=item, case=world.case)


def test_an_officers_suggestions_stay_within_what_it_sees(world):
    make_case(world.far_commune, "Bé Na")
    item = report(world)
    suggestions = intake_suggestions_for(user=world.officer, item=item)
    assert all(s.obj.commune == world.commune for s in suggestions if s.kind == "case")


# ---------------------------------------------------------------------------------------------
# Telephony


SECRET = "test-secret-for-the-call-centre"


@pytest.fixture
def telephony(db, settings):
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    return settings


def event(kind, at, event_id, call_id="c-1", number="0912345678"):
    return json.dumps(
        {
            "event_id": event_id,
            "type": kind,
            "call_id": call_id,
            "caller_number": number,
            "occurred_at": at.isoformat(),
        }
    ).encode()


def test_a_good_signature_is_accepted_once(telephony):
    body = b'{"x": 1}'
    now = int(timezone.now().timestamp())
    signature_verify(body=body, timestamp=str(now), signature=sign(body, now, SECRET))
    with pytest.raises(SignatureRefused) as error:
        signature_verify(body=body, timestamp=str(now), signature=sign(body, now, SECRET))
    assert error.value.code == "replayed_signature"


@pytest.mark.parametrize(
    ("shift", "secret", "code"),
    [(0, "wrong-secret", "bad_signature"), (-3600, SECRET, "stale_signature")],
)
def test_wrong_and_stale_signatures_are_refused(telephony, shift, secret, code):
    body = b"{}"
    sent = int(timezone.now().timestamp()) + shift
    with pytest.raises(SignatureRefused) as error:
        signature_verify(body=body, timestamp=str(sent), signature=sign(body, sent, secret))
    assert error.value.code == code


def test_the_same_event_twice_changes_nothing_twice(db):
    at = timezone.now()
    first = telephony_event_apply(body=event("call.started", at, "e-1"))
    second = telephony_event_apply(body=event("call.started", at, "e-1"))
    assert first.created
    assert not second.created
    assert TelephonyCall.objects.count() == 1
    assert first.call.events.count() == 1


def test_events_out_of_order_end_in_the_right_state(db):
    start = timezone.now() - datetime.timedelta(minutes=5)
    telephony_event_apply(body=event("call.ended", start + datetime.timedelta(minutes=4), "e-3"))
    telephony_event_apply(
        body=event("call.answered", start + datetime.timedelta(seconds=20), "e-2")
    )
    telephony_event_apply(body=event("call.started", start, "e-1"))
    call = TelephonyCall.objects.get(call_id="c-1")
    assert call.state == "ended"
    assert call.started_at == start
    assert call.duration_seconds == 220
    assert call.caller_number == "+84912345678"


def test_a_ringing_call_prefills_the_operator_screen_until_logged(world):
    telephony_event_apply(body=event("call.started", timezone.now(), "e-1", number="113"))
    [waiting] = telephony_calls_waiting()
    assert (waiting.caller_number, waiting.caller_number_kind) == ("113", "short")
    log_report(world, telephony=waiting, caller_number="113")
    assert not telephony_calls_waiting().exists()


def test_a_malformed_event_names_its_fields(db):
    with pytest.raises(ValidationError) as error:
        telephony_event_apply(body=b'{"type": "call.exploded", "occurred_at": "yesterday"}')
    assert {"event_id", "call_id", "type", "occurred_at"} <= set(error.value.message_dict)


def test_an_officer_opens_a_report_only_in_their_own_commune(world):
    item = report(world)
    with pytest.raises(ValidationError) as error:
        services.intake_open_case(actor=world.officer, item=item, commune=world.other_commune)
    assert "commune" in error.value.message_dict
    item.refresh_from_db()
    assert item.status == "received"


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("9" * 400, "sha256=00"), ("123", "sha256=ðø"), ("-5", "sha256=00")],
)
def test_hostile_signature_headers_are_refused_not_crashed(telephony, timestamp, signature):
    with pytest.raises(SignatureRefused):
        signature_verify(body=b"{}", timestamp=timestamp, signature=signature)


def test_an_impossible_time_or_a_nul_in_an_id_names_the_field(db):
    body = json.dumps(
        {
            "event_id": "e\x00",
            "type": "call.started",
            "call_id": "c",
            "occurred_at": "2026-13-45T10:00:00+07:00",
        }
    ).encode()
    with pytest.raises(ValidationError) as error:
        telephony_event_apply(body=body)
    assert {"event_id", "occurred_at"} <= set(error.value.message_dict)
