"""
The permission matrix (issue #5): every role × every case and referral endpoint × {own case,
another commune's case, a case referred to me (open referral), a referral that has ended}, with
the status each must answer, and, for the school, health and police staff on a case referred to
them, no field beyond their sector's allow-list in any answer.

The expected statuses are derived from docs/DESIGN.md §4 and §7 in a few plain rules below (who
holds the whole file, who the summary, who sees and who answers a referral, which state allows which
step), not from the code. Each endpoint is called inside a savepoint that is rolled back, so
every cell starts from the same world.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Organisation, Role
from cases.models import Case, FamilyMember
from referrals import services
from referrals.models import Referral
from tests.factories import OrganisationFactory, make_case
from tests.referrals.test_referral_access_property import ALLOWED

ROLES = [
    "officer",
    "chairman",
    "supervisor",
    "hotline",
    "school",
    "health",
    "police",
    "collaborator",
    "auditor",
    "admin",
    "nobody",
]
SCENARIOS = ["own", "other_commune", "referred_to_me", "referral_ended"]
RECIPIENTS = {"school": "school_org", "health": "health_org", "police": "police_org"}

# ---------------------------------------------------------------------------------------------
# The rule, in plain words


def case_access(role: str, scenario: str) -> str:
    """'full', 'summary' or 'none' (docs/DESIGN.md §4: jurisdiction, shares; referrals: summary)."""
    if role in ("officer", "chairman"):  # the commune's cases (own, referred and ended ones)
        return "none" if scenario == "other_commune" else "full"
    if role == "supervisor":  # the whole province
        return "full"
    if role == "hotline":  # the case it opened is shared with it
        return "full" if scenario == "own" else "none"
    if role in RECIPIENTS:  # only while a referral to its organisation is open
        return "summary" if scenario == "referred_to_me" else "none"
    return "none"  # collaborators, auditors, administrators, nobody: no case content


def referral_side(role: str, scenario: str) -> str:
    """
    'sender' (may refer the case: completes and revokes), 'holder' (holds the case by
    jurisdiction: sees the referral, may not act), 'recipient' (works for the receiving
    organisation: answers while open, keeps the record after), or 'none'.
    """
    if role == "officer" and scenario != "other_commune":
        return "sender"
    if role == "chairman" and scenario != "other_commune":
        return "holder"
    if role == "supervisor":  # the whole province
        return "holder"
    if role == "hotline" and scenario == "own":
        return "holder"  # reads the whole file of the case it follows, by a share
    if role in RECIPIENTS and scenario in ("referred_to_me", "referral_ended"):
        return "recipient"
    return "none"


# The referral each role acts on in each scenario: the recipients their own organisation's, the
# others the school's. Its state decides what may be done (docs/DESIGN.md §7).
STATUS = {
    "own": {"*": "sent"},
    "other_commune": {"*": "sent"},
    "referred_to_me": {
        "school": "accepted",
        "health": "sent",
        "police": "acknowledged",
        "*": "accepted",
    },
    "referral_ended": {
        "school": "completed",
        "health": "declined",
        "police": "revoked",
        "*": "completed",
    },
}
STEP_STATES = {
    "acknowledge": {"sent"},
    "accept": {"acknowledged"},
    "decline": {"sent", "acknowledged"},
    "update": {"accepted"},
    "complete": {"accepted"},
    "revoke": {"sent", "acknowledged", "accepted"},
}
CASE_PARTS = [
    "child",
    "family-members",
    "assessments",
    "plans",
    "emergency-decisions",
    "needs-meetings",
    "transitions",
    "steps",
    "deadlines",
    "notes",
    "documents",
]


def expected_api(role: str, scenario: str) -> dict[str, object]:
    access, side = case_access(role, scenario), referral_side(role, scenario)
    status = STATUS[scenario].get(role, STATUS[scenario]["*"])
    sees_case = access != "none"
    may_refer = side == "sender"
    cells: dict[str, object] = {
        "GET case list": "listed" if sees_case else "unlisted",
        "GET case": 200 if sees_case else 404,
        # Seeing the case but not editing it is a 403; the summary-only viewer sees it too.
        "PATCH case": 404 if not sees_case else (200 if role == "officer" else 403),
        "POST case note": 201 if access == "full" else 404,
    }
    for part in CASE_PARTS:
        cells[f"GET case {part}"] = 200 if access == "full" else 404
    if role == "police" and access == "summary":
        # The police unit working the case takes one step with the summary in view: the
        # emergency intervention (Decree 56 Art. 31(4)); the rest of the file stays closed.
        cells["GET case steps"] = 200
    sees_referral = side != "none"
    cells["GET referral list"] = "listed" if sees_referral else "unlisted"
    cells["GET referral"] = 200 if sees_referral else 404
    cells["GET referral updates"] = 200 if sees_referral else 404
    for step in ("acknowledge", "accept", "decline", "update"):
        if not sees_referral:
            cells[f"POST referral {step}"] = 404
        elif side != "recipient":
            cells[f"POST referral {step}"] = 403
        elif status in STEP_STATES[step]:
            cells[f"POST referral {step}"] = 201 if step == "update" else 200
        else:
            cells[f"POST referral {step}"] = 409
    for step in ("complete", "revoke"):
        if not sees_referral:
            cells[f"POST referral {step}"] = 404
        elif not may_refer:
            cells[f"POST referral {step}"] = 403
        else:
            cells[f"POST referral {step}"] = 200 if status in STEP_STATES[step] else 409
    # A case in the body of a new referral: one the user may not see is a bad field (no
    # existence oracle); seen but not the user's to refer is 403.
    cells["POST referral (send)"] = 201 if may_refer else (403 if sees_case else 400)
    cells["GET referral recipients"] = 200 if may_refer else 404
    return cells


def expected_pages(role: str, scenario: str) -> dict[str, int]:
    return {
        "page case": 404 if case_access(role, scenario) == "none" else 200,
        "page referral": 404 if referral_side(role, scenario) == "none" else 200,
    }


# ---------------------------------------------------------------------------------------------
# The world of the matrix

SENTINELS = {
    # field key of the allow-lists -> the text that only that field carries
    "child_condition": "BỆNH-ÁN: gãy xương đòn, sang chấn",
    "incident_place": "NƠI-XẢY-RA: bến đò thôn Hạ",
    "family_situation": "HOÀN-CẢNH: cha đi làm xa",
    "current_carer": "NGƯỜI-CHĂM: bà nội Tư",
    "child_location": "CHỖ-Ở: nhà văn hóa xã",
    "school": "TRƯỜNG-CỦA-TRẺ: THCS Bình Minh",
    "carers": "Hồ Văn Giám Hộ",
    "alleged_perpetrators": "Đỗ Văn Nghi Phạm",
    "reporter": "NGƯỜI-BÁO: chị Lành",
}
# In no sector's allow-list: nobody outside the commune may read them.
NEVER = {
    "expected_consequence": "HẬU-QUẢ: bỏ học",
    "prior_actions": "ĐÃ-LÀM: hòa giải thôn",
    "additional_notes": "GHI-CHÚ: hồ sơ mật",
    "reporter_address": "ĐỊA-CHỈ-NGƯỜI-BÁO: xóm 7",
    "address": "ĐỊA-CHỈ-TRẺ: số 12 ngõ 4",
    "other_names": "TÊN-KHÁC: Bé Bi",
}


@dataclass
class Matrix:
    cases: dict[str, Case]
    referrals: dict[str, dict[str, Referral]]  # scenario -> role or "*" -> referral
    orgs: dict[str, Organisation]

    def referral(self, scenario: str, role: str) -> Referral:
        by_role = self.referrals[scenario]
        return by_role.get(role, by_role["*"])


def _case_with_every_field(world) -> Case:
    case = make_case(
        world.commune,
        "Phạm Thị Dung",
        child_condition=SENTINELS["child_condition"],
        incident_place=SENTINELS["incident_place"],
        family_situation=SENTINELS["family_situation"],
        current_carer=SENTINELS["current_carer"],
        child_location=SENTINELS["child_location"],
        expected_consequence=NEVER["expected_consequence"],
        prior_actions=NEVER["prior_actions"],
        additional_notes=NEVER["additional_notes"],
        reporter_consent=True,
        reporter_name=SENTINELS["reporter"],
        reporter_phone="0987654321",
        reporter_address=NEVER["reporter_address"],
    )
    child = case.child
    child.school_name = SENTINELS["school"]
    child.address = NEVER["address"]
    child.other_names = NEVER["other_names"]
    child.save()
    FamilyMember.objects.create(
        child=child,
        full_name=SENTINELS["carers"],
        relation="father",
        is_caregiver=True,
    )
    FamilyMember.objects.create(
        child=child,
        full_name=SENTINELS["alleged_perpetrators"],
        relation="other",
        is_alleged_perpetrator=True,
    )
    return case


def _send(world, case, organisation, actor=None) -> Referral:
    return services.referral_send(
        actor=actor or world.officer,
        case=case,
        organisation=organisation,
        purpose="s_education",
        message="Đề nghị phối hợp hỗ trợ em",
    )


@pytest.fixture
def matrix(world) -> Matrix:
    orgs = {
        "school_org": world.school_org,
        "health_org": world.health.memberships.get().organisation,
        "police_org": world.police.memberships.get().organisation,
        # Receivers nobody in the personas works for.
        "other_school": OrganisationFactory(kind="school", area=world.commune, name="THCS B"),
        "cam_lo_school": OrganisationFactory(
            kind="school", area=world.other_commune, name="Trường Cam Lộ"
        ),
    }
    referred, ended = _case_with_every_field(world), _case_with_every_field(world)
    own = _send(world, world.case, orgs["other_school"])
    other = _send(world, world.other_case, orgs["cam_lo_school"], actor=world.officer2)

    school = _send(world, referred, orgs["school_org"])
    services.referral_acknowledge(actor=world.school, referral=school)
    services.referral_accept(actor=world.school, referral=school)
    health = _send(world, referred, orgs["health_org"])
    police = _send(world, referred, orgs["police_org"])
    services.referral_acknowledge(actor=world.police, referral=police)

    done = _send(world, ended, orgs["school_org"])
    services.referral_acknowledge(actor=world.school, referral=done)
    services.referral_accept(actor=world.school, referral=done)
    services.referral_complete(actor=world.officer, referral=done)
    declined = _send(world, ended, orgs["health_org"])
    services.referral_decline(actor=world.health, referral=declined, reason="Quá tải")
    revoked = _send(world, ended, orgs["police_org"])
    services.referral_revoke(actor=world.officer, referral=revoked, reason="Không cần nữa")
    return Matrix(
        cases={
            "own": world.case,
            "other_commune": world.other_case,
            "referred_to_me": referred,
            "referral_ended": ended,
        },
        referrals={
            "own": {"*": own},
            "other_commune": {"*": other},
            "referred_to_me": {"school": school, "health": health, "police": police, "*": school},
            "referral_ended": {"school": done, "health": declined, "police": revoked, "*": done},
        },
        orgs=orgs,
    )


# ---------------------------------------------------------------------------------------------
# Calling every endpoint


class Undo(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


def in_savepoint(call: Callable[[], object]) -> object:
    """Run one request and roll back whatever it changed."""
    try:
        with transaction.atomic():
            raise Undo(call())
    except Undo as undo:
        return undo.value


def api_cells(client: APIClient, matrix: Matrix, world, role: str, scenario: str) -> dict:
    case = matrix.cases[scenario]
    referral = matrix.referral(scenario, role)
    c, r = f"/api/v1/cases/{case.public_id}/", f"/api/v1/referrals/{referral.public_id}/"

    def listed(url: str, public_id) -> str:
        ids = set()
        while url:
            body = client.get(url).json()
            ids |= {row["id"] for row in body["results"]}
            url = body["next"]
        return "listed" if str(public_id) in ids else "unlisted"

    calls: dict[str, Callable[[], object]] = {
        "GET case list": lambda: listed("/api/v1/cases/", case.public_id),
        "GET case": lambda: client.get(c).status_code,
        "PATCH case": lambda: (
            client.patch(
                c, {"incident_place": "x"}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
            ).status_code
        ),
        "POST case note": lambda: (
            client.post(f"{c}notes/", {"text": "Ghi chú"}, format="json").status_code
        ),
        **{
            f"GET case {part}": (lambda part=part: client.get(f"{c}{part}/").status_code)
            for part in CASE_PARTS
        },
        "GET referral list": lambda: listed("/api/v1/referrals/", referral.public_id),
        "GET referral": lambda: client.get(r).status_code,
        "GET referral updates": lambda: client.get(f"{r}updates/").status_code,
        "POST referral acknowledge": lambda: client.post(f"{r}acknowledge/").status_code,
        "POST referral accept": lambda: client.post(f"{r}accept/").status_code,
        "POST referral decline": lambda: (
            client.post(f"{r}decline/", {"reason": "Không phù hợp"}, format="json").status_code
        ),
        "POST referral update": lambda: (
            client.post(
                f"{r}updates/", {"kind": "feedback", "text": "Em ổn"}, format="json"
            ).status_code
        ),
        "POST referral complete": lambda: (
            client.post(f"{r}complete/", {"note": "Xong"}, format="json").status_code
        ),
        "POST referral revoke": lambda: (
            client.post(f"{r}revoke/", {"reason": "Thôi"}, format="json").status_code
        ),
        "POST referral (send)": lambda: (
            client.post(
                "/api/v1/referrals/",
                {
                    "case": str(case.public_id),
                    "organisation": str(
                        matrix.orgs[
                            "cam_lo_school" if scenario == "other_commune" else "school_org"
                        ].public_id
                    ),
                    "purpose": "s_skills",
                    "message": "Đề nghị dạy kỹ năng tự bảo vệ",
                },
                format="json",
            ).status_code
        ),
        "GET referral recipients": lambda: (
            client.get("/api/v1/referrals/recipients/", {"case": str(case.public_id)}).status_code
        ),
    }
    return {name: in_savepoint(call) for name, call in calls.items()}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_each_role_as_the_rule_says(world, matrix, role, scenario):
    got = api_cells(api_for(world.users[role]), matrix, world, role, scenario)
    expected = expected_api(role, scenario)
    assert set(got) == set(expected)
    wrong = {name: (got[name], expected[name]) for name in got if got[name] != expected[name]}
    assert not wrong, f"{role} × {scenario}: (got, expected) {wrong}"


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("role", ROLES)
def test_the_pages_answer_each_role_as_the_rule_says(world, matrix, role, scenario):
    # The case page (cases/urls.py) and the referral page (referrals/urls.py, built alongside
    # this API): both through the same door as the API.
    client = page_for(world.users[role])
    case = matrix.cases[scenario]
    referral = matrix.referral(scenario, role)
    got = {
        "page case": client.get(f"/cases/{case.public_id}/").status_code,
        "page referral": client.get(f"/referrals/{referral.public_id}/").status_code,
    }
    assert got == expected_pages(role, scenario), f"{role} × {scenario}"


# ---------------------------------------------------------------------------------------------
# No field beyond the allow-list


@pytest.mark.parametrize("role", sorted(RECIPIENTS))
def test_a_recipient_reads_no_field_beyond_its_allow_list(world, matrix, role):
    case = matrix.cases["referred_to_me"]
    referral = matrix.referral("referred_to_me", role)
    kind = matrix.orgs[RECIPIENTS[role]].kind
    api, page = api_for(world.users[role]), page_for(world.users[role])
    answers = {
        "case API": api.get(f"/api/v1/cases/{case.public_id}/"),
        "case list API": api.get("/api/v1/cases/"),
        "referral API": api.get(f"/api/v1/referrals/{referral.public_id}/"),
        "inbox API": api.get("/api/v1/referrals/", {"box": "inbox"}),
        "case page": page.get(f"/cases/{case.public_id}/"),
        "referral page": page.get(f"/referrals/{referral.public_id}/"),
    }
    allowed = ALLOWED[kind]
    forbidden = {key: text for key, text in SENTINELS.items() if key not in allowed}
    forbidden |= NEVER
    for where, response in answers.items():
        assert response.status_code == 200, where
        body = response.content.decode()
        leaked = {key for key, text in forbidden.items() if text in body}
        assert not leaked, f"{role} reads {leaked} in the {where}"
    # And it does read what its sector needs, in the API and on the page.
    visible = {key: text for key, text in SENTINELS.items() if key in allowed}
    assert visible
    for where in ("case API", "referral API", "case page", "referral page"):
        body = answers[where].content.decode()
        assert all(text in body for text in visible.values()), (role, where)
    fields = answers["case API"].json()["fields"]
    assert fields
    assert set(answers["case API"].json()) == {
        "id",
        "view",
        "number",
        "status",
        "child",
        "commune",
        "received_at",
        "fields",
    }
    assert [row["key"] for row in answers["referral API"].json()["summary"]] == [
        key for key in _allow_list_order(kind)
    ]


def _allow_list_order(kind: str) -> list[str]:
    from referrals.allowlists import allowed_fields

    return allowed_fields(kind)


@pytest.mark.parametrize("role", sorted(RECIPIENTS))
def test_after_the_referral_ends_the_recipient_reads_only_the_referral(world, matrix, role):
    case = matrix.cases["referral_ended"]
    referral = matrix.referral("referral_ended", role)
    api, page = api_for(world.users[role]), page_for(world.users[role])
    answers = {
        "referral API": api.get(f"/api/v1/referrals/{referral.public_id}/"),
        "referral list API": api.get("/api/v1/referrals/"),
        "referral page": page.get(f"/referrals/{referral.public_id}/"),
    }
    for where, response in answers.items():
        assert response.status_code == 200, where
        body = response.content.decode()
        if where == "referral list API":
            # Its row only: the list also holds the open referrals of the other case.
            (row,) = [r for r in response.json()["results"] if r["id"] == str(referral.public_id)]
            body = json.dumps(row, ensure_ascii=False)
        leaked = {k for k, text in (SENTINELS | NEVER).items() if text in body}
        assert not leaked, f"{role} reads {leaked} in the {where} after the end"
        assert case.child.full_name not in body, where
    assert answers["referral API"].json()["summary"] == []
    assert answers["referral API"].json()["case"] is None
    assert api.get(f"/api/v1/cases/{case.public_id}/").status_code == 404
    assert page.get(f"/cases/{case.public_id}/").status_code == 404


def test_the_matrix_covers_every_role_and_scenario():
    assert len(ROLES) == 11
    assert {role for role in ROLES} >= set(RECIPIENTS) | {"officer", "admin", "nobody"}
    assert Role.SECTOR_STAFF  # the recipients' role
