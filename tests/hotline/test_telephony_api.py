"""The call centre's signed webhook and the operator's list of calls waiting to be logged."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from hotline.models import Call, TelephonyCall, TelephonyEvent, WebhookSignature
from hotline.telephony import sign

EVENTS = "/api/v1/telephony/events/"
WAITING = "/api/v1/telephony/waiting/"
SECRET = "test-secret-for-the-call-centre"
ERROR_KEYS = {"status", "code", "message", "fields"}


@pytest.fixture(autouse=True)
def telephony(db, settings):
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    settings.TELEPHONY_WEBHOOK_WINDOW_SECONDS = 300
    return settings


def event(kind="call.started", at=None, event_id="e-1", call_id="c-1", number="0912345678"):
    data = {
        "event_id": event_id,
        "type": kind,
        "call_id": call_id,
        "occurred_at": (at or timezone.now()).isoformat(),
    }
    if number is not None:
        data["caller_number"] = number
    return json.dumps(data).encode()


def now() -> int:
    return int(timezone.now().timestamp())


def deliver(body: bytes, *, timestamp=None, secret=SECRET, headers=None, client=None):
    """POST `body` signed as the call centre does (or with the given headers)."""
    sent = now() if timestamp is None else timestamp
    if headers is None:
        headers = {
            "X-Telephony-Timestamp": str(sent),
            "X-Telephony-Signature": sign(body, sent, secret),
        }
    return (client or APIClient()).post(
        EVENTS, data=body, content_type="application/json", headers=headers
    )


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert (error["status"], error["code"]) == (401, code)
    assert response["WWW-Authenticate"]


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ---------------------------------------------------------------------------------------------
# Signatures


def test_a_signed_event_is_accepted(db):
    at = timezone.now().replace(microsecond=0)
    response = deliver(event(at=at))
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "accepted"}
    assert "no-store" in response["Cache-Control"]
    call = TelephonyCall.objects.get(call_id="c-1")
    assert (call.state, call.started_at, call.caller_number) == ("ringing", at, "+84912345678")


def test_a_wrong_signature_is_refused_and_changes_nothing(db):
    assert_refused(deliver(event(), secret="not-the-secret"), "bad_signature")
    assert not TelephonyCall.objects.exists()


def test_a_signature_over_another_body_is_refused(db):
    sent = now()
    headers = {
        "X-Telephony-Timestamp": str(sent),
        "X-Telephony-Signature": sign(event(call_id="c-other"), sent, SECRET),
    }
    assert_refused(deliver(event(), headers=headers), "bad_signature")
    assert not TelephonyCall.objects.exists()


@pytest.mark.parametrize("shift", [-3600, -301, 301, 3600])
def test_a_stale_or_future_signature_is_refused(db, shift, monkeypatch):
    # The clock stands still, so the window's edge is exact however slow the request.
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert_refused(deliver(event(), timestamp=now() + shift), "stale_signature")
    assert not TelephonyCall.objects.exists()


def test_a_signature_inside_the_window_is_accepted(db):
    assert deliver(event(), timestamp=now() - 250).status_code == 202


def test_a_replayed_request_is_refused(db):
    body, sent = event(), now()
    assert deliver(body, timestamp=sent).status_code == 202
    assert_refused(deliver(body, timestamp=sent), "replayed_signature")
    assert TelephonyEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_signature"),
        ({"X-Telephony-Timestamp": "1764400000"}, "missing_signature"),
        ({"X-Telephony-Signature": "sha256=00"}, "missing_signature"),
        ({"X-Telephony-Timestamp": "soon", "X-Telephony-Signature": "sha256=00"}, "bad_timestamp"),
    ],
)
def test_missing_or_malformed_headers_are_refused(db, headers, code):
    assert_refused(deliver(event(), headers=headers), code)
    assert not TelephonyCall.objects.exists()


def test_an_absurd_timestamp_is_stale_not_a_crash(db):
    headers = {"X-Telephony-Timestamp": "9" * 400, "X-Telephony-Signature": "sha256=00"}
    assert_refused(deliver(event(), headers=headers), "stale_signature")


def test_a_signature_that_is_not_ascii_is_wrong_not_a_crash(db):
    headers = {"X-Telephony-Timestamp": str(now()), "X-Telephony-Signature": "sha256=é"}
    assert_refused(deliver(event(), headers=headers), "bad_signature")


def test_an_unconfigured_webhook_refuses_everything(telephony):
    telephony.TELEPHONY_WEBHOOK_SECRET = ""
    assert_refused(deliver(event(), secret=""), "not_configured")


def test_the_signature_is_checked_before_the_body_is_read(db):
    assert_refused(deliver(b"{not json", secret="wrong"), "bad_signature")


def test_a_session_is_no_substitute_for_a_signature(world):
    client = APIClient()
    client.force_login(world.hotline)
    assert_refused(deliver(event(), headers={}, client=client), "missing_signature")


def test_the_webhook_needs_no_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    assert deliver(event(), client=client).status_code == 202


def test_a_body_too_large_is_refused(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = deliver(event(call_id="c" * 90))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# ---------------------------------------------------------------------------------------------
# Events


def test_the_same_event_delivered_again_changes_nothing(db):
    at = timezone.now().replace(microsecond=0)
    assert deliver(event(at=at)).status_code == 202
    before = TelephonyCall.objects.values().get(call_id="c-1")
    # A retry, re-signed with a fresh timestamp, even with a different time in it.
    retry = event(at=at - datetime.timedelta(minutes=3), number="0987654321")
    response = deliver(retry, timestamp=now() + 1)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "duplicate"}
    assert TelephonyCall.objects.values().get(call_id="c-1") == before
    assert TelephonyEvent.objects.count() == 1


def test_events_out_of_order_end_in_the_right_state(db):
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
    deliveries = [
        ("call.ended", start + datetime.timedelta(minutes=4), "e-3"),
        ("call.answered", start + datetime.timedelta(seconds=20), "e-2"),
        ("call.started", start, "e-1"),
    ]
    for index, (kind, at, event_id) in enumerate(deliveries):
        response = deliver(event(kind, at, event_id), timestamp=now() + index)
        assert response.status_code == 202
    call = TelephonyCall.objects.get(call_id="c-1")
    assert call.state == "ended"
    assert call.started_at == start
    assert call.answered_at == start + datetime.timedelta(seconds=20)
    assert call.duration_seconds == 220
    assert call.caller_number == "+84912345678"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"{not json", {"body"}),
        (b"", {"body"}),
        (b"[1, 2]", {"body"}),
        (b"\xff\xfe", {"body"}),
        (b"{}", {"event_id", "type", "call_id", "occurred_at"}),
        (
            b'{"event_id": "e", "type": "call.exploded", "call_id": "c", '
            b'"occurred_at": "yesterday"}',
            {"type", "occurred_at"},
        ),
        (
            b'{"event_id": "e", "type": "call.started", "call_id": "c", '
            b'"occurred_at": "2026-11-29T08:15:00"}',
            {"occurred_at"},
        ),
        (
            b'{"event_id": "e", "type": "call.started", "call_id": "c", '
            b'"occurred_at": "2026-13-45T08:15:00+07:00"}',
            {"occurred_at"},
        ),
        (
            b'{"event_id": 5, "type": ["call.started"], "call_id": "c", '
            b'"occurred_at": "2026-11-29T08:15:00+07:00"}',
            {"event_id", "type"},
        ),
        (
            b'{"event_id": "e\\u0000", "type": "call.started", "call_id": "c\\u0000", '
            b'"occurred_at": "2026-11-29T08:15:00+07:00"}',
            {"event_id", "call_id"},
        ),
    ],
)
def test_a_malformed_event_is_a_400_naming_its_fields(db, body, fields):
    response = deliver(body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert set(error["fields"]) == fields
    assert not TelephonyCall.objects.exists()
    # Refused, so not accepted: its signature is not kept.
    assert not WebhookSignature.objects.exists()


# ---------------------------------------------------------------------------------------------
# The operator's screen: calls waiting to be logged


def test_an_operator_sees_the_ringing_call_until_it_is_logged(world):
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=2)
    deliver(event("call.started", start, "e-1", call_id="cc-77"))
    deliver(event("call.answered", start + datetime.timedelta(seconds=5), "e-2", call_id="cc-77"))
    operator = api_for(world.hotline)
    response = operator.get(WAITING)
    assert response.status_code == 200
    [waiting] = response.json()["results"]
    assert waiting["call_id"] == "cc-77"
    assert waiting["caller_number_display"] == "0912 345 678"
    assert waiting["state"] == "answered"
    assert waiting["duration_seconds"] is None
    deliver(event("call.ended", start + datetime.timedelta(seconds=65), "e-3", call_id="cc-77"))
    [waiting] = operator.get(WAITING).json()["results"]
    assert (waiting["state"], waiting["duration_seconds"]) == ("ended", 60)
    # The operator logs it from the ringing call: its time, duration and number fill the form.
    logged = operator.post(
        "/api/v1/calls/",
        {
            "telephony": "cc-77",
            "call_type": "counselling",
            "caller_consents": True,
        },
        format="json",
    )
    assert logged.status_code == 201, logged.content
    data = logged.json()
    assert data["telephony"] == "cc-77"
    assert data["started_at"] == operator.get(f"/api/v1/calls/{data['id']}/").json()["started_at"]
    call = Call.objects.get(public_id=data["id"])
    assert (call.started_at, call.duration_seconds) == (start, 60)
    assert (call.caller_number, call.caller_number_kind) == ("+84912345678", "number")
    assert operator.get(WAITING).json()["results"] == []
    # The same ringing call cannot be logged twice.
    again = operator.post(
        "/api/v1/calls/", {"telephony": "cc-77", "call_type": "silent"}, format="json"
    )
    assert again.status_code == 400
    assert set(again.json()["error"]["fields"]) == {"telephony"}


def test_what_the_operator_types_wins_over_the_ringing_call(world):
    deliver(event(call_id="cc-8", number="113"))
    typed = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=1)
    response = api_for(world.hotline).post(
        "/api/v1/calls/",
        {
            "telephony": "cc-8",
            "call_type": "information",
            "caller_number": "",
            "started_at": typed.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["caller_number_kind"] == "withheld"
    assert Call.objects.get().started_at == typed


@pytest.mark.parametrize(
    ("number", "shown"),
    [("113", "113"), ("", None), ("anonymous", None), ("12", None)],
)
def test_the_waiting_list_shows_every_kind_of_number(world, number, shown):
    deliver(event(number=number))
    [waiting] = api_for(world.hotline).get(WAITING).json()["results"]
    assert waiting["caller_number_display"]
    if shown:
        assert shown in waiting["caller_number_display"]
    assert waiting["state"] == "ringing"


@pytest.mark.parametrize(
    "persona",
    ["officer", "officer2", "chairman", "collaborator", "school", "supervisor", "admin", "nobody"],
)
def test_only_operators_see_the_waiting_calls(world, persona):
    deliver(event())
    response = api_for(world.users[persona]).get(WAITING)
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert "912" not in response.content.decode()


def test_anonymous_users_see_no_waiting_calls(db):
    deliver(event())
    response = APIClient().get(WAITING)
    assert response.status_code == 401
    assert set(response.json()["error"]) == ERROR_KEYS
