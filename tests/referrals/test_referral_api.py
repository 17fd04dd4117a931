"""The referrals API: the life cycle, its refusals, consent, due dates, escalation, query counts."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Organisation, Role
from cases import services as case_services
from cases.deadlines import deadlines_escalate
from cases.models import Case, CaseDeadline, FamilyMember, Notification
from referrals import services
from referrals.allowlists import ALLOW_LISTS
from referrals.models import Referral, ReferralUpdate
from tests.factories import OrganisationFactory, make_case, make_user

URL = "/api/v1/referrals/"
MEDICAL = "Gãy xương tay trái, chấn thương tâm lý"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def org_of(user) -> Organisation:
    return user.memberships.get().organisation


def body(world, organisation=None, case=None, **extra):
    return {
        "case": str((case or world.case).public_id),
        "organisation": str((organisation or world.school_org).public_id),
        "purpose": "s_education",
        "message": "Đề nghị nhà trường theo dõi việc học của em",
        **extra,
    }


def send(world, **extra):
    response = api_for(world.officer).post(URL, body(world, **extra), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def assert_invalid(response, *fields: str) -> None:
    assert response.status_code == 400, response.content
    assert error_fields(response) == set(fields)


def english(client: APIClient) -> APIClient:
    client.cookies["django_language"] = "en"
    return client


def error_fields(response) -> set[str]:
    payload = response.json()
    assert set(payload) == {"error"}
    assert set(payload["error"]) == {"status", "code", "message", "fields"}
    assert payload["error"]["status"] == response.status_code
    return set(payload["error"]["fields"])


# ---------------------------------------------------------------------------------------------
# The life cycle


def test_the_whole_life_cycle_through_the_api(world):
    world.case.child_condition = MEDICAL
    world.case.save()
    officer, school = api_for(world.officer), api_for(world.school)

    sent = send(world)
    assert sent["view"] == "sent"
    assert sent["status"] == "sent"
    assert sent["case"] == {"id": str(world.case.public_id), "number": world.case.number}
    assert sent["receipt"] is None
    assert sent["organisation"]["id"] == str(world.school_org.public_id)
    referral_url = f"{URL}{sent['id']}/"

    # The school's inbox: the referral with the school's allow-list of the case, nothing more.
    inbox = school.get(URL, {"box": "inbox"}).json()
    assert [row["id"] for row in inbox["results"]] == [sent["id"]]
    row = inbox["results"][0]
    assert row["view"] == "received"
    assert row["case"]["number"] == world.case.number
    assert [f["key"] for f in row["summary"]] == ALLOW_LISTS["school"]
    assert MEDICAL not in str(row)
    assert "updates" in row
    assert "consent" not in row

    acknowledged = school.post(f"{referral_url}acknowledge/").json()
    assert acknowledged["status"] == "acknowledged"
    referral = Referral.objects.get(public_id=sent["id"])
    assert acknowledged["receipt"] == {
        "number": referral.receipt_number,
        "at": acknowledged["receipt"]["at"],
        "hash": services.receipt_hash(referral),
    }
    assert acknowledged["receipt"]["number"].startswith("BN-")
    assert school.post(f"{referral_url}accept/", {}, format="json").json()["status"] == "accepted"
    update = school.post(
        f"{referral_url}updates/", {"kind": "feedback", "text": "Em đi học đều"}, format="json"
    )
    assert update.status_code == 201
    assert update.json()["kind"] == "feedback"
    assert update.json()["author"]["username"] == "school"
    listed = school.get(f"{referral_url}updates/").json()
    assert [u["text"] for u in listed["results"]] == ["Em đi học đều"]

    # The sender sees the receipt, the feedback and the case number.
    seen = officer.get(referral_url).json()
    assert seen["view"] == "sent"
    assert seen["receipt"]["number"] == referral.receipt_number
    assert seen["receipt"]["hash"] == referral.receipt_hash
    assert [u["text"] for u in seen["updates"]] == ["Em đi học đều"]
    assert seen["case"]["number"] == world.case.number

    done = officer.post(f"{referral_url}complete/", {"note": "Đã ổn định"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["is_open"] is False

    # Access ends on the next request; the school keeps only the referral's own record.
    after = school.get(referral_url)
    assert after.status_code == 200
    assert after.json()["summary"] == []
    assert after.json()["case"] is None
    assert world.case.child_name not in after.content.decode()
    assert school.get(f"/api/v1/cases/{world.case.public_id}/").status_code == 404
    assert school.get("/api/v1/cases/").json()["count"] == 0
    assert school.get(URL, {"box": "inbox"}).json()["count"] == 0
    assert school.post(f"{referral_url}updates/", {"kind": "action", "text": "x"}).status_code == (
        409
    )


def test_declining_needs_a_reason_and_ends_the_sight_of_the_case(world):
    sent = send(world)
    school = api_for(world.school)
    url = f"{URL}{sent['id']}/decline/"
    response = school.post(url, {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"reason"}
    assert school.post(url, {}, format="json").status_code == 400
    assert Referral.objects.get(public_id=sent["id"]).status == "sent"
    response = school.post(url, {"reason": "Không thuộc địa bàn trường"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "Không thuộc địa bàn trường"
    assert response.json()["summary"] == []
    assert school.get(f"/api/v1/cases/{world.case.public_id}/").status_code == 404
    # Declined is final.
    assert school.post(f"{URL}{sent['id']}/acknowledge/").status_code == 409


def test_revoking_needs_a_reason_and_is_for_the_sender(world):
    sent = send(world)
    url = f"{URL}{sent['id']}/revoke/"
    assert api_for(world.school).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_for(world.chairman).post(url, {"reason": "x"}, format="json").status_code == 403
    response = api_for(world.officer).post(url, {"reason": ""}, format="json")
    assert_invalid(response, "reason")
    response = api_for(world.officer).post(url, {"reason": "Gửi nhầm"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["revoke_reason"] == "Gửi nhầm"
    again = api_for(world.officer).post(url, {"reason": "Gửi nhầm"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "referral_state"
    assert api_for(world.school).get(f"/api/v1/cases/{world.case.public_id}/").status_code == 404


def test_refusals_come_in_order_role_then_state_then_fields(world):
    sent = send(world)
    url = f"{URL}{sent['id']}/"
    school, officer, health = api_for(world.school), api_for(world.officer), api_for(world.health)
    # Not the recipient: 403 even with bad fields; not visible: 404 whatever is sent.
    assert officer.post(f"{url}updates/", {"kind": "nope"}, format="json").status_code == 403
    assert health.post(f"{url}acknowledge/").status_code == 404
    assert health.get(url).status_code == 404
    # The state before the fields: an update before acceptance is 409 even with a bad kind.
    assert school.post(f"{url}updates/", {"kind": "nope"}, format="json").status_code == 409
    assert officer.post(f"{url}complete/", {"bogus": 1}, format="json").status_code == 409
    assert school.post(f"{url}accept/").status_code == 409
    school.post(f"{url}acknowledge/")
    school.post(f"{url}accept/")
    response = school.post(f"{url}updates/", {"kind": "nope", "text": ""}, format="json")
    assert_invalid(response, "kind")
    response = school.post(f"{url}updates/", {"kind": "action", "text": " "}, format="json")
    assert_invalid(response, "text")
    response = school.post(f"{url}updates/", {"kind": "action", "text": "x", "y": 1}, format="json")
    assert_invalid(response, "y")
    assert not ReferralUpdate.objects.exists()


def test_sending_bad_input_answers_400_naming_the_fields(world):
    officer = api_for(world.officer)
    response = officer.post(URL, {}, format="json")
    assert_invalid(response, "case")
    response = officer.post(URL, {"case": str(world.case.public_id)}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"organisation", "purpose", "message"}
    bad = body(world, purpose="dance", organisation=None, acknowledge_due_at="tomorrow")
    bad["organisation"] = "not-a-uuid"
    response = officer.post(URL, bad, format="json")
    assert error_fields(response) == {"organisation", "purpose", "acknowledge_due_at"}
    response = officer.post(URL, {**body(world), "organisation": str(uuid.uuid4())}, format="json")
    assert error_fields(response) == {"organisation"}
    response = officer.post(URL, {**body(world), "priority": "high"}, format="json")
    assert error_fields(response) == {"priority"}
    for junk in (["a"], "text", 3, None):
        response = officer.post(URL, junk, format="json")
        assert response.status_code == 400, junk
    response = officer.post(URL, {**body(world), "message": "a\x00b"}, format="json")
    assert_invalid(response, "message")
    response = officer.post(URL, {**body(world), "consent": str(uuid.uuid4())}, format="json")
    assert error_fields(response) == {"consent"}
    # A far organisation, or one that does not receive referrals: the service names it.
    far = OrganisationFactory(kind="school", area=world.far_commune)
    response = officer.post(URL, body(world, organisation=far), format="json")
    assert error_fields(response) == {"organisation"}
    response = officer.post(URL, body(world, organisation=world.committee), format="json")
    assert error_fields(response) == {"organisation"}
    # A case the officer may not see is a bad field, not a 404 nor a 403 (no oracle).
    response = officer.post(URL, body(world, case=world.other_case), format="json")
    assert_invalid(response, "case")
    response = officer.post(URL, {**body(world), "case": "x"}, format="json")
    assert error_fields(response) == {"case"}
    assert not Referral.objects.exists()


def test_who_may_send(world):
    for name in ("chairman", "supervisor", "hotline"):
        response = api_for(world.users[name]).post(URL, body(world), format="json")
        assert response.status_code == 403, name
    send(world)
    # The school now sees the case's summary; it may not refer it further.
    response = api_for(world.school).post(URL, body(world), format="json")
    assert response.status_code == 403
    for name in ("collaborator", "auditor", "admin", "nobody", "officer2"):
        response = api_for(world.users[name]).post(URL, body(world), format="json")
        assert response.status_code == 400, name
    assert APIClient().post(URL, body(world), format="json").status_code in (401, 403)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED)
    response = api_for(world.officer).post(URL, body(world), format="json")
    assert response.status_code == 409
    assert Referral.objects.count() == 1


def test_bad_ids_and_query_parameters_never_crash(world):
    officer = api_for(world.officer)
    for bad in ("x", "0" * 40, str(uuid.uuid4()), "%00"):
        assert officer.get(f"{URL}{bad}/").status_code == 404
        assert officer.post(f"{URL}{bad}/revoke/", {"reason": "x"}).status_code == 404
    for params in (
        {"box": "outbox"},
        {"status": "lost"},
        {"case": "nope"},
        {"overdue": "maybe"},
    ):
        response = officer.get(URL, params)
        assert response.status_code == 400, params
        assert error_fields(response) == set(params)
    assert officer.get(URL, {"page": "999"}).status_code == 404


def test_the_list_filters(world):
    first = send(world)
    health_org = org_of(world.health)
    second = send(world, organisation=health_org, purpose="s_health")
    services.referral_revoke(
        actor=world.officer, referral=Referral.objects.get(public_id=first["id"]), reason="x"
    )
    officer = api_for(world.officer)
    ids = lambda response: [row["id"] for row in response.json()["results"]]  # noqa: E731
    assert ids(officer.get(URL)) == [second["id"], first["id"]]
    assert ids(officer.get(URL, {"box": "sent"})) == [second["id"], first["id"]]
    assert ids(officer.get(URL, {"box": "inbox"})) == []
    assert ids(officer.get(URL, {"status": "revoked"})) == [first["id"]]
    assert ids(officer.get(URL, {"case": str(world.other_case.public_id)})) == []
    assert ids(api_for(world.health).get(URL, {"box": "inbox"})) == [second["id"]]
    assert ids(api_for(world.health).get(URL, {"box": "sent"})) == []
    # The school keeps the record of the revoked referral, outside its inbox.
    assert ids(api_for(world.school).get(URL)) == [first["id"]]
    assert ids(api_for(world.school).get(URL, {"box": "inbox"})) == []
    for name in ("officer2", "collaborator", "admin", "nobody", "police"):
        assert ids(api_for(world.users[name]).get(URL)) == [], name
    # The hotline reads the whole file of the case it follows: its referrals too, as a holder.
    hotline = api_for(world.hotline).get(URL).json()["results"]
    assert [(row["id"], row["view"]) for row in hotline] == [
        (second["id"], "sent"),
        (first["id"], "sent"),
    ]
    revoke = f"{URL}{second['id']}/revoke/"
    assert api_for(world.hotline).post(revoke, {"reason": "x"}, format="json").status_code == 403
    acknowledge = f"{URL}{second['id']}/acknowledge/"
    assert api_for(world.hotline).post(acknowledge).status_code == 403


def test_overdue_flag_and_filter(world):
    sent = send(world)
    school = api_for(world.school)
    assert school.get(f"{URL}{sent['id']}/").json()["overdue"] is False
    assert school.get(URL, {"overdue": "true"}).json()["count"] == 0
    Referral.objects.filter(public_id=sent["id"]).update(
        acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert school.get(f"{URL}{sent['id']}/").json()["overdue"] is True
    assert school.get(URL, {"overdue": "true", "box": "inbox"}).json()["count"] == 1
    assert school.get(URL, {"overdue": "false"}).json()["count"] == 0


# ---------------------------------------------------------------------------------------------
# Consent, due dates, escalation


def test_an_ngo_needs_a_recorded_consent_and_its_withdrawal_revokes(world):
    ngo = OrganisationFactory(kind="ngo", area=world.commune, name="Hội Bảo vệ quyền trẻ em")
    ngo_user = make_user((ngo, Role.SECTOR_STAFF), username="ngo")
    world.case.child.estimated_age = 10
    world.case.child.save()
    officer = api_for(world.officer)
    response = officer.post(URL, body(world, organisation=ngo), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"consent"}
    consent = case_services.consent_record(
        actor=world.officer,
        case=world.case,
        recipient_kinds=["ngo"],
        representative_name="Nguyễn Thị Hoa",
        representative_relation="Mẹ",
        representative_consented=True,
        child_consented=True,
        method="written",
    )
    # A consent of another case is refused as if it did not exist.
    other = make_case(world.commune, "Trẻ khác")
    response = officer.post(
        URL, body(world, organisation=ngo, consent=str(consent.public_id), case=other), "json"
    )
    assert_invalid(response, "consent")
    sent = send(world, organisation=ngo, consent=str(consent.public_id))
    assert sent["consent"] == str(consent.public_id)
    ngo_client = api_for(ngo_user)
    summary = ngo_client.get(f"/api/v1/cases/{world.case.public_id}/").json()
    assert [f["label"] for f in summary["fields"]][:1] == ["Số hồ sơ"]  # Vietnamese by default
    case_services.consent_withdraw(actor=world.officer, consent=consent, note="Gia đình rút lại")
    seen = officer.get(f"{URL}{sent['id']}/").json()
    assert seen["status"] == "revoked"
    assert ngo_client.get(f"/api/v1/cases/{world.case.public_id}/").status_code == 404
    assert ngo_client.get(f"{URL}{sent['id']}/").json()["summary"] == []
    response = officer.post(
        URL, body(world, organisation=ngo, consent=str(consent.public_id)), format="json"
    )
    assert_invalid(response, "consent")


def _clock(referral_id: str, code: str) -> CaseDeadline:
    referral = Referral.objects.get(public_id=referral_id)
    return CaseDeadline.objects.get(rule__code=code, key=services.referral_key(referral))


def test_due_dates_default_to_the_deadline_rules(world):
    before = services.referral_defaults()
    sent = send(world)
    after = services.referral_defaults()
    ack = datetime.datetime.fromisoformat(sent["acknowledge_due_at"])
    feedback = datetime.datetime.fromisoformat(sent["feedback_due_at"])
    assert before["acknowledge_due_at"] <= ack <= after["acknowledge_due_at"]
    assert before["feedback_due_at"] <= feedback <= after["feedback_due_at"]
    assert _clock(sent["id"], "referral_ack_1wd").due_at == ack
    assert _clock(sent["id"], "referral_feedback_5wd").due_at == feedback


def test_custom_due_dates_move_the_clocks(world):
    now = timezone.now()
    ack, feedback = now + datetime.timedelta(days=3), now + datetime.timedelta(days=20)
    sent = send(world, acknowledge_due_at=ack.isoformat(), feedback_due_at=feedback.isoformat())
    assert datetime.datetime.fromisoformat(sent["acknowledge_due_at"]) == ack
    assert _clock(sent["id"], "referral_ack_1wd").due_at == ack
    assert _clock(sent["id"], "referral_feedback_5wd").due_at == feedback
    officer = api_for(world.officer)
    response = officer.post(
        URL, body(world, acknowledge_due_at=(now - datetime.timedelta(hours=1)).isoformat()), "json"
    )
    assert_invalid(response, "acknowledge_due_at")
    response = officer.post(
        URL,
        body(world, acknowledge_due_at=feedback.isoformat(), feedback_due_at=ack.isoformat()),
        "json",
    )
    assert_invalid(response, "feedback_due_at")
    # Acknowledging meets the clock; ending the referral waives the feedback clock.
    api_for(world.school).post(f"{URL}{sent['id']}/acknowledge/")
    assert _clock(sent["id"], "referral_ack_1wd").met_at is not None
    officer.post(f"{URL}{sent['id']}/revoke/", {"reason": "Xong"}, format="json")
    assert _clock(sent["id"], "referral_feedback_5wd").waived_at is not None


def test_an_overdue_acknowledgement_escalates_to_the_senders_officer(world):
    sent = send(world)
    referral = Referral.objects.get(public_id=sent["id"])
    later = referral.acknowledge_due_at + datetime.timedelta(minutes=1)
    assert deadlines_escalate(now=later) >= 1
    missed = Notification.objects.filter(
        kind=Notification.Kind.DEADLINE_MISSED, deadline__rule__code="referral_ack_1wd"
    )
    assert {n.recipient for n in missed} == {world.officer}
    assert all(n.case == world.case for n in missed)
    # An acknowledged referral escalates no more: its clock is met.
    second = send(world, purpose="s_skills")
    api_for(world.school).post(f"{URL}{second['id']}/acknowledge/")
    deadlines_escalate(now=later + datetime.timedelta(days=1))
    assert not Notification.objects.filter(
        kind=Notification.Kind.DEADLINE_MISSED,
        deadline__key=services.referral_key(Referral.objects.get(public_id=second["id"])),
        deadline__rule__code="referral_ack_1wd",
    ).exists()


# ---------------------------------------------------------------------------------------------
# Where to refer


def test_recipients_near_the_case_with_the_sharing_rule(world):
    ngo = OrganisationFactory(kind="ngo", area=world.other_commune, name="Hội Chữ thập đỏ")
    OrganisationFactory(kind="school", area=world.far_commune, name="Trường xa")
    OrganisationFactory(kind="police", area=world.province, name="Công an tỉnh")
    officer = api_for(world.officer)
    url = f"{URL}recipients/"
    rows = officer.get(url, {"case": str(world.case.public_id)}).json()["results"]
    names = [row["name"] for row in rows]
    assert "Trường xa" not in names
    assert set(names) >= {"Trường Tiểu học", "Trạm Y tế", "Công an xã", "Công an tỉnh", ngo.name}
    by_name = {row["name"]: row for row in rows}
    assert by_name["Trường Tiểu học"]["nearness"] == "commune"
    assert by_name["Công an tỉnh"]["nearness"] == "province"
    assert by_name[ngo.name]["nearness"] == "other_commune"
    assert by_name[ngo.name]["sharing_rule"]["consent_required"] is True
    assert by_name["Trường Tiểu học"]["sharing_rule"]["consent_required"] is False
    assert by_name["Trường Tiểu học"]["sharing_rule"]["citation"]
    assert by_name["Trường Tiểu học"]["sharing_rule"]["explanation"]
    # Nearest first: the commune's own bodies before the province's.
    assert names.index("Trường Tiểu học") < names.index("Công an tỉnh")
    police = officer.get(url, {"case": str(world.case.public_id), "kind": "police"}).json()
    assert {row["name"] for row in police["results"]} == {"Công an xã", "Công an tỉnh"}
    in_english = english(api_for(world.officer)).get(
        url, {"case": str(world.case.public_id), "kind": "ngo"}
    )
    assert in_english.json()["results"][0]["sharing_rule"]["explanation"].startswith(
        "Consent needed"
    )
    assert error_fields(officer.get(url)) == {"case"}
    assert error_fields(officer.get(url, {"case": "x"})) == {"case"}
    response = officer.get(url, {"case": str(world.case.public_id), "kind": "hotline"})
    assert error_fields(response) == {"kind"}
    for name in ("chairman", "supervisor", "hotline", "school", "officer2", "nobody"):
        response = api_for(world.users[name]).get(url, {"case": str(world.case.public_id)})
        assert response.status_code == 404, name
    assert officer.get(url, {"case": str(world.other_case.public_id)}).status_code == 404


# ---------------------------------------------------------------------------------------------
# The cases API for a recipient


def test_a_recipient_sees_only_the_open_referred_cases_and_their_allowed_fields(world):
    case = world.case
    case.child_condition = MEDICAL
    case.incident_place = "Nhà riêng, thôn 3"
    case.save()
    FamilyMember.objects.create(
        child=case.child,
        full_name="Trần Văn Dữ",
        relation="step_parent",
        is_alleged_perpetrator=True,
    )
    school, police = api_for(world.school), api_for(world.police)
    assert school.get("/api/v1/cases/").json()["count"] == 0
    sent = send(world)
    send(world, organisation=org_of(world.police), purpose="i_legal_aid")
    listed = school.get("/api/v1/cases/").json()
    assert [row["id"] for row in listed["results"]] == [str(case.public_id)]
    assert listed["results"][0]["view"] == "summary"
    assert "fields" not in listed["results"][0]
    assert listed["results"][0]["child_name"] == "An"  # the given name only
    detail = english(api_for(world.school)).get(f"/api/v1/cases/{case.public_id}/").json()
    assert detail["view"] == "summary"
    labels = [f["label"] for f in detail["fields"]]
    assert labels[:2] == ["Case number", "Child"]
    assert "Current condition of the child" not in labels
    assert MEDICAL not in str(detail)
    assert "Trần Văn Dữ" not in str(detail)
    police_detail = police.get(f"/api/v1/cases/{case.public_id}/").json()
    assert "Nhà riêng, thôn 3" in [f["value"] for f in police_detail["fields"]]
    assert "Trần Văn Dữ" in str(police_detail)
    assert MEDICAL not in str(police_detail)
    # The officer's detail is the whole file, without `fields`.
    full = api_for(world.officer).get(f"/api/v1/cases/{case.public_id}/").json()
    assert full["view"] == "full"
    assert "fields" not in full
    # The parts of the file beyond the summary do not exist for the recipient.
    for part in ("child", "family-members", "notes", "transitions", "deadlines"):
        assert school.get(f"/api/v1/cases/{case.public_id}/{part}/").status_code == 404
    services.referral_revoke(
        actor=world.officer, referral=Referral.objects.get(public_id=sent["id"]), reason="x"
    )
    assert school.get(f"/api/v1/cases/{case.public_id}/").status_code == 404
    assert school.get("/api/v1/cases/").json()["count"] == 0
    assert police.get(f"/api/v1/cases/{case.public_id}/").status_code == 200


# ---------------------------------------------------------------------------------------------
# Query counts


@pytest.fixture
def forty_referrals(world):
    police_org = org_of(world.police)
    for index in range(40):
        case = make_case(world.commune, f"Trẻ số {index}")
        FamilyMember.objects.create(
            child=case.child, full_name=f"Mẹ {index}", relation="mother", is_caregiver=True
        )
        for organisation in (world.school_org, police_org):
            referral = services.referral_send(
                actor=world.officer,
                case=case,
                organisation=organisation,
                purpose="s_education",
                message=f"Đề nghị hỗ trợ {index}",
            )
        if index % 3 == 0:
            services.referral_acknowledge(actor=world.police, referral=referral)
            services.referral_accept(actor=world.police, referral=referral)
            services.referral_update_add(
                actor=world.police, referral=referral, kind="feedback", text="Đã xác minh"
            )


def test_the_inbox_costs_a_fixed_number_of_queries(
    world, forty_referrals, django_assert_max_num_queries
):
    for persona in ("school", "police"):
        client = api_for(world.users[persona])
        # +1 for the police: the alleged perpetrators of their allow-list (one for any number).
        budget = 12 if persona == "police" else 11
        # +3: the trail's append of the rows shown (one insert for any number).
        with django_assert_max_num_queries(budget):
            response = client.get(URL, {"box": "inbox"})
        assert response.status_code == 200
        assert response.json()["count"] == 40
        assert all(row["summary"] for row in response.json()["results"])
        # +3: the trail's append of the rows shown (one insert for any number).
        with django_assert_max_num_queries(budget):
            assert client.get(URL, {"overdue": "false"}).json()["count"] == 40
    client = api_for(world.officer)
    # +3: the trail's append of the rows shown (one insert for any number).
    with django_assert_max_num_queries(11):
        response = client.get(URL, {"box": "sent"})
    assert response.json()["count"] == 80
    assert len(response.json()["results"]) == 50


def test_the_case_list_of_a_recipient_costs_a_fixed_number_of_queries(
    world, forty_referrals, django_assert_max_num_queries
):
    client = api_for(world.school)
    # +3: the trail's append of the rows shown (one insert for any number).
    with django_assert_max_num_queries(11):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert response.json()["count"] == 40
    assert {row["view"] for row in response.json()["results"]} == {"summary"}


# ---------------------------------------------------------------------------------------------
# Never a 500


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
NASTY = st.sampled_from(
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+14:00",
        "2026-02-30T10:00:00",
        "\x00",
        "\ud800",  # a lone surrogate, echoed back by "… is not a valid choice."
        "x" * 6000,
        str(uuid.uuid4()),
    ]
)
FIELDS = [
    "case",
    "organisation",
    "purpose",
    "message",
    "acknowledge_due_at",
    "feedback_due_at",
    "consent",
]


def raw_json(client: APIClient, url: str, data) -> int:
    # As a client sends it: JSON with \\u escapes (the test client cannot encode a surrogate).
    return client.post(url, data=json.dumps(data), content_type="application/json").status_code


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_bad_input_gets_a_400_never_a_500(world, data):
    sent = body(world)
    for key in data.draw(st.sets(st.sampled_from(FIELDS), max_size=3)):
        sent[key] = data.draw(JSON_VALUES | NASTY)
    noise = data.draw(JSON_VALUES | NASTY)
    # Each example from the same world: whatever it saved is rolled back.
    with transaction.atomic():
        try_everything(world, sent, noise)
        transaction.set_rollback(True)


def try_everything(world, sent: dict, noise) -> None:
    officer, school = api_for(world.officer), api_for(world.school)
    assert raw_json(officer, URL, sent) in (201, 400)
    referral = send(world, purpose="s_skills")
    url = f"{URL}{referral['id']}/"
    assert raw_json(school, f"{url}decline/", {"reason": noise}) in (200, 400)
    assert raw_json(school, f"{url}updates/", {"kind": noise, "text": noise}) in (400, 409)
    assert raw_json(officer, f"{url}revoke/", noise) in (200, 400, 409)
    query = {
        key: str(value)[:60].encode("utf-8", "replace").decode() for key, value in sent.items()
    }
    listed = officer.get(URL, {"status": query["purpose"], "case": query["case"]})
    assert listed.status_code in (200, 400)
    recipients = officer.get(f"{URL}recipients/", {"case": query["case"], "kind": query["message"]})
    assert recipients.status_code in (200, 400, 404)
