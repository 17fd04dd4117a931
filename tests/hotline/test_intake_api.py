"""The intake API: calls, collaborator reports, triage, suggestions and Idempotency-Key."""

from __future__ import annotations

import datetime
import json
import threading
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from cases.models import Case, CaseDeadline
from hotline import services
from hotline.models import Call, CollaboratorReport, IdempotencyRecord

CALLS = "/api/v1/calls/"
REPORTS = "/api/v1/reports/"
ERROR_KEYS = {"status", "code", "message", "fields"}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def call_body(world, **extra) -> dict:
    started = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=30)
    return {
        "call_type": "report",
        "caller_number": "0912345678",
        "caller_consents": True,
        "caller_relation": "neighbour",
        "child_name": "Nguyễn Văn Đức",
        "child_age": 9,
        "incident_commune": world.commune.code,
        "narrative": "Trẻ bị cha đánh nhiều lần",
        "urgency": "high",
        "started_at": started.isoformat(),
        "duration_seconds": 420,
        **extra,
    }


def post_call(world, user=None, headers=None, **extra):
    return api_for(user or world.hotline).post(
        CALLS, call_body(world, **extra), format="json", headers=headers or {}
    )


def report_body(**extra) -> dict:
    return {
        "child_name": "Bé Na",
        "child_age": 6,
        "place": "Thôn 4",
        "narrative": "Bé bị bỏ đói nhiều ngày",
        "urgency": "high",
        **extra,
    }


def post_report(world, **extra):
    return api_for(world.collaborator).post(REPORTS, report_body(**extra), format="json")


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert error["status"] == status
    if code:
        assert error["code"] == code
    return error


# ---------------------------------------------------------------------------------------------
# The operator


@pytest.mark.parametrize(
    ("call_type", "status"),
    [
        ("report", "received"),
        ("counselling", "no_case"),
        ("information", "no_case"),
        ("silent", "no_case"),
        ("prank", "no_case"),
        ("wrong_number", "no_case"),
    ],
)
def test_an_operator_logs_every_call_type(world, call_type, status):
    extra = {} if call_type == "report" else {"incident_commune": None, "child_name": ""}
    response = post_call(world, call_type=call_type, **extra)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["call_type"], data["status"]) == (call_type, status)
    assert response["Location"] == f"{CALLS}{data['id']}/"
    assert data["operator"]["username"] == "hotline"
    assert "no-store" in response["Cache-Control"]
    detail = api_for(world.hotline).get(f"{CALLS}{data['id']}/")
    assert detail.status_code == 200
    assert detail.json() == data


@pytest.mark.parametrize("call_type", ["counselling", "silent", "prank", "wrong_number"])
def test_a_call_that_is_not_a_report_never_becomes_a_case(world, call_type):
    data = post_call(world, call_type=call_type).json()
    response = api_for(world.hotline).post(f"{CALLS}{data['id']}/open-case/", {}, format="json")
    assert_error(response, 409, "already_triaged")
    assert not Case.objects.filter(source="hotline").exists()


def test_a_report_call_opens_a_case_whose_clock_starts_at_the_call(world):
    data = post_call(world).json()
    response = api_for(world.hotline).post(f"{CALLS}{data['id']}/open-case/", format="json")
    assert response.status_code == 201, response.content
    opened = response.json()
    assert set(opened) == {"case", "number"}
    case = Case.objects.get(public_id=opened["case"])
    call = Call.objects.get(public_id=data["id"])
    assert opened["number"] == case.number
    assert case.received_at == call.started_at == parse_datetime(data["started_at"])
    assert case.commune == world.commune
    clock = CaseDeadline.objects.get(case=case, rule__code="emergency_12h")
    assert clock.starts_at == call.started_at
    assert clock.due_at == call.started_at + datetime.timedelta(hours=12)
    # The hotline follows the case it opened, and sees its 12-hour clock running.
    deadlines = api_for(world.hotline).get(f"/api/v1/cases/{case.public_id}/deadlines/")
    assert deadlines.status_code == 200
    [emergency] = [row for row in deadlines.json() if row["rule"] == "emergency_12h"]
    assert parse_datetime(emergency["starts_at"]) == call.started_at
    assert emergency["state"] == "open"
    assert 11 * 3600 < emergency["seconds_left"] < 12 * 3600
    # The call records the decision; the commune's officer finds the case in the list.
    detail = api_for(world.hotline).get(f"{CALLS}{data['id']}/").json()
    assert detail["status"] == "case_opened"
    assert detail["case"] == {"id": str(case.public_id), "number": case.number}
    assert detail["triaged_by"]["username"] == "hotline"
    cases = api_for(world.officer).get("/api/v1/cases/").json()["results"]
    assert str(case.public_id) in {row["id"] for row in cases}


def test_an_operator_may_open_the_case_in_another_commune(world):
    data = post_call(world).json()
    response = api_for(world.hotline).post(
        f"{CALLS}{data['id']}/open-case/", {"commune": world.other_commune.code}, format="json"
    )
    assert response.status_code == 201
    assert Case.objects.get(public_id=response.json()["case"]).commune == world.other_commune


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"commune": "00000-nope"}, "commune"),
        ({"commune": 12.5}, "commune"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_opening_a_case_with_a_bad_commune_names_the_field(world, body, field):
    data = post_call(world).json()
    response = api_for(world.hotline).post(f"{CALLS}{data['id']}/open-case/", body, format="json")
    assert field in assert_error(response, 400, "invalid")["fields"]
    assert Call.objects.get(public_id=data["id"]).status == "received"


def test_a_second_triage_is_a_conflict_and_the_first_decision_stands(world):
    data = post_call(world).json()
    client = api_for(world.hotline)
    assert client.post(f"{CALLS}{data['id']}/open-case/", format="json").status_code == 201
    for action, body in (
        ("open-case", {}),
        ("close", {"reason": "duplicate"}),
        ("link", {"case": str(world.case.public_id)}),
    ):
        response = client.post(f"{CALLS}{data['id']}/{action}/", body, format="json")
        assert_error(response, 409, "already_triaged")
    assert Call.objects.get(public_id=data["id"]).status == "case_opened"
    assert Case.objects.filter(source="hotline").count() == 1


def test_an_operator_closes_a_call_with_a_reason_from_the_list(world):
    data = post_call(world).json()
    client = api_for(world.hotline)
    response = client.post(f"{CALLS}{data['id']}/close/", {"reason": "bored"}, format="json")
    assert "reason" in assert_error(response, 400)["fields"]
    response = client.post(f"{CALLS}{data['id']}/close/", {}, format="json")
    assert "reason" in assert_error(response, 400)["fields"]
    response = client.post(
        f"{CALLS}{data['id']}/close/",
        {"reason": "out_of_scope", "note": "Người lớn"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["close_reason"]) == (
        "closed",
        "out_of_scope",
    )
    assert response.json()["triage_note"] == "Người lớn"


@pytest.mark.parametrize(
    "case_id",
    [
        lambda world: str(uuid.uuid4()),
        lambda world: "not-a-uuid",
        lambda world: None,
    ],
)
def test_linking_to_no_open_case_names_the_case(world, case_id):
    data = post_call(world).json()
    response = api_for(world.hotline).post(
        f"{CALLS}{data['id']}/link/", {"case": case_id(world), "note": "x"}, format="json"
    )
    assert "case" in assert_error(response, 400)["fields"]
    assert Call.objects.get(public_id=data["id"]).status == "received"


def test_a_closed_case_cannot_be_linked_to(world):
    Case.objects.filter(pk=world.other_case.pk).update(status="closed")
    data = post_call(world).json()
    response = api_for(world.hotline).post(
        f"{CALLS}{data['id']}/link/", {"case": str(world.other_case.public_id)}, format="json"
    )
    assert "case" in assert_error(response, 400)["fields"]


def test_the_hotline_links_a_call_only_to_a_case_it_follows(world):
    # Need to know: linking must not become a way into a case the hotline never received.
    data = post_call(world, incident_commune=world.other_commune.code).json()
    hidden = world.other_case
    refused = api_for(world.hotline).post(
        f"{CALLS}{data['id']}/link/", {"case": str(hidden.public_id)}, format="json"
    )
    assert refused.status_code == 400
    assert "case" in refused.json()["error"]["fields"]
    assert api_for(world.hotline).get(f"/api/v1/cases/{hidden.public_id}/").status_code == 404
    suggested = api_for(world.hotline).get(f"{CALLS}{data['id']}/suggestions/").json()
    assert str(hidden.public_id) not in str(suggested)
    response = api_for(world.hotline).post(
        f"{CALLS}{data['id']}/link/",
        {"case": str(world.case.public_id), "note": "Gọi lại"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "linked"
    assert response.json()["case"]["number"] == world.case.number
    assert response.json()["triage_note"] == "Gọi lại"


def test_the_call_list_filters_by_status_and_type_and_the_inbox(world):
    client = api_for(world.hotline)
    urgent = post_call(world, urgency="emergency").json()
    normal = post_call(world, urgency="normal").json()
    prank = post_call(world, call_type="prank").json()
    triaged = post_call(world).json()
    client.post(f"{CALLS}{triaged['id']}/close/", {"reason": "duplicate"}, format="json")

    def ids(query: str) -> list[str]:
        response = client.get(f"{CALLS}{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert set(ids("")) == {urgent["id"], normal["id"], prank["id"], triaged["id"]}
    assert ids("?inbox=1") == [urgent["id"], normal["id"]]  # most urgent first
    assert ids("?call_type=prank") == [prank["id"]]
    assert ids("?status=closed") == [triaged["id"]]
    assert ids("?status=received&call_type=report") == [normal["id"], urgent["id"]]
    assert ids("?inbox=1&status=closed") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("?status=lost", "status"), ("?call_type=joke", "call_type"), ("?inbox=maybe", "inbox")],
)
def test_a_bad_filter_names_the_parameter(world, query, field):
    response = api_for(world.hotline).get(f"{CALLS}{query}")
    assert field in assert_error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"call_type": "gossip"}, {"call_type"}),
        ({"started_at": "yesterday"}, {"started_at"}),
        ({"duration_seconds": "long"}, {"duration_seconds"}),
        ({"duration_seconds": -1}, {"duration_seconds"}),
        ({"child_age": 30}, {"child_age"}),
        ({"child_age": "nine"}, {"child_age"}),
        ({"caller_consents": "perhaps"}, {"caller_consents"}),
        ({"channel": "pigeon"}, {"channel"}),
        ({"incident_commune": "99999999"}, {"incident_commune"}),
        ({"incident_commune": ["00001"]}, {"incident_commune"}),
        ({"incident_commune": None}, {"incident_commune"}),  # a report needs a commune
        ({"child_name": "x" * 201}, {"child_name"}),
        ({"telephony": "never-rang"}, {"telephony"}),
        ({"operator": "someone"}, {"operator"}),
    ],
)
def test_bad_call_input_is_a_400_naming_the_field_and_saves_nothing(world, extra, fields):
    response = post_call(world, **extra)
    assert set(assert_error(response, 400, "invalid")["fields"]) == fields
    assert not Call.objects.exists()


def test_a_start_time_in_the_future_is_refused(world):
    future = timezone.now() + datetime.timedelta(hours=2)
    response = post_call(world, started_at=future.isoformat())
    assert "started_at" in assert_error(response, 400)["fields"]


def test_a_body_that_is_not_an_object_is_a_400(world):
    response = api_for(world.hotline).post(CALLS, [1, 2], format="json")
    assert_error(response, 400, "invalid")
    response = api_for(world.hotline).post(CALLS, data="{not json", content_type="application/json")
    assert_error(response, 400)


def test_a_commune_no_longer_in_force_is_refused(world):
    from tests.factories import CommuneFactory

    retired = CommuneFactory(
        parent=world.province,
        valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2025, 6, 30),
    )
    response = post_call(world, incident_commune=retired.code)
    assert "incident_commune" in assert_error(response, 400)["fields"]


@pytest.mark.parametrize(
    "persona",
    ["officer", "chairman", "collaborator", "school", "supervisor", "auditor", "admin", "nobody"],
)
def test_only_operators_log_calls_and_others_see_no_calls(world, persona):
    post_call(world)
    user = world.users[persona]
    response = post_call(world, user=user, call_type="gossip")  # refused before the fields
    assert_error(response, 403, "permission_denied")
    assert Call.objects.count() == 1
    listing = api_for(user).get(CALLS)
    assert listing.status_code == 200
    assert listing.json()["results"] == []
    assert api_for(user).get(f"{CALLS}?inbox=1").json()["results"] == []


def test_anonymous_requests_get_the_error_shape(world):
    for url in (CALLS, REPORTS, "/api/v1/telephony/waiting/"):
        response = APIClient().get(url)
        assert_error(response, 401)


# ---------------------------------------------------------------------------------------------
# Phone numbers


@pytest.mark.parametrize(
    ("raw", "consents", "value", "kind", "display"),
    [
        ("0912345678", True, "+84912345678", "number", "0912 345 678"),
        ("+84 912 345 678", True, "+84912345678", "number", "0912 345 678"),
        ("024 3747 1111", True, "+842437471111", "number", "024 3747 1111"),
        ("0912345678", False, "", "number", None),
        ("", True, "", "withheld", None),
        ("anonymous", False, "", "withheld", None),
        ("113", False, "113", "short", None),
    ],
)
def test_caller_numbers_valid_withheld_and_short(world, raw, consents, value, kind, display):
    response = post_call(world, caller_number=raw, caller_consents=consents)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["caller_number"], data["caller_number_kind"]) == (value, kind)
    if display:
        assert data["caller_number_display"] == display
    else:
        assert data["caller_number_display"]
        assert "912" not in data["caller_number_display"]
    call = Call.objects.get(public_id=data["id"])
    assert call.caller_number == value
    if not consents:
        assert "0912345678" not in json.dumps(data)


@pytest.mark.parametrize("raw", ["091234", "012", "abc", "0912 345 678 999", "+84 000"])
def test_an_invalid_number_is_a_400_naming_caller_number(world, raw):
    response = post_call(world, caller_number=raw)
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"caller_number"}
    assert "0912 345 678" in error["fields"]["caller_number"][0]  # says what would do
    assert not Call.objects.exists()


def test_a_caller_who_does_not_consent_leaves_no_identity(world):
    response = post_call(world, caller_consents=False, caller_name="Bà Tư", caller_address="Thôn 2")
    data = response.json()
    assert (data["caller_name"], data["caller_address"], data["caller_number"]) == ("", "", "")


# ---------------------------------------------------------------------------------------------
# Duplicate suggestions


def test_a_repeat_call_about_the_same_child_suggests_the_first_call_and_its_case(world):
    client = api_for(world.hotline)
    first = post_call(world, child_name="Nguyễn Văn Đức").json()
    opened = client.post(f"{CALLS}{first['id']}/open-case/", format="json").json()
    again = post_call(
        world,
        child_name="nguyen van duc",
        caller_number="+84 912 345 678",
        narrative="Lại bị đánh",
    ).json()
    response = client.get(f"{CALLS}{again['id']}/suggestions/")
    assert response.status_code == 200
    rows = {(row["kind"], row["id"]): row for row in response.json()}
    call_row = rows[("call", first["id"])]
    assert set(call_row["reasons"]) == {"number", "name"}
    assert set(call_row) == {"kind", "id", "reasons", "started_at", "status"}
    assert call_row["status"] == "case_opened"
    case_row = rows[("case", opened["case"])]
    assert {"name", "number", "commune"} <= set(case_row["reasons"])
    assert set(case_row) == {
        "kind",
        "id",
        "reasons",
        "number",
        "commune",
        "status",
        "received_at",
    }
    assert (case_row["number"], case_row["commune"]) == (opened["number"], world.commune.name)
    text = response.content.decode()
    for secret in ("Đức", "duc", "Trẻ bị cha đánh", "Lại bị đánh", "0912 345", "+84912345678"):
        assert secret not in text
    # Linking the repeat call to the case it suggested.
    response = client.post(
        f"{CALLS}{again['id']}/link/", {"case": opened["case"], "note": "Gọi lại"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["case"]["id"] == opened["case"]


def test_an_officers_suggestions_stay_within_what_it_sees(world):
    from tests.factories import make_case

    make_case(world.far_commune, "Bé Na")
    own = make_case(world.commune, "Bé Na")
    report = post_report(world).json()
    response = api_for(world.officer).get(f"{REPORTS}{report['id']}/suggestions/")
    assert response.status_code == 200
    cases = [row for row in response.json() if row["kind"] == "case"]
    assert {row["id"] for row in cases} == {str(own.public_id), str(world.case.public_id)}


# ---------------------------------------------------------------------------------------------
# The collaborator and the officer


def test_a_collaborator_reports_and_sees_only_the_status_of_own_reports(world):
    response = post_report(world)
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["view"] == "own"
    assert sent["status"] == "received"
    assert (sent["child_name"], sent["place"], sent["urgency"]) == ("Bé Na", "Thôn 4", "high")
    assert sent["commune"]["code"] == world.commune.code
    assert response["Location"] == f"{REPORTS}{sent['id']}/"
    # It lands in the commune's inbox.
    inbox = api_for(world.officer).get(f"{REPORTS}?inbox=1").json()["results"]
    assert [row["id"] for row in inbox] == [sent["id"]]
    assert inbox[0]["view"] == "triage"
    assert inbox[0]["collaborator"]["username"] == "collaborator"
    # The officer opens a case from it.
    opened = api_for(world.officer).post(f"{REPORTS}{sent['id']}/open-case/", format="json")
    assert opened.status_code == 201, opened.content
    case = Case.objects.get(public_id=opened.json()["case"])
    assert case.source == "collaborator"
    # The collaborator sees that a case exists, and nothing of it.
    collaborator = api_for(world.collaborator)
    listing = collaborator.get(REPORTS)
    detail = collaborator.get(f"{REPORTS}{sent['id']}/")
    assert [row["status"] for row in listing.json()["results"]] == ["case_opened"]
    assert detail.json()["status"] == "case_opened"
    for response in (listing, detail):
        text = response.content.decode()
        assert str(case.public_id) not in text
        assert case.number not in text
        assert '"case"' not in text
    assert set(detail.json()) == {
        "id",
        "view",
        "status",
        "created_at",
        "child_name",
        "child_age",
        "commune",
        "place",
        "narrative",
        "urgency",
    }
    assert_error(collaborator.get(f"/api/v1/cases/{case.public_id}/"), 404, "not_found")
    assert collaborator.get("/api/v1/cases/").json()["results"] == []


def test_a_collaborator_sees_only_own_reports(world):
    from tests.factories import make_user

    other = make_user((world.committee, "collaborator"), username="collaborator2")
    mine = post_report(world).json()
    theirs = api_for(other).post(REPORTS, report_body(), format="json").json()
    listing = api_for(world.collaborator).get(REPORTS).json()["results"]
    assert [row["id"] for row in listing] == [mine["id"]]
    assert_error(api_for(world.collaborator).get(f"{REPORTS}{theirs['id']}/"), 404)
    officer = api_for(world.officer).get(REPORTS).json()["results"]
    assert {row["id"] for row in officer} == {mine["id"], theirs["id"]}


@pytest.mark.parametrize("action", ["open-case", "link", "close"])
def test_a_collaborator_may_not_triage_own_report(world, action):
    sent = post_report(world).json()
    response = api_for(world.collaborator).post(f"{REPORTS}{sent['id']}/{action}/", format="json")
    assert_error(response, 403, "permission_denied")
    assert CollaboratorReport.objects.get(public_id=sent["id"]).status == "received"


def test_a_collaborator_gets_no_suggestions(world):
    sent = post_report(world).json()
    response = api_for(world.collaborator).get(f"{REPORTS}{sent['id']}/suggestions/")
    assert_error(response, 403)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"narrative": "  "}, "narrative"),
        ({"narrative": None}, "narrative"),
        ({"urgency": "whenever"}, "urgency"),
        ({"child_age": -1}, "child_age"),
        ({"child_age": "six"}, "child_age"),
        ({"commune": "nope"}, "commune"),
        ({"case": "x"}, "case"),
    ],
)
def test_bad_report_input_names_the_field(world, extra, field):
    response = post_report(world, **extra)
    assert field in assert_error(response, 400, "invalid")["fields"]
    assert not CollaboratorReport.objects.exists()


def test_a_collaborator_reports_for_their_own_commune_only(world):
    response = post_report(world, commune=world.other_commune.code)
    assert "commune" in assert_error(response, 400)["fields"]


@pytest.mark.parametrize("persona", ["hotline", "officer", "school", "admin", "nobody"])
def test_only_collaborators_send_reports(world, persona):
    response = api_for(world.users[persona]).post(REPORTS, report_body(), format="json")
    assert_error(response, 403)
    assert not CollaboratorReport.objects.exists()


def test_the_officer_links_and_closes_reports(world):
    officer = api_for(world.officer)
    first = post_report(world).json()
    second = post_report(world, narrative="Bé Na lại bị bỏ đói").json()
    response = officer.post(
        f"{REPORTS}{first['id']}/link/",
        {"case": str(world.case.public_id), "note": "Cùng trẻ"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "linked"
    assert response.json()["case"]["id"] == str(world.case.public_id)
    response = officer.post(
        f"{REPORTS}{second['id']}/close/", {"reason": "duplicate"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["close_reason"] == "duplicate"
    assert officer.get(f"{REPORTS}?inbox=1").json()["results"] == []
    statuses = {row["id"]: row["status"] for row in officer.get(REPORTS).json()["results"]}
    assert statuses == {first["id"]: "linked", second["id"]: "closed"}
    closed = officer.get(f"{REPORTS}?status=closed").json()["results"]
    assert [row["id"] for row in closed] == [second["id"]]
    # The collaborator sees the outcomes, not the case.
    own = api_for(world.collaborator).get(REPORTS).content.decode()
    assert str(world.case.public_id) not in own
    assert world.case.number not in own


def test_an_officer_links_a_report_only_to_a_case_it_can_see(world):
    sent = post_report(world).json()
    for case in (world.far_case, world.other_case):
        response = api_for(world.officer).post(
            f"{REPORTS}{sent['id']}/link/", {"case": str(case.public_id)}, format="json"
        )
        error = assert_error(response, 400)
        assert set(error["fields"]) == {"case"}
        # The same answer as a case that does not exist: no oracle.
        missing = api_for(world.officer).post(
            f"{REPORTS}{sent['id']}/link/", {"case": str(uuid.uuid4())}, format="json"
        )
        assert assert_error(missing, 400)["fields"] == error["fields"]


def test_the_officer_of_another_commune_has_an_empty_inbox(world):
    post_report(world)
    response = api_for(world.officer2).get(f"{REPORTS}?inbox=1")
    assert response.json()["results"] == []
    assert api_for(world.officer2).get(REPORTS).json()["results"] == []


# ---------------------------------------------------------------------------------------------
# Outsiders: 404 on every detail and action


CALL_OUTSIDERS = [
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
REPORT_OUTSIDERS = [
    "officer2",
    "far_officer",
    "chairman",
    "hotline",
    "school",
    "supervisor",
    "auditor",
    "admin",
    "nobody",
]
ENDPOINTS = [
    ("get", ""),
    ("post", "open-case/"),
    ("post", "link/"),
    ("post", "close/"),
    ("get", "suggestions/"),
]


def _request(client: APIClient, method: str, url: str):
    if method == "get":
        return client.get(url)
    return client.post(url, {"reason": "duplicate", "case": "x"}, format="json")


@pytest.mark.parametrize("persona", CALL_OUTSIDERS)
@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_outsiders_get_404_on_every_call_detail_and_action(world, persona, method, suffix):
    data = post_call(world).json()
    response = _request(api_for(world.users[persona]), method, f"{CALLS}{data['id']}/{suffix}")
    assert_error(response, 404, "not_found")
    assert "Đức" not in response.content.decode()
    assert Call.objects.get(public_id=data["id"]).status == "received"


@pytest.mark.parametrize("persona", REPORT_OUTSIDERS)
@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_outsiders_get_404_on_every_report_detail_and_action(world, persona, method, suffix):
    sent = post_report(world).json()
    response = _request(api_for(world.users[persona]), method, f"{REPORTS}{sent['id']}/{suffix}")
    assert_error(response, 404, "not_found")
    assert "Bé Na" not in response.content.decode()
    assert CollaboratorReport.objects.get(public_id=sent["id"]).status == "received"


@pytest.mark.parametrize("base", [CALLS, REPORTS])
@pytest.mark.parametrize("item_id", ["not-a-uuid", str(uuid.uuid4())])
@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_a_malformed_or_unknown_id_is_a_404(world, base, item_id, method, suffix):
    user = world.hotline if base == CALLS else world.officer
    response = _request(api_for(user), method, f"{base}{item_id}/{suffix}")
    assert_error(response, 404, "not_found")


# ---------------------------------------------------------------------------------------------
# Idempotency-Key


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(world):
    key = {"Idempotency-Key": "call-2026-0001"}
    # One body sent twice (call_body reads the clock: two bodies a second apart differ).
    body = call_body(world)
    first = api_for(world.hotline).post(CALLS, body, format="json", headers=key)
    again = api_for(world.hotline).post(CALLS, body, format="json", headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Call.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(world):
    key = {"Idempotency-Key": "call-2026-0002"}
    assert post_call(world, headers=key).status_code == 201
    response = post_call(world, headers=key, child_age=10)
    assert_error(response, 422, "idempotency_key_reused")
    assert Call.objects.count() == 1


def test_without_a_key_two_creates_create_two(world):
    assert post_call(world).status_code == 201
    assert post_call(world).status_code == 201
    assert Call.objects.count() == 2


def test_a_failed_create_does_not_use_up_its_key(world):
    key = {"Idempotency-Key": "call-2026-0003"}
    failed = post_call(world, headers=key, caller_number="12")
    assert_error(failed, 400)
    corrected = post_call(world, headers=key)
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected
    assert Call.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="call-2026-0003").count() == 1


def test_keys_belong_to_their_user(world):
    from tests.factories import make_user

    other = make_user((world.hotline_org, "hotline_operator"), username="hotline2")
    key = {"Idempotency-Key": "shift-start"}
    assert post_call(world, headers=key).status_code == 201
    response = post_call(world, user=other, headers=key)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Call.objects.count() == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_unusable_key_is_a_400(world, key):
    response = post_call(world, headers={"Idempotency-Key": key})
    assert_error(response, 400, "invalid_idempotency_key")
    assert not Call.objects.exists()


def test_collaborator_reports_are_idempotent_too(world):
    client = api_for(world.collaborator)
    key = {"Idempotency-Key": "report-from-the-field"}
    first = client.post(REPORTS, report_body(), format="json", headers=key)
    again = client.post(REPORTS, report_body(), format="json", headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CollaboratorReport.objects.count() == 1
    other = client.post(REPORTS, report_body(place="Thôn 5"), format="json", headers=key)
    assert_error(other, 422, "idempotency_key_reused")


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_call(world, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's test database is one shared in-memory connection that serialises "
            "writers; this race is tested on PostgreSQL (DATABASE_URL=postgres://...)"
        )
    real_call_log = services.call_log

    def slow_call_log(**kwargs):
        time.sleep(0.3)  # both requests are in flight at once
        return real_call_log(**kwargs)

    monkeypatch.setattr(services, "call_log", slow_call_log)
    body = call_body(world)
    barrier = threading.Barrier(2)
    results: list[tuple[int, str | None, dict]] = []
    errors: list[BaseException] = []

    def retry() -> None:
        try:
            client = api_for(world.hotline)
            barrier.wait()
            response = client.post(
                CALLS, body, format="json", headers={"Idempotency-Key": "race-1"}
            )
            results.append(
                (response.status_code, response.get("Idempotent-Replayed"), response.json())
            )
        except Exception as error:  # reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert [status for status, _replayed, _data in results] == [201, 201]
    assert sorted(str(replayed) for _status, replayed, _data in results) == ["None", "true"]
    assert results[0][2] == results[1][2]
    assert Call.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("when", ["0001-01-01", "9999-12-31T23:59:59+07:00", "1999-12-31"])
def test_an_absurd_start_time_is_a_400_naming_it(world, when):
    response = post_call(world, started_at=when)
    assert response.status_code == 400
    assert "started_at" in response.json()["error"]["fields"]
    assert not Call.objects.exists()


def test_a_lone_surrogate_as_a_commune_code_is_a_400(world):
    body = json.dumps(call_body(world)).replace(json.dumps(world.commune.code), '"\\ud800"')
    response = api_for(world.hotline).post(CALLS, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "incident_commune" in response.json()["error"]["fields"]
