"""
The cases API of issue #3: the record and its parts, the Decree 56 workflow, deadlines, notes and
documents. Same door as the pages (404 for what a user may not see), the services decide who may
act (403), and every failure has the one error shape.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import Role
from cases.models import Assessment, Case, CaseDocument, CaseNote, FamilyMember, Plan
from cases.services import case_share_grant
from cases.workflow import STEPS
from tests.factories import make_case, make_user

RATINGS = {name: "medium" for name in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS}
LOW = {name: "low" for name in RATINGS}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(case: Case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.public_id}/{suffix}"


def today() -> datetime.date:
    return timezone.localdate()


def take(client: APIClient, case: Case, step: str, expect: int = 201, **data) -> dict:
    """Take a step through the API and check the answer's status."""
    response = client.post(url(case, "transitions/"), {"step": step, **data}, format="json")
    assert response.status_code == expect, response.json()
    return response.json()


def error_fields(response) -> dict:
    body = response.json()
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == response.status_code
    return body["error"]["fields"]


def plan_payload(world, **extra) -> dict:
    return {
        "objectives": "Giữ an toàn cho trẻ và hỗ trợ gia đình",
        "monitoring": "Cán bộ bảo vệ trẻ em thăm nhà hằng tuần",
        "review_on": str(today() + datetime.timedelta(days=30)),
        "activities": [
            {
                "measure": "s_skills",
                "description": "Dạy kỹ năng tự bảo vệ",
                "organisation": str(world.school_org.public_id),
                "starts_on": str(today()),
                "ends_on": str(today() + datetime.timedelta(days=20)),
                "cost": "500000",
            },
            {
                "measure": "s_carer_counselling",
                "description": "Tư vấn cho cha mẹ",
                "organisation": None,
                "person_responsible": "Cán bộ xã",
                "starts_on": str(today()),
                "ends_on": str(today() + datetime.timedelta(days=10)),
            },
        ],
        **extra,
    }


SPECIFIC = {
    **RATINGS,
    "physical_emotional_state": "Trẻ sợ hãi, có vết bầm",
    "family_capacity": "Mẹ có khả năng bảo vệ",
    "needs": "Tư vấn tâm lý, hỗ trợ học tập",
}
MEETING = {"chaired_by": "Chủ tịch UBND xã", "attendees": "Cán bộ, mẹ, giáo viên", "minutes": "…"}
APPROVAL = {"decision_number": "12/QĐ-UBND"}


def to_needs_meeting(world, case: Case) -> None:
    officer = api_for(world.officer)
    take(officer, case, "assess_initial", **RATINGS, emergency_required=False)
    take(officer, case, "assess_specific", **SPECIFIC)
    take(officer, case, "hold_needs_meeting", **MEETING)


def to_implementation(world, case: Case) -> None:
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    to_needs_meeting(world, case)
    take(officer, case, "draft_plan", **plan_payload(world))
    take(officer, case, "submit_plan")
    take(chairman, case, "approve_plan", **APPROVAL, decision_date=str(today()))
    take(officer, case, "start_implementation")


@pytest.fixture
def media(settings, tmp_path):
    """Keep uploads in tmp_path (the document storage reads MEDIA_ROOT lazily)."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client: APIClient, case: Case, name: str = "bien-ban.pdf", content: bytes = PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        url(case, "documents/"),
        {"file": file, "kind": "minutes", "description": "Biên bản họp"},
        format="multipart",
    )


# ---------------------------------------------------------------------------------------------
# The whole path


def test_the_officer_and_chairman_take_a_case_from_receipt_to_closure(world):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    case = world.case

    result = take(officer, case, "assess_initial", **RATINGS, emergency_required=False)
    assert result["case"]["status"] == "initial_assessed"
    assert result["transition"]["step"] == "assess_initial"
    assert result["transition"]["actor"]["username"] == "officer"
    assert uuid.UUID(result["related_id"])
    take(officer, case, "assess_specific", **SPECIFIC)
    take(officer, case, "hold_needs_meeting", **MEETING)
    drafted = take(officer, case, "draft_plan", **plan_payload(world))
    assert drafted["case"]["status"] == "plan_drafted"
    take(officer, case, "submit_plan")
    approved = take(chairman, case, "approve_plan", **APPROVAL, decision_date=str(today()))
    assert approved["case"]["status"] == "plan_approved"
    take(officer, case, "start_implementation")
    take(
        officer,
        case,
        "record_review",
        **LOW,
        no_remaining_risk=True,
        child_stable=True,
        recommendation="close",
    )
    closed = take(chairman, case, "close", reason="Trẻ đã an toàn")
    assert closed["case"]["status"] == "closed"

    history = officer.get(url(case, "transitions/")).json()
    assert [row["step"] for row in history["results"]] == [
        "assess_initial",
        "assess_specific",
        "hold_needs_meeting",
        "draft_plan",
        "submit_plan",
        "approve_plan",
        "start_implementation",
        "record_review",
        "close",
    ]
    last = history["results"][-1]
    assert (last["from_status"], last["to_status"]) == ("under_review", "closed")
    assert last["actor"] == {"username": "chairman", "full_name": world.chairman.full_name}
    assert last["reason"] == "Trẻ đã an toàn"
    assert history["results"][5]["details"]["decision_number"] == "12/QĐ-UBND"

    assessments = officer.get(url(case, "assessments/")).json()
    assert [a["kind"] for a in assessments] == ["initial", "specific", "review"]
    assert assessments[0]["tally"] == {"high": 0, "medium": 5, "low": 0}
    assert assessments[2]["tally"] == {"high": 0, "medium": 0, "low": 5}
    assert assessments[0]["harm_severity"] == "medium"

    plans = officer.get(url(case, "plans/")).json()
    assert len(plans) == 1
    plan = plans[0]
    assert (plan["version"], plan["status"], plan["decision_number"]) == (
        1,
        "approved",
        "12/QĐ-UBND",
    )
    assert plan["approved_by"]["username"] == "chairman"
    activity = next(a for a in plan["activities"] if a["measure"] == "s_skills")
    assert activity["organisation"] == {
        "id": str(world.school_org.public_id),
        "name": world.school_org.name,
    }
    assert activity["cost"] == "500000"
    meetings = officer.get(url(case, "needs-meetings/")).json()
    assert meetings[0]["chaired_by"] == "Chủ tịch UBND xã"
    assert meetings[0]["recorded_by"]["username"] == "officer"
    assert officer.get(url(case, "steps/")).json() == []


def test_a_separation_is_decided_extended_within_and_beyond_15_days_and_ended(world):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    case = world.case
    now = timezone.now()
    decided = take(
        chairman,
        case,
        "decide_emergency",
        kind="separation",
        decision_number="05/QĐ-UBND",
        measures="Đưa trẻ đến nơi ở an toàn",
        separated_from="Cha đẻ",
        ground="carer_abuse",
        safe_place="Nhà bà ngoại",
        alternative_care="Bà ngoại chăm sóc",
        ends_at=(now + datetime.timedelta(days=10)).isoformat(),
    )
    assert decided["case"]["status"] == "emergency_protection"
    decision_id = decided["related_id"]
    decisions = officer.get(url(case, "emergency-decisions/")).json()
    assert [d["id"] for d in decisions] == [decision_id]
    assert decisions[0]["is_active_separation"] is True

    take(
        chairman,
        case,
        "extend_separation",
        decision=decision_id,
        new_ends_at=(now + datetime.timedelta(days=14)).isoformat(),
        reason="Chờ đánh giá gia đình",
    )
    too_long = take(
        chairman,
        case,
        "extend_separation",
        expect=400,
        decision=decision_id,
        new_ends_at=(now + datetime.timedelta(days=20)).isoformat(),
        reason="Cần thêm thời gian",
    )
    assert "new_ends_at" in too_long["error"]["fields"]
    take(
        chairman,
        case,
        "extend_separation",
        decision=decision_id,
        new_ends_at=(now + datetime.timedelta(days=20)).isoformat(),
        reason="Theo yêu cầu của Tòa án",
        authority_reference="Công văn 77/TA ngày hôm nay",
    )
    extensions = officer.get(url(case, "emergency-decisions/")).json()[0]["extensions"]
    assert len(extensions) == 2
    assert extensions[1]["authority_reference"] == "Công văn 77/TA ngày hôm nay"
    clock = next(
        d for d in officer.get(url(case, "deadlines/")).json() if d["rule"] == "separation_15d"
    )
    assert clock["state"] == "open"
    due = datetime.datetime.fromisoformat(clock["due_at"])
    assert abs(due - (now + datetime.timedelta(days=20))) < datetime.timedelta(seconds=1)
    assert clock["note"] == "Công văn 77/TA ngày hôm nay"

    refused = take(
        chairman,
        case,
        "end_separation",
        expect=400,
        decision=decision_id,
        reason="Mẹ đảm bảo an toàn",
    )
    assert "Mẫu 03" in refused["error"]["fields"]["basis"][0]
    take(officer, case, "assess_specific", **SPECIFIC, carer_safe=True)
    ended = take(
        chairman, case, "end_separation", decision=decision_id, reason="Mẹ đảm bảo an toàn"
    )
    assert ended["case"]["status"] == "specific_assessed"
    decision = officer.get(url(case, "emergency-decisions/")).json()[0]
    assert decision["ended_at"] is not None
    assert decision["end_reason"] == "Mẹ đảm bảo an toàn"
    assert decision["is_active_separation"] is False
    clocks = {d["rule"]: d for d in officer.get(url(case, "deadlines/")).json()}
    assert clocks["separation_15d"]["state"] == "met"
    assert clocks["emergency_12h"]["state"] == "met"
    # Nothing left to extend or end.
    again = take(chairman, case, "end_separation", expect=400, decision=decision_id, reason="x")
    assert "decision" in again["error"]["fields"]
    # The detailed assessment came with the emergency; from here it can be recorded again.
    take(officer, case, "assess_specific", expect=409, **SPECIFIC)
    take(officer, case, "reassess_specific", **SPECIFIC, carer_safe=True)


def test_the_chairman_returns_the_plan_and_the_officer_resubmits_it(world):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    case = world.case
    to_needs_meeting(world, case)
    take(officer, case, "draft_plan", **plan_payload(world))
    take(officer, case, "submit_plan")
    no_reason = take(chairman, case, "return_plan", expect=400)
    assert "reason" in no_reason["error"]["fields"]
    returned = take(chairman, case, "return_plan", reason="Bổ sung nguồn lực")
    assert returned["case"]["status"] == "plan_drafted"
    take(officer, case, "draft_plan", **plan_payload(world, objectives="Mục tiêu đã sửa"))
    take(officer, case, "submit_plan")
    take(chairman, case, "approve_plan", **APPROVAL, decision_date=str(today()))
    plans = officer.get(url(case, "plans/")).json()
    assert [(p["version"], p["status"], p["submission_count"]) for p in plans] == [
        (1, "approved", 2)
    ]
    assert plans[0]["objectives"] == "Mục tiêu đã sửa"


def test_a_review_that_calls_for_a_new_plan_leads_to_version_2_and_supersedes_version_1(world):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    case = world.case
    to_implementation(world, case)
    review = {**RATINGS, "no_remaining_risk": False, "child_stable": True}
    # Closing needs both Art. 30 conditions.
    refused = take(officer, case, "record_review", expect=400, **review, recommendation="close")
    assert "recommendation" in refused["error"]["fields"]
    take(officer, case, "record_review", **review, recommendation="new_plan")
    # The chairman may not close while risk remains.
    take(chairman, case, "close", expect=409)
    take(officer, case, "draft_plan", **plan_payload(world, objectives="Kế hoạch lần 2"))
    take(officer, case, "submit_plan")
    plans = officer.get(url(case, "plans/")).json()
    assert [(p["version"], p["status"]) for p in plans] == [(1, "approved"), (2, "submitted")]
    take(chairman, case, "approve_plan", decision_number="20/QĐ-UBND", decision_date=str(today()))
    plans = officer.get(url(case, "plans/")).json()
    assert [(p["version"], p["status"]) for p in plans] == [(1, "superseded"), (2, "approved")]
    assert plans[0]["decision_number"] == "12/QĐ-UBND"
    assert plans[0]["activities"]


def test_a_case_is_merged_into_a_visible_case_but_not_into_one_the_officer_cannot_see(world):
    officer = api_for(world.officer)
    duplicate = make_case(world.commune, "Nguyễn Văn An")
    hidden = take(officer, duplicate, "merge", expect=400, into=str(world.far_case.public_id))
    assert "into" in hidden["error"]["fields"]
    missing = take(officer, duplicate, "merge", expect=400, into=str(uuid.uuid4()))
    assert missing["error"]["fields"].keys() == hidden["error"]["fields"].keys()
    assert missing["error"]["message"] == hidden["error"]["message"]
    merged = take(officer, duplicate, "merge", into=str(world.case.public_id), reason="Trùng")
    assert merged["case"]["status"] == "merged"
    assert merged["case"]["merged_into"] == str(world.case.public_id)


def test_a_transfer_moves_the_case_to_the_other_commune_and_out_of_the_officers_reach(world):
    officer = api_for(world.officer)
    bad = take(officer, world.case, "transfer", expect=400, commune="99999999", reason="x")
    assert "commune" in bad["error"]["fields"]
    moved = take(
        officer, world.case, "transfer", commune=world.other_commune.code, reason="Trẻ chuyển nhà"
    )
    assert moved["case"] is None
    assert moved["transition"]["details"]["to_commune"] == world.other_commune.code
    assert officer.get(url(world.case)).status_code == 404
    assert api_for(world.officer2).get(url(world.case)).status_code == 200


def test_a_report_that_is_not_substantiated_is_finished_with_its_reason(world):
    officer = api_for(world.officer)
    missing = take(officer, world.case, "mark_not_substantiated", expect=400)
    assert "reason" in missing["error"]["fields"]
    done = take(officer, world.case, "mark_not_substantiated", reason="Tin báo không đúng")
    assert done["case"]["status"] == "not_substantiated"
    assert done["case"]["closed_at"]


# ---------------------------------------------------------------------------------------------
# Refused transitions


def test_a_step_from_the_wrong_state_is_a_conflict_that_names_the_step(world):
    response = api_for(world.officer).post(
        url(world.case, "transitions/"), {"step": "submit_plan"}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "step_not_available"
    with translation.override("vi"):
        assert str(STEPS["submit_plan"].label) in error["message"]
    world.case.refresh_from_db()
    assert world.case.status == "received"
    assert not world.case.transitions.exists()


@pytest.mark.parametrize(
    ("persona", "step", "state"),
    [
        ("officer", "approve_plan", "plan_submitted"),
        ("officer", "return_plan", "plan_submitted"),
        ("chairman", "draft_plan", "needs_meeting_held"),
        ("chairman", "assess_initial", "received"),
        ("hotline", "assess_initial", "received"),
    ],
)
def test_a_role_that_may_not_take_the_step_is_forbidden(world, persona, step, state):
    case = world.case
    if state != "received":
        to_needs_meeting(world, case)
    if state == "plan_submitted":
        take(api_for(world.officer), case, "draft_plan", **plan_payload(world))
        take(api_for(world.officer), case, "submit_plan")
    payload = {
        "received": {**RATINGS, "emergency_required": False},
        "needs_meeting_held": plan_payload(world),
        "plan_submitted": {**APPROVAL, "decision_date": str(today()), "reason": "x"},
    }[state]
    if step == "approve_plan":
        payload.pop("reason")
    if step == "return_plan":
        payload = {"reason": "x"}
    response = api_for(world.users[persona]).post(
        url(case, "transitions/"), {"step": step, **payload}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    case.refresh_from_db()
    assert case.status == state


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_supervisor_reads_the_case_but_takes_no_step(world, step):
    client = api_for(world.supervisor)
    assert client.get(url(world.case)).status_code == 200
    assert client.get(url(world.case, "steps/")).json() == []
    response = client.post(url(world.case, "transitions/"), {"step": step}, format="json")
    assert response.status_code == 403
    assert not world.case.transitions.exists()


def test_the_chairman_decides_emergency_measures_and_the_officer_does_not(world):
    names = [s["name"] for s in api_for(world.chairman).get(url(world.case, "steps/")).json()]
    assert "decide_emergency" in names
    response = api_for(world.officer).post(
        url(world.case, "transitions/"),
        {
            "step": "decide_emergency",
            "kind": "intervention",
            "decision_number": "1",
            "measures": "m",
        },
        format="json",
    )
    assert response.status_code == 403


def test_the_steps_available_depend_on_the_role_and_the_state(world):
    officer_steps = api_for(world.officer).get(url(world.case, "steps/")).json()
    names = {s["name"] for s in officer_steps}
    assert {"assess_initial", "mark_not_substantiated", "transfer", "merge"} <= names
    assert "approve_plan" not in names
    initial = next(s for s in officer_steps if s["name"] == "assess_initial")
    assert initial["form"] == "Mẫu 02"
    assert initial["target"] == "initial_assessed"
    assert initial["label"]
    assert initial["requires"]
    chairman_names = {
        s["name"] for s in api_for(world.chairman).get(url(world.case, "steps/")).json()
    }
    assert "assess_initial" not in chairman_names


# ---------------------------------------------------------------------------------------------
# Bad input: 400 naming the field, never a 500


def test_missing_required_fields_are_named(world):
    officer = api_for(world.officer)
    ratings = dict(RATINGS)
    del ratings["recovery"]
    missing = take(officer, world.case, "assess_initial", expect=400, **ratings)
    assert "recovery" in missing["error"]["fields"]
    assert missing["error"]["code"] == "invalid"
    undecided = take(officer, world.case, "assess_initial", expect=400, **RATINGS)
    assert "emergency_required" in undecided["error"]["fields"]

    to_needs_meeting(world, world.case)
    payload = plan_payload(world)
    del payload["activities"][0]["ends_on"]
    del payload["objectives"]
    response = take(officer, world.case, "draft_plan", expect=400, **payload)
    assert {"objectives"} <= set(response["error"]["fields"])
    payload["objectives"] = "Mục tiêu"
    response = take(officer, world.case, "draft_plan", expect=400, **payload)
    assert "activities[0].ends_on" in response["error"]["fields"]
    no_activities = take(
        officer, world.case, "draft_plan", expect=400, **plan_payload(world, activities=[])
    )
    assert "activities" in no_activities["error"]["fields"]

    take(officer, world.case, "draft_plan", **plan_payload(world))
    take(officer, world.case, "submit_plan")
    unnumbered = take(api_for(world.chairman), world.case, "approve_plan", expect=400)
    assert {"decision_number", "decision_date"} <= set(unnumbered["error"]["fields"])
    world.case.refresh_from_db()
    assert world.case.status == "plan_submitted"


@pytest.mark.parametrize(
    ("step", "data", "field"),
    [
        ("assess_initial", {**RATINGS, "emergency_required": "maybe"}, "emergency_required"),
        (
            "assess_initial",
            {**RATINGS, "emergency_required": False, "recovery": "huge"},
            "recovery",
        ),
        (
            "assess_initial",
            {**RATINGS, "emergency_required": False, "assessed_at": "hôm qua"},
            "assessed_at",
        ),
        ("mark_not_substantiated", {"reason": ["not", "text"]}, "reason"),
        ("merge", {"into": "not-a-uuid", "reason": "x"}, "into"),
        ("assess_initial", {**RATINGS, "emergency_required": False, "shoe_size": 3}, "shoe_size"),
    ],
)
def test_malformed_values_are_named_not_a_crash(world, step, data, field):
    response = api_for(world.officer).post(
        url(world.case, "transitions/"), {"step": step, **data}, format="json"
    )
    assert response.status_code == 400
    assert field in error_fields(response)
    world.case.refresh_from_db()
    assert world.case.status == "received"


def test_malformed_dates_in_plans_and_decisions_are_named(world):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    to_needs_meeting(world, world.case)
    payload = plan_payload(world, review_on="31/12/2099")
    payload["activities"][1]["starts_on"] = "not-a-date"
    payload["activities"][1]["cost"] = "12.5"
    fields = take(officer, world.case, "draft_plan", expect=400, **payload)["error"]["fields"]
    assert {"review_on", "activities[1].starts_on", "activities[1].cost"} <= set(fields)
    payload = plan_payload(world)
    payload["activities"][0]["organisation"] = str(uuid.uuid4())
    fields = take(officer, world.case, "draft_plan", expect=400, **payload)["error"]["fields"]
    assert "activities[0].organisation" in fields
    payload = plan_payload(world)
    payload["activities"][0]["ends_on"] = str(today() - datetime.timedelta(days=1))
    fields = take(officer, world.case, "draft_plan", expect=400, **payload)["error"]["fields"]
    assert "activities[0].ends_on" in fields

    take(officer, world.case, "draft_plan", **plan_payload(world))
    take(officer, world.case, "submit_plan")
    fields = take(
        chairman, world.case, "approve_plan", expect=400, **APPROVAL, decision_date="tomorrow"
    )["error"]["fields"]
    assert "decision_date" in fields
    case = make_case(world.commune, "Trẻ khác")
    fields = take(
        chairman,
        case,
        "decide_emergency",
        expect=400,
        kind="separation",
        decision_number="1",
        measures="m",
        ends_at="next week",
    )["error"]["fields"]
    assert "ends_at" in fields


def test_an_unknown_step_or_a_body_that_is_not_an_object_is_a_400(world):
    officer = api_for(world.officer)
    response = officer.post(url(world.case, "transitions/"), {"step": "fly"}, format="json")
    assert response.status_code == 400
    assert "step" in error_fields(response)
    response = officer.post(url(world.case, "transitions/"), {}, format="json")
    assert "step" in error_fields(response)
    response = officer.post(url(world.case, "transitions/"), ["step"], format="json")
    assert response.status_code == 400
    response = officer.post(
        url(world.case, "transitions/"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


# ---------------------------------------------------------------------------------------------
# Outsiders: 404 everywhere


OUTSIDERS = ["officer2", "school", "collaborator", "nobody"]
ENDPOINTS = [
    ("get", ""),
    ("patch", ""),
    ("get", "child/"),
    ("patch", "child/"),
    ("get", "family-members/"),
    ("post", "family-members/"),
    ("delete", "family-members/{member}/"),
    ("get", "assessments/"),
    ("get", "plans/"),
    ("get", "emergency-decisions/"),
    ("get", "needs-meetings/"),
    ("get", "transitions/"),
    ("post", "transitions/"),
    ("get", "steps/"),
    ("get", "deadlines/"),
    ("get", "notes/"),
    ("post", "notes/"),
    ("get", "documents/"),
    ("post", "documents/"),
    ("get", "documents/{document}/download/"),
]


@pytest.fixture
def furnished_case(world, media):
    """world.case with a family member, a note and a document, so every id in a URL is real."""
    officer = api_for(world.officer)
    member = officer.post(
        url(world.case, "family-members/"), {"relation": "mother", "full_name": "Mẹ"}, format="json"
    ).json()
    officer.post(url(world.case, "notes/"), {"text": "Ghi chú"}, format="json")
    document = upload(officer, world.case).json()
    world.case.refresh_from_db()
    return {"member": member["id"], "document": document["id"]}


def _call(client: APIClient, method: str, path: str, case: Case):
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    headers = {"HTTP_IF_MATCH": f'"{case.version}"'}
    if path.endswith("documents/"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(path, {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart")
    body = {
        "transitions/": {"step": "assess_initial", **RATINGS, "emergency_required": False},
        "notes/": {"text": "x"},
        "family-members/": {"relation": "father"},
        "child/": {"full_name": "X"},
        "": {"child_location": "X"},
    }
    suffix = path.split(str(case.public_id) + "/", 1)[1]
    return getattr(client, method)(path, body[suffix], format="json", **headers)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_an_outsider_gets_404_on_every_case_endpoint_and_changes_nothing(
    world, furnished_case, persona
):
    client = api_for(world.users[persona])
    case = world.case
    for method, suffix in ENDPOINTS:
        path = url(case, suffix.format(**furnished_case))
        response = _call(client, method, path, case)
        assert response.status_code == 404, (method, path, response.status_code)
        assert error_fields(response) == {}
        assert response.json()["error"]["code"] == "not_found"
        assert case.child_name not in response.content.decode()
    case.refresh_from_db()
    assert case.status == "received"
    assert case.child_name == "Nguyễn Văn An"
    assert CaseNote.objects.filter(case=case).count() == 1
    assert FamilyMember.objects.filter(child=case.child).count() == 1
    assert CaseDocument.objects.filter(case=case).count() == 1


def test_a_summary_holder_sees_the_summary_and_nothing_more(world, furnished_case):
    referred = make_user((world.school_org, Role.SECTOR_STAFF), username="referred")
    case_share_grant(
        case=world.case, permissions=["view_case_summary"], reason="referral", user=referred
    )
    client = api_for(referred)
    detail = client.get(url(world.case))
    assert detail.status_code == 200
    body = detail.json()
    assert body["view"] == "summary"
    assert body["child"] == {"first_name": "An", "age": None, "sex": "unknown"}
    assert body["commune"]["code"] == world.commune.code
    assert set(body) == {
        "id",
        "view",
        "number",
        "status",
        "child",
        "commune",
        "received_at",
        "fields",
    }
    assert body["fields"] == []  # a bare share, no referral: nothing beyond the summary
    assert "Nguyễn Văn An" not in detail.content.decode()
    assert detail["ETag"] == f'"{world.case.version}"'
    listed = client.get("/api/v1/cases/").json()["results"]
    assert [(row["view"], row["child_name"]) for row in listed] == [("summary", "An")]
    for method, suffix in ENDPOINTS[2:]:
        path = url(world.case, suffix.format(**furnished_case))
        assert _call(client, method, path, world.case).status_code == 404, (method, path)
    patch = client.patch(
        url(world.case), {"child_location": "X"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == 403


# ---------------------------------------------------------------------------------------------
# The case record: open, read, edit with If-Match


def test_the_officer_opens_a_case_with_the_child_and_the_record(world):
    received = timezone.now() - datetime.timedelta(hours=1)
    response = api_for(world.officer).post(
        "/api/v1/cases/",
        {
            "commune": world.commune.code,
            "received_at": received.isoformat(),
            "child": {
                "full_name": "Phạm Thị Hoa",
                "sex": "female",
                "estimated_age": 9,
                "ethnic_group": "01",
                "residence_commune": world.commune.code,
                "special_circumstances": ["dropped_out"],
            },
            "source": "school",
            "channel": "phone",
            "target_group": "abused",
            "abuse_forms": ["violence", "sexual_abuse"],
            "sexual_abuse_types": ["molestation"],
            "incident_commune": world.other_commune.code,
            "child_location": "Nhà bà ngoại",
            "reporter_consent": True,
            "reporter_name": "Cô giáo Lan",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["view"] == "full"
    assert body["status"] == "received"
    assert body["child"]["full_name"] == "Phạm Thị Hoa"
    assert body["child"]["residence_commune"]["code"] == world.commune.code
    assert body["incident_commune"]["code"] == world.other_commune.code
    assert body["abuse_forms"] == ["violence", "sexual_abuse"]
    assert body["reporter_name"] == "Cô giáo Lan"
    assert body["received_by"]["username"] == "officer"
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/cases/{body['id']}/")
    assert uuid.UUID(body["child"]["id"])
    clocks = api_for(world.officer).get(f"/api/v1/cases/{body['id']}/deadlines/").json()
    # Sexual abuse of a child is a crime report: it must reach the police at once too.
    assert [c["rule"] for c in clocks] == ["crime_to_police", "emergency_12h"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"commune": "99999999"}, "commune"),
        ({"child": {"full_name": "A", "residence_commune": "99999999"}}, "child.residence_commune"),
        ({"child": {"sex": "robot"}}, "child.sex"),
        ({"child": {"nickname": "Bé"}}, "child.nickname"),
        ({"child": {"date_of_birth": "2015-02-30"}}, "child.date_of_birth"),
        ({"child": {"estimated_age": 17, "date_of_birth": "2999-01-01"}}, "child.date_of_birth"),
        ({"child": {"estimated_age": 19}}, "child.estimated_age"),
        ({"abuse_forms": ["teasing"]}, "abuse_forms[0]"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"status": "closed"}, "status"),
        ({"reporter_phone": "0" * 30}, "reporter_phone"),
    ],
)
def test_opening_a_case_with_bad_input_names_the_field(world, change, field):
    body = {"commune": world.commune.code, "child": {"full_name": "Trẻ"}, **change}
    before = Case.objects.count()
    response = api_for(world.officer).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert Case.objects.count() == before


def test_only_the_communes_officer_opens_its_cases(world):
    body = {"commune": world.commune.code, "child": {"full_name": "Trẻ"}}
    for persona in ("officer2", "chairman", "supervisor", "nobody"):
        response = api_for(world.users[persona]).post("/api/v1/cases/", body, format="json")
        assert response.status_code == 403, persona
    assert Case.objects.count() == 3


def test_two_editors_collide_and_the_second_gets_412_without_losing_the_first_edit(world):
    first, second = api_for(world.officer), api_for(world.officer)
    etag_1 = first.get(url(world.case))["ETag"]
    etag_2 = second.get(url(world.case))["ETag"]
    assert etag_1 == etag_2 == f'"{world.case.version}"'

    saved = first.patch(
        url(world.case), {"child_location": "Nhà bà ngoại"}, format="json", HTTP_IF_MATCH=etag_1
    )
    assert saved.status_code == 200
    assert saved.json()["child_location"] == "Nhà bà ngoại"
    assert saved["ETag"] == f'"{world.case.version + 1}"'

    lost = second.patch(
        url(world.case), {"child_location": "Trạm y tế"}, format="json", HTTP_IF_MATCH=etag_2
    )
    assert lost.status_code == 412
    assert lost.json()["error"]["code"] == "edit_conflict"
    world.case.refresh_from_db()
    assert world.case.child_location == "Nhà bà ngoại"

    unconditional = second.patch(url(world.case), {"child_location": "X"}, format="json")
    assert unconditional.status_code == 428
    assert unconditional.json()["error"]["code"] == "precondition_required"
    star = second.patch(url(world.case), {"child_location": "X"}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 428
    world.case.refresh_from_db()
    assert world.case.child_location == "Nhà bà ngoại"
    retried = second.patch(
        url(world.case), {"child_location": "Trạm y tế"}, format="json", HTTP_IF_MATCH=saved["ETag"]
    )
    assert retried.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"number": "2020-000001"}, "number"),
        ({"version": 99}, "version"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"channel": "pigeon"}, "channel"),
        ({"reporter_consent": "perhaps"}, "reporter_consent"),
        ({"incident_commune": "99999999"}, "incident_commune"),
        ({"sexual_abuse_types": ["rape"]}, "sexual_abuse_types"),
    ],
)
def test_a_record_edit_with_an_unknown_read_only_or_bad_field_is_a_400_naming_it(
    world, change, field
):
    response = api_for(world.officer).patch(
        url(world.case), change, format="json", HTTP_IF_MATCH=f'"{world.case.version}"'
    )
    assert response.status_code == 400
    assert field in error_fields(response)
    version = world.case.version
    world.case.refresh_from_db()
    assert world.case.version == version
    assert world.case.status == "received"


@pytest.mark.parametrize("persona", ["chairman", "supervisor", "hotline"])
def test_a_user_who_may_read_but_not_edit_gets_403(world, persona):
    response = api_for(world.users[persona]).patch(
        url(world.case), {"child_location": "X"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403


def test_the_child_is_read_and_edited_with_the_same_collision_check(world):
    officer = api_for(world.officer)
    child = officer.get(url(world.case, "child/"))
    assert child.status_code == 200
    assert child.json()["full_name"] == "Nguyễn Văn An"
    etag = child["ETag"]
    edited = officer.patch(
        url(world.case, "child/"),
        {"sex": "male", "date_of_birth": "2016-05-01", "residence_commune": world.commune.code},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["residence_commune"]["code"] == world.commune.code
    assert edited.json()["age"] >= 9
    assert edited["ETag"] != etag
    stale = officer.patch(
        url(world.case, "child/"), {"sex": "female"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    world.case.child.refresh_from_db()
    assert world.case.child.sex == "male"
    assert (
        officer.patch(url(world.case, "child/"), {"sex": "female"}, format="json").status_code
        == 428
    )
    future = officer.patch(
        url(world.case, "child/"),
        {"date_of_birth": str(today() + datetime.timedelta(days=3))},
        format="json",
        HTTP_IF_MATCH=edited["ETag"],
    )
    assert future.status_code == 400
    assert "date_of_birth" in error_fields(future)


def test_family_members_are_listed_added_and_removed_within_the_case(world):
    officer = api_for(world.officer)
    etag = officer.get(url(world.case))["ETag"]
    added = officer.post(
        url(world.case, "family-members/"),
        {"relation": "father", "full_name": "Nguyễn Văn Ba", "is_alleged_perpetrator": True},
        format="json",
    )
    assert added.status_code == 201
    assert added["ETag"] != etag
    member_id = added.json()["id"]
    missing = officer.post(url(world.case, "family-members/"), {"full_name": "?"}, format="json")
    assert "relation" in error_fields(missing)
    listed = officer.get(url(world.case, "family-members/")).json()
    assert [(m["relation"], m["is_alleged_perpetrator"]) for m in listed] == [("father", True)]
    # Another case's member is not found through this case.
    other = make_case(world.commune, "Trẻ khác")
    assert officer.delete(url(other, f"family-members/{member_id}/")).status_code == 404
    assert officer.delete(url(world.case, "family-members/abc/")).status_code == 404
    assert (
        api_for(world.chairman).delete(url(world.case, f"family-members/{member_id}/")).status_code
        == 403
    )
    assert officer.delete(url(world.case, f"family-members/{member_id}/")).status_code == 204
    assert officer.get(url(world.case, "family-members/")).json() == []


def test_case_content_is_never_cached(world):
    officer = api_for(world.officer)
    for suffix in ("", "child/", "transitions/", "deadlines/", "notes/", "plans/"):
        response = officer.get(url(world.case, suffix))
        assert "no-store" in response["Cache-Control"], suffix
    assert "no-store" in officer.get("/api/v1/cases/")["Cache-Control"]


# ---------------------------------------------------------------------------------------------
# Deadlines


def test_the_12_hour_clock_runs_from_receipt_and_is_waived_without_emergency(world):
    officer = api_for(world.officer)
    clocks = officer.get(url(world.case, "deadlines/")).json()
    assert len(clocks) == 1
    clock = clocks[0]
    assert clock["rule"] == "emergency_12h"
    assert clock["citation"] == "NĐ 56/2017/NĐ-CP Điều 26(3), 31(2), 32(2)"
    assert clock["name"] == "Quyết định can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em"
    assert clock["state"] == "open"
    assert 11 * 3600 < clock["seconds_left"] <= 12 * 3600
    assert clock["met_at"] is None
    assert clock["waived_at"] is None
    officer.cookies["django_language"] = "en"
    english = officer.get(url(world.case, "deadlines/")).json()[0]
    assert english["name"] == "Decide emergency intervention or temporary separation"
    assert english["state_label"] == "Running"

    take(officer, world.case, "assess_initial", **RATINGS, emergency_required=False)
    clock = officer.get(url(world.case, "deadlines/")).json()[0]
    assert clock["state"] == "waived"
    assert clock["waived_at"] is not None
    assert clock["seconds_left"] is None


def test_the_12_hour_clock_is_met_by_an_emergency_decision(world):
    take(
        api_for(world.chairman),
        world.case,
        "decide_emergency",
        kind="intervention",
        decision_number="03/QĐ-UBND",
        measures="Cách ly người xâm hại",
    )
    clock = api_for(world.officer).get(url(world.case, "deadlines/")).json()[0]
    assert (clock["rule"], clock["state"]) == ("emergency_12h", "met")
    assert clock["met_at"] is not None


def test_a_needs_meeting_starts_the_plan_clocks(world):
    to_needs_meeting(world, world.case)
    clocks = {
        c["rule"]: c for c in api_for(world.officer).get(url(world.case, "deadlines/")).json()
    }
    assert {"plan_draft_5wd", "plan_approve_7wd"} <= set(clocks)
    assert clocks["plan_draft_5wd"]["state"] == "open"


# ---------------------------------------------------------------------------------------------
# Notes and documents


def test_notes_are_added_and_listed_by_whoever_reads_the_whole_file(world):
    officer, supervisor = api_for(world.officer), api_for(world.supervisor)
    created = officer.post(url(world.case, "notes/"), {"text": "  Đã gọi cho mẹ  "}, format="json")
    assert created.status_code == 201
    assert created.json()["text"] == "Đã gọi cho mẹ"
    assert created.json()["author"]["username"] == "officer"
    empty = officer.post(url(world.case, "notes/"), {"text": "   "}, format="json")
    assert "text" in error_fields(empty)
    supervisor.post(url(world.case, "notes/"), {"text": "Theo dõi"}, format="json")
    notes = officer.get(url(world.case, "notes/")).json()
    assert notes["count"] == 2
    assert [n["author"]["username"] for n in notes["results"]] == ["officer", "supervisor"]


def test_a_pdf_is_uploaded_listed_with_its_hash_and_downloaded_only_through_the_case(world, media):
    officer = api_for(world.officer)
    uploaded = upload(officer, world.case)
    assert uploaded.status_code == 201, uploaded.json()
    document = uploaded.json()
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    listed = officer.get(url(world.case, "documents/")).json()["results"]
    assert [
        (d["original_name"], d["content_type"], d["size"], d["sha256"], d["kind"]) for d in listed
    ] == [("bien-ban.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), "minutes")]
    assert listed[0]["uploaded_by"]["username"] == "officer"
    assert listed[0]["uploaded_at"]

    download = url(world.case, f"documents/{document['id']}/download/")
    response = officer.get(download, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "bien-ban.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # The same sandboxed answer as the page's download (cases.downloads).
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"

    outsider = api_for(world.officer2).get(download, HTTP_ACCEPT="application/pdf")
    assert outsider.status_code == 404
    assert outsider.json()["error"]["code"] == "not_found"
    assert officer.get(url(world.case, f"documents/{uuid.uuid4()}/download/")).status_code == 404
    assert officer.get(url(world.case, "documents/nope/download/")).status_code == 404
    # Another case's document is not found through this case.
    other = make_case(world.commune, "Trẻ khác")
    assert officer.get(url(other, f"documents/{document['id']}/download/")).status_code == 404
    # No personal data in the stored path.
    stored = CaseDocument.objects.get(public_id=document["id"]).file.name
    assert "bien" not in stored
    assert str(world.case.public_id) not in stored


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("bien-ban.pdf", b"MZ\x90\x00 not really a pdf"),
        ("anh.png", PDF),
        ("empty.pdf", b""),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_naming_file(world, media, name, content):
    response = upload(api_for(world.officer), world.case, name=name, content=content)
    assert response.status_code == 400
    assert "file" in error_fields(response)
    assert not CaseDocument.objects.exists()


def test_an_oversized_file_is_refused(world, media, settings):
    settings.DOCUMENT_MAX_BYTES = 64
    response = upload(api_for(world.officer), world.case, content=PDF + b" " * 64)
    assert response.status_code == 400
    assert "file" in error_fields(response)
    assert not CaseDocument.objects.exists()


def test_an_upload_without_a_file_or_with_an_unknown_kind_names_the_field(world, media):
    officer = api_for(world.officer)
    response = officer.post(url(world.case, "documents/"), {"kind": "minutes"}, format="multipart")
    assert "file" in error_fields(response)
    response = upload(officer, world.case)
    assert response.status_code == 201
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = officer.post(
        url(world.case, "documents/"),
        {"file": SimpleUploadedFile("a.pdf", PDF), "kind": "selfie"},
        format="multipart",
    )
    assert "kind" in error_fields(response)


# ---------------------------------------------------------------------------------------------
# The list's cost, the schema


def test_the_list_costs_a_bounded_number_of_queries_for_shared_cases_too(
    world, django_assert_max_num_queries
):
    for index in range(20):
        case = make_case(world.far_commune, f"Trẻ {index}")
        case_share_grant(case=case, permissions=["view_case"], reason="t", user=world.hotline)
    for index in range(20):
        case = make_case(world.far_commune, f"Bé {index}")
        case_share_grant(
            case=case, permissions=["view_case_summary"], reason="t", user=world.hotline
        )
    client = api_for(world.hotline)
    # memberships twice, count, the page, and one query for the shares of the page's rows
    # +4: the trail's append of the rows shown (one insert for any number).
    with django_assert_max_num_queries(9):
        response = client.get("/api/v1/cases/")
    rows = response.json()["results"]
    assert len(rows) == 41
    views = {row["child_name"]: row["view"] for row in rows}
    assert views["Trẻ 3"] == "full"
    assert views["3"] == "summary"
    assert views["Nguyễn Văn An"] == "full"


def test_the_detail_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    client = api_for(world.officer)
    with django_assert_max_num_queries(10):
        assert client.get(url(world.case)).status_code == 200


def test_the_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/cases/{id}/transitions/",
        "/api/v1/cases/{id}/documents/{document_id}/download/",
        "/api/v1/cases/{id}/deadlines/",
    ):
        assert path in schema


def test_plans_use_public_ids_and_never_integer_keys(world):
    to_implementation(world, world.case)
    plan = api_for(world.officer).get(url(world.case, "plans/")).json()[0]
    assert uuid.UUID(plan["id"])
    assert Plan.objects.get(public_id=plan["id"]).case == world.case
    assert all(isinstance(a["organisation"], (dict, type(None))) for a in plan["activities"])


def test_options_and_a_browsers_accept_header_get_json_not_a_crash(world):
    client = api_for(world.officer)
    for suffix in ("", "transitions/", "documents/"):
        response = client.options(url(world.case, suffix))
        assert response.status_code == 200
        assert "actions" not in response.json()
    assert client.options("/api/v1/cases/").status_code == 200
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(url(world.case), HTTP_ACCEPT=browser)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_lone_surrogate_in_a_choice_is_a_400_not_a_500(world):
    client = APIClient()
    client.force_authenticate(world.officer)
    response = client.patch(
        f"/api/v1/cases/{world.case.public_id}/",
        data='{"source": "\\ud800"}',
        content_type="application/json",
        HTTP_IF_MATCH=f'"{world.case.version}"',
    )
    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]


def test_an_absurd_receipt_time_is_a_400_naming_it(world):
    client = APIClient()
    client.force_authenticate(world.officer)
    response = client.post(
        "/api/v1/cases/",
        {"commune": world.commune.code, "child": {"full_name": "Bé"}, "received_at": "0001-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "received_at" in response.json()["error"]["fields"]
