"""The Decree 56 workflow through its pages: each step's form, its refusals, the case page, home."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import organisation_group
from cases import services
from cases.models import (
    Assessment,
    Case,
    CaseDeadline,
    CaseDocument,
    CaseNote,
    Child,
    EmergencyDecision,
    FamilyMember,
    Notification,
    Plan,
)
from tests.factories import make_case

RATINGS = {
    "harm_severity": "high",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "low",
    "recovery": "medium",
}
LOW = dict.fromkeys(RATINGS, "low")


def today(days: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def now_local(hours: int = 0) -> str:
    moment = timezone.localtime() + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M")


def step_url(case: Case, step: str) -> str:
    return reverse("cases:step", args=[case.public_id, step])


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def plan_data(*activities: dict, **extra) -> dict:
    data = {
        "objectives": "Bảo đảm an toàn cho trẻ",
        "monitoring": "Cán bộ thăm gia đình mỗi tuần",
        "review_on": today(30),
        "reason": "",
        "activities-TOTAL_FORMS": str(len(activities)),
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, row in enumerate(activities):
        for name, value in row.items():
            data[f"activities-{index}-{name}"] = value
    return data


def activity(**extra) -> dict:
    return {
        "measure": "s_health",  # a support case (Art. 49)
        "description": "Khám sức khỏe, tư vấn tâm lý",
        "person_responsible": "Trạm trưởng Trạm Y tế",
        "starts_on": today(),
        "ends_on": today(30),
        "cost": "500000",
        **extra,
    }


SPECIFIC = {
    **RATINGS,
    "physical_emotional_state": "Có vết bầm ở tay",
    "family_capacity": "Bà ngoại chăm sóc",
    "needs": "Khám sức khỏe",
    "carer_safe": "no",
}
MEETING = {
    "chaired_by": "Chủ tịch UBND xã",
    "attendees": "Cán bộ BVTE, Trạm Y tế, cha mẹ",
    "minutes": "Thống nhất biện pháp hỗ trợ",
}


def to_submitted_plan(world, case: Case) -> None:
    """Take a case to a submitted plan through the services (arrange, not the subject)."""
    services.case_assess_initial(
        actor=world.officer, case=case, emergency_required=False, **RATINGS
    )
    services.case_assess_specific(
        actor=world.officer,
        case=case,
        physical_emotional_state="Có vết bầm",
        family_capacity="Bà ngoại chăm sóc",
        needs="Khám sức khỏe",
        **RATINGS,
    )
    services.case_hold_needs_meeting(
        actor=world.officer, case=case, chaired_by="Chủ tịch", attendees="A, B", minutes="C"
    )
    services.case_draft_plan(
        actor=world.officer,
        case=case,
        objectives="Bảo đảm an toàn",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        activities=[
            {
                "measure": "s_health",
                "description": "Khám sức khỏe",
                "person_responsible": "Trạm Y tế",
                "starts_on": timezone.localdate(),
                "ends_on": timezone.localdate() + datetime.timedelta(days=10),
            }
        ],
    )
    services.case_submit_plan(actor=world.officer, case=case)


# ---------------------------------------------------------------------------------------------
# The whole path


def test_the_officer_and_the_chairman_take_a_case_from_receipt_to_closure(world, client_for):
    officer, chairman = client_for("officer"), client_for("chairman")

    response = officer.post(
        reverse("cases:create"),
        {
            "commune": world.commune.pk,
            "received_at": now_local(),
            "source": "commune",
            "channel": "phone",
            "target_group": "abused",
            "abuse_forms": ["violence"],
            "protection_level": "intervention",
            "full_name": "Phạm Thị Hoa",
            "sex": "female",
            "estimated_age": "9",
            "incident_place": "Thôn 3",
            "child_condition": "Sợ hãi",
            "father_name": "Phạm Văn Nam",
            "father_age": "40",
        },
    )
    case = Case.objects.get(child__full_name="Phạm Thị Hoa")
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert case.child.family_members.get().relation == FamilyMember.Relation.FATHER

    assert (
        officer.post(
            step_url(case, "assess_initial"), {**RATINGS, "emergency_required": "no"}
        ).status_code
        == 302
    )
    assert officer.post(step_url(case, "assess_specific"), SPECIFIC).status_code == 302
    assert (
        officer.post(
            step_url(case, "hold_needs_meeting"), {**MEETING, "held_at": now_local()}
        ).status_code
        == 302
    )
    response = officer.post(
        step_url(case, "draft_plan"),
        plan_data(activity(), activity(measure="s_education", description="Hỗ trợ học tập")),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert officer.post(step_url(case, "submit_plan"), {}).status_code == 302
    assert fresh(case).status == "plan_submitted"

    home = chairman.get(reverse("home")).content.decode()
    assert step_url(case, "approve_plan") in home
    page = chairman.get(step_url(case, "approve_plan")).content.decode()
    assert "Hỗ trợ học tập" in page  # the chairman reads the plan on the decision page
    response = chairman.post(
        step_url(case, "approve_plan"),
        {"decision_number": "15/QĐ-UBND", "decision_date": today()},
    )
    assert response.status_code == 302
    plan = Plan.objects.get(case=case)
    assert (plan.status, plan.decision_number) == ("approved", "15/QĐ-UBND")
    assert plan.activities.count() == 2

    assert officer.post(step_url(case, "start_implementation"), {}).status_code == 302
    assert (
        officer.post(
            step_url(case, "record_review"),
            {**LOW, "no_remaining_risk": "yes", "child_stable": "yes", "recommendation": "close"},
        ).status_code
        == 302
    )
    assert chairman.post(step_url(case, "close"), {"reason": "Đủ điều kiện"}).status_code == 302
    case = fresh(case)
    assert case.status == "closed"

    page = officer.get(detail_url(case)).content.decode()
    assert page.count('data-kind="') == 3  # Mẫu 02, 03 and 06 side by side
    for step in ("assess_initial", "approve_plan", "close"):
        assert f'data-step="{step}"' in page  # the history
    assert 'data-plan-status="approved"' in page


def test_the_case_page_lists_the_steps_each_role_may_take_now(world, client_for):
    officer_page = client_for("officer").get(detail_url(world.case)).content.decode()
    chairman_page = client_for("chairman").get(detail_url(world.case)).content.decode()
    assert 'id="step-assess_initial"' in officer_page
    assert step_url(world.case, "assess_initial") in officer_page
    assert 'id="step-approve_plan"' not in officer_page
    assert 'id="step-assess_initial"' not in chairman_page
    assert 'id="step-decide_emergency"' in chairman_page
    # the step says what it requires
    assert 'class="requires"' in officer_page


def test_the_step_form_offers_the_mau_06_descriptors(world, client_for):
    page = client_for("officer").get(step_url(world.case, "assess_initial"))
    assert page.status_code == 200
    body = page.content.decode()
    for name in RATINGS:
        for level in ("high", "medium", "low"):
            assert f'name="{name}" value="{level}"' in body


# ---------------------------------------------------------------------------------------------
# Refusals


def test_a_step_the_state_does_not_allow_shows_why_with_409(world, client_for):
    client = client_for("chairman")
    page = client.get(step_url(world.case, "approve_plan"))
    assert page.status_code == 409
    assert 'id="refusal"' in page.content.decode()
    response = client.post(
        step_url(world.case, "approve_plan"),
        {"decision_number": "15/QĐ-UBND", "decision_date": today()},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="refusal"' in body
    assert 'value="15/QĐ-UBND"' in body  # what was typed is still there
    assert fresh(world.case).status == "received"


def test_a_step_refused_by_the_service_under_its_lock_shows_its_message(world, client_for):
    # The page was opened while the step was possible; someone moved the case on meanwhile.
    to_submitted_plan(world, world.case)
    client = client_for("chairman")
    assert client.get(step_url(world.case, "approve_plan")).status_code == 200
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    response = client.post(
        step_url(world.case, "approve_plan"),
        {"decision_number": "15/QĐ-UBND", "decision_date": today()},
    )
    assert response.status_code == 409
    assert Plan.objects.get(case=world.case).status == "draft"


@pytest.mark.parametrize(
    ("persona", "step"),
    [
        ("officer", "approve_plan"),
        ("officer", "decide_emergency"),
        ("chairman", "assess_initial"),
        ("chairman", "draft_plan"),
        ("supervisor", "assess_initial"),
        ("supervisor", "transfer"),
        ("hotline", "assess_initial"),
    ],
)
def test_a_step_the_role_may_not_take_answers_403(world, client_for, persona, step):
    client = client_for(persona)
    assert client.get(step_url(world.case, step)).status_code == 403
    response = client.post(step_url(world.case, step), {**RATINGS, "emergency_required": "no"})
    assert response.status_code == 403
    assert 'id="forbidden"' in response.content.decode()
    assert fresh(world.case).status == "received"


def test_a_summary_only_viewer_may_not_take_steps(world, client_for):
    grant_summary_to_school(world)
    assert client_for("school").get(step_url(world.case, "assess_initial")).status_code == 403


def test_an_unknown_step_answers_404(world, client_for):
    assert client_for("officer").get(step_url(world.case, "approve_everything")).status_code == 404


OUTSIDERS = ["officer2", "far_officer", "collaborator", "school", "auditor", "admin", "nobody"]


def case_pages(world) -> list[tuple[str, str]]:
    case = world.case
    document = CaseDocument.objects.create(
        case=case,
        original_name="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=world.officer,
        file="xx/none",
    )
    pages = [
        ("get", detail_url(case)),
        ("get", reverse("cases:edit", args=[case.public_id])),
        ("post", reverse("cases:edit", args=[case.public_id])),
        ("get", reverse("cases:edit-child", args=[case.public_id])),
        ("get", reverse("cases:family-add", args=[case.public_id])),
        ("post", reverse("cases:family-remove", args=[case.public_id])),
        ("get", reverse("cases:note-add", args=[case.public_id])),
        ("post", reverse("cases:note-add", args=[case.public_id])),
        ("post", reverse("cases:document-add", args=[case.public_id])),
        ("get", reverse("cases:document-download", args=[case.public_id, document.public_id])),
    ]
    for step in ("assess_initial", "draft_plan", "approve_plan", "transfer", "merge", "close"):
        pages += [("get", step_url(case, step)), ("post", step_url(case, step))]
    return pages


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_every_case_page_answers_404_to_outsiders(world, client_for, persona):
    client = client_for(persona)
    for method, url in case_pages(world):
        response = getattr(client, method)(url, {"text": "x", "reason": "x"})
        assert response.status_code == 404, (method, url)
        assert world.case.child_name not in response.content.decode()
    assert fresh(world.case).status == "received"
    assert not CaseNote.objects.exists()


def test_pages_of_a_case_that_does_not_exist_answer_404(world, client_for):
    client = client_for("officer")
    missing = uuid.uuid4()
    for url in (
        reverse("cases:detail", args=[missing]),
        reverse("cases:edit", args=[missing]),
        reverse("cases:step", args=[missing, "assess_initial"]),
        reverse("cases:document-download", args=[missing, uuid.uuid4()]),
    ):
        assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_from_every_page(world, client):
    for method, url in case_pages(world) + [("get", reverse("cases:create"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"]


# ---------------------------------------------------------------------------------------------
# Validation


def test_a_service_refusal_shows_the_message_next_to_the_field_and_saves_nothing(world, client_for):
    to_submitted_plan(world, world.case)
    response = client_for("chairman").post(
        step_url(world.case, "approve_plan"),
        {"decision_number": "15/QĐ-UBND", "decision_date": today(3)},
    )
    assert response.status_code == 400
    body = response.content.decode()
    field = re.search(r'id="field-decision_date".*?</div>', body, re.S).group(0)
    assert 'class="errorlist"' in field
    assert 'value="15/QĐ-UBND"' in body
    assert Plan.objects.get(case=world.case).status == "submitted"


def test_a_missing_rating_is_shown_on_its_own_radio_group(world, client_for):
    ratings = {**RATINGS, "recovery": ""}
    response = client_for("officer").post(
        step_url(world.case, "assess_initial"), {**ratings, "emergency_required": "no"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    field = re.search(r'id="field-recovery".*?</fieldset>', body, re.S).group(0)
    assert 'class="errorlist"' in field
    assert 'name="harm_severity" value="high" aria-invalid' not in body
    assert re.search(r'name="harm_severity" value="high"[^>]*checked', body)
    assert not Assessment.objects.exists()
    assert fresh(world.case).status == "received"


def test_a_malformed_date_is_refused_by_the_form(world, client_for):
    to_submitted_plan(world, world.case)
    response = client_for("chairman").post(
        step_url(world.case, "approve_plan"),
        {"decision_number": "15/QĐ-UBND", "decision_date": "31/02/2026"},
    )
    assert response.status_code == 400
    assert Plan.objects.get(case=world.case).status == "submitted"


def test_activity_errors_are_shown_on_their_own_row(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    response = client_for("officer").post(
        step_url(world.case, "draft_plan"),
        plan_data(
            activity(),
            {
                "measure": "",
                "description": "",
                "person_responsible": "",
                "starts_on": "",
                "ends_on": "",
                "cost": "",
            },  # an empty row is left out
            activity(description="Hỗ trợ học tập", starts_on=today(5), ends_on=today(1)),
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    third = re.search(r'id="activity-2".*?id="activity-|id="activity-2".*', body, re.S).group(0)
    ends = re.search(r'id="field-activities-2-ends_on".*?</div>', third, re.S).group(0)
    assert 'class="errorlist"' in ends
    first = re.search(r'id="activity-0".*?id="activity-1"', body, re.S).group(0)
    assert 'class="errorlist"' not in first
    plan = Plan.objects.get(case=world.case)
    assert plan.objectives == "Bảo đảm an toàn"  # the draft is unchanged
    assert plan.activities.count() == 1


def test_a_plan_without_activities_is_refused_above_the_rows(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    response = client_for("officer").post(step_url(world.case, "draft_plan"), plan_data())
    assert response.status_code == 400
    assert 'id="activities-errors"' in response.content.decode()
    assert Plan.objects.get(case=world.case).activities.count() == 1


def test_adding_an_activity_row_saves_nothing_and_keeps_the_input(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    data = plan_data(activity(description="Một việc mới"), objectives="Mục tiêu mới")
    response = client_for("officer").post(
        step_url(world.case, "draft_plan"), {**data, "add_row": "1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="activities-TOTAL_FORMS" value="2"' in body
    assert "Một việc mới" in body
    assert "Mục tiêu mới" in body
    assert Plan.objects.get(case=world.case).objectives == "Bảo đảm an toàn"


def test_redrafting_starts_from_the_current_draft(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    body = client_for("officer").get(step_url(world.case, "draft_plan")).content.decode()
    assert "Bảo đảm an toàn" in body
    assert 'name="activities-0-description"' in body
    assert "Khám sức khỏe" in body


def test_a_redraft_with_two_activities_replaces_the_draft(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    organisation = world.school_org
    response = client_for("officer").post(
        step_url(world.case, "draft_plan"),
        plan_data(
            activity(),
            activity(
                measure="s_education", organisation=str(organisation.pk), person_responsible=""
            ),
        ),
    )
    assert response.status_code == 302
    plan = Plan.objects.get(case=world.case)
    assert plan.version == 1
    assert set(plan.activities.values_list("organisation", flat=True)) == {None, organisation.pk}


def test_a_plan_activity_cannot_name_an_organisation_outside_the_area(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    far = Case.objects.get(pk=world.far_case.pk).commune
    from tests.factories import OrganisationFactory

    elsewhere = OrganisationFactory(area=far, kind="school")
    response = client_for("officer").post(
        step_url(world.case, "draft_plan"),
        plan_data(activity(organisation=str(elsewhere.pk))),
    )
    assert response.status_code == 400
    assert Plan.objects.get(case=world.case).activities.get().organisation is None


# ---------------------------------------------------------------------------------------------
# Emergency, separation, transfer, merge, not substantiated


def test_the_chairman_decides_a_separation_extends_and_ends_it(world, client_for):
    client = client_for("chairman")
    response = client.post(
        step_url(world.case, "decide_emergency"),
        {
            "kind": "separation",
            "decision_number": "3/QĐ-UBND",
            "measures": "Đưa trẻ đến nơi an toàn",
            "separated_from": "Cha",
            "ground": "carer_abuse",
            "safe_place": "Nhà bà ngoại",
            "alternative_care": "Bà ngoại",
            "ends_at": now_local(24 * 10),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    decision = EmergencyDecision.objects.get(case=world.case)
    response = client.post(
        step_url(world.case, "extend_separation"),
        {"decision": decision.pk, "new_ends_at": now_local(24 * 20), "reason": "Chưa an toàn"},
    )
    assert response.status_code == 400  # beyond 15 days without an authority's request
    assert 'id="field-new_ends_at"' in response.content.decode()
    response = client.post(
        step_url(world.case, "extend_separation"),
        {"decision": decision.pk, "new_ends_at": now_local(24 * 13), "reason": "Chưa an toàn"},
    )
    assert response.status_code == 302
    ending = {"decision": decision.pk, "basis": "carer_safe", "reason": "Cha mẹ bảo đảm an toàn"}
    response = client.post(step_url(world.case, "end_separation"), ending)
    # Art. 32(3): no Mẫu 03 since the separation began finds the carer safe.
    assert response.status_code == 400
    assert 'id="field-basis"' in response.content.decode()
    officer = client_for("officer")
    assert officer.post(step_url(world.case, "assess_specific"), SPECIFIC).status_code == 302
    assert client.post(step_url(world.case, "end_separation"), ending).status_code == 400
    response = officer.post(
        step_url(world.case, "reassess_specific"), SPECIFIC | {"carer_safe": "yes"}
    )
    assert response.status_code == 302
    response = client.post(step_url(world.case, "end_separation"), ending)
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.ended_at is not None
    page = client.get(detail_url(world.case)).content.decode()
    assert "Chưa an toàn" in page  # the extension and its reason
    assert "Nhà bà ngoại" in page


def test_an_emergency_decision_needs_its_number(world, client_for):
    response = client_for("chairman").post(
        step_url(world.case, "decide_emergency"),
        {"kind": "intervention", "measures": "Sơ cứu"},
    )
    assert response.status_code == 400
    field = re.search(
        r'id="field-decision_number".*?</div>', response.content.decode(), re.S
    ).group(0)
    assert 'class="errorlist"' in field
    assert not EmergencyDecision.objects.exists()


def test_the_officer_transfers_a_case_to_a_commune_picked_by_province(world, client_for):
    client = client_for("officer")
    page = client.get(step_url(world.case, "transfer") + f"?province={world.province.pk}")
    body = page.content.decode()
    assert f'<option value="{world.other_commune.pk}"' in body
    assert f'<option value="{world.far_commune.pk}"' not in body
    page = client.get(step_url(world.case, "transfer") + f"?province={world.other_province.pk}")
    body = page.content.decode()
    assert f'<option value="{world.far_commune.pk}"' in body
    assert f'<option value="{world.other_province.pk}" selected>' in body
    assert f'name="province" value="{world.other_province.pk}"' in body  # sent with the form
    default = client.get(step_url(world.case, "transfer")).content.decode()
    assert f'<option value="{world.province.pk}" selected>' in default
    page = client.get(step_url(world.case, "transfer") + "?province=nonsense")
    assert page.status_code == 200
    response = client.post(
        step_url(world.case, "transfer"),
        {
            "province": world.province.pk,
            "commune": world.other_commune.pk,
            "reason": "Trẻ chuyển nhà",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list")
    assert fresh(world.case).commune == world.other_commune
    assert client.get(detail_url(world.case)).status_code == 404  # no longer the officer's


def test_a_transfer_needs_a_commune_and_a_reason(world, client_for):
    response = client_for("officer").post(step_url(world.case, "transfer"), {"reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="errorlist"' in re.search(r'id="field-commune".*?</div>', body, re.S).group(0)
    assert 'class="errorlist"' in re.search(r'id="field-reason".*?</div>', body, re.S).group(0)


def test_the_officer_merges_a_duplicate_into_a_case_they_can_see(world, client_for):
    duplicate = make_case(world.commune, "Nguyễn Văn An")
    client = client_for("officer")
    page = client.get(step_url(duplicate, "merge")).content.decode()
    assert f'<option value="{world.case.number}">' in page
    assert world.other_case.number not in page
    refused = client.post(
        step_url(duplicate, "merge"), {"into": world.other_case.number, "reason": "Trùng"}
    )
    assert refused.status_code == 400  # a case they cannot see is not a choice
    response = client.post(
        step_url(duplicate, "merge"), {"into": world.case.number, "reason": "Trùng"}
    )
    assert response.status_code == 302
    duplicate = fresh(duplicate)
    assert (duplicate.status, duplicate.merged_into) == ("merged", world.case)


def test_a_report_is_marked_not_substantiated_with_a_reason(world, client_for):
    client = client_for("officer")
    assert client.post(step_url(world.case, "mark_not_substantiated"), {}).status_code == 400
    response = client.post(
        step_url(world.case, "mark_not_substantiated"), {"reason": "Thông tin không đúng"}
    )
    assert response.status_code == 302
    assert fresh(world.case).status == "not_substantiated"


# ---------------------------------------------------------------------------------------------
# Opening a case, editing, family, notes, documents


def test_the_reporter_is_kept_only_with_consent(world, client_for):
    client = client_for("officer")
    base = {
        "commune": world.commune.pk,
        "source": "commune",
        "channel": "in_person",
        "target_group": "at_risk",
        "protection_level": "support",
        "sex": "unknown",
        "reporter_name": "Người báo tin",
        "reporter_phone": "0912345678",
    }
    client.post(reverse("cases:create"), {**base, "full_name": "Trẻ Một"})
    client.post(reverse("cases:create"), {**base, "full_name": "Trẻ Hai", "reporter_consent": "on"})
    assert Case.objects.get(child__full_name="Trẻ Một").reporter_name == ""
    assert Case.objects.get(child__full_name="Trẻ Hai").reporter_name == "Người báo tin"


def test_opening_a_case_with_a_future_birth_date_shows_the_message_and_opens_nothing(
    world, client_for
):
    count = Case.objects.count()
    response = client_for("officer").post(
        reverse("cases:create"),
        {
            "commune": world.commune.pk,
            "source": "commune",
            "channel": "phone",
            "target_group": "at_risk",
            "protection_level": "support",
            "sex": "male",
            "full_name": "Trẻ Tương Lai",
            "date_of_birth": today(10),
            "father_name": "Cha",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    field = re.search(r'id="field-date_of_birth".*?</div>', body, re.S).group(0)
    assert 'class="errorlist"' in field
    assert 'value="Trẻ Tương Lai"' in body
    assert Case.objects.count() == count
    assert not FamilyMember.objects.exists()


@pytest.mark.parametrize("persona", ["chairman", "supervisor", "hotline", "school", "nobody"])
def test_only_a_commune_officer_opens_cases(world, client_for, persona):
    assert client_for(persona).get(reverse("cases:create")).status_code == 403


def test_the_create_form_offers_only_the_officers_communes(world, client_for):
    body = client_for("officer").get(reverse("cases:create")).content.decode()
    commune_select = re.search(r'name="commune".*?</select>', body, re.S).group(0)
    assert world.commune.name in commune_select
    assert world.other_commune.name not in commune_select
    response = client_for("officer").post(
        reverse("cases:create"), {"commune": world.other_commune.pk, "sex": "male"}
    )
    assert response.status_code == 400


def test_two_people_edit_the_record_and_the_second_gets_the_conflict(world, client_for):
    first, second = client_for("officer"), client_for("officer")
    url = reverse("cases:edit", args=[world.case.public_id])
    form_one, form_two = first.get(url), second.get(url)
    version = re.search(r'name="version" value="(\d+)"', form_one.content.decode()).group(1)
    assert version in form_two.content.decode()
    fields = {
        "version": version,
        "source": "commune",
        "channel": "phone",
        "target_group": "abused",
        "protection_level": "intervention",
    }
    saved = first.post(url, {**fields, "incident_place": "Chợ xã"})
    assert saved.status_code == 302
    refused = second.post(url, {**fields, "incident_place": "Bến xe"})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert 'id="conflict"' in body
    assert 'value="Bến xe"' in body  # the second person's input is kept
    assert fresh(world.case).incident_place == "Chợ xã"  # the first person's change stays


def test_the_childs_details_have_the_same_collision_check(world, client_for):
    first, second = client_for("officer"), client_for("officer")
    url = reverse("cases:edit-child", args=[world.case.public_id])
    version = str(world.case.version)
    first.get(url), second.get(url)
    assert (
        first.post(
            url, {"version": version, "full_name": "Nguyễn Văn Ân", "sex": "male"}
        ).status_code
        == 302
    )
    refused = second.post(url, {"version": version, "full_name": "Nguyễn An", "sex": "male"})
    assert refused.status_code == 409
    assert 'value="Nguyễn An"' in refused.content.decode()
    assert fresh(world.case).child.full_name == "Nguyễn Văn Ân"


def test_a_bad_record_edit_shows_the_message_next_to_the_field(world, client_for):
    url = reverse("cases:edit", args=[world.case.public_id])
    response = client_for("officer").post(
        url,
        {
            "version": world.case.version,
            "source": "commune",
            "channel": "phone",
            "target_group": "abused",
            "protection_level": "intervention",
            "abuse_forms": ["violence"],
            "sexual_abuse_types": ["rape"],
        },
    )
    assert response.status_code == 400
    field = re.search(
        r'id="field-sexual_abuse_types".*?</fieldset>', response.content.decode(), re.S
    ).group(0)
    assert 'class="errorlist"' in field
    assert fresh(world.case).version == world.case.version


@pytest.mark.parametrize("persona", ["chairman", "supervisor"])
def test_roles_that_read_but_do_not_edit_get_403_on_edit_pages(world, client_for, persona):
    client = client_for(persona)
    for name in ("cases:edit", "cases:edit-child", "cases:family-add"):
        assert client.get(reverse(name, args=[world.case.public_id])).status_code == 403


def test_family_members_are_added_and_removed(world, client_for):
    client = client_for("officer")
    url = reverse("cases:family-add", args=[world.case.public_id])
    refused = client.post(url, {"full_name": "Bà Tư"})
    assert refused.status_code == 400
    assert 'class="errorlist"' in re.search(
        r'id="field-relation".*?</div>', refused.content.decode(), re.S
    ).group(0)
    response = client.post(
        url, {"full_name": "Bà Tư", "relation": "grandparent", "age": "70", "is_caregiver": "on"}
    )
    assert response.status_code == 302
    member = FamilyMember.objects.get()
    assert member.is_caregiver
    assert "Bà Tư" in client.get(detail_url(world.case)).content.decode()
    response = client.post(
        reverse("cases:family-remove", args=[world.case.public_id]), {"member": member.pk}
    )
    assert response.status_code == 302
    assert not FamilyMember.objects.exists()


def test_a_family_member_of_another_case_cannot_be_removed_through_this_one(world, client_for):
    other = services.family_member_add(
        actor=world.officer2, case=world.other_case, data={"relation": "mother"}
    )
    response = client_for("officer").post(
        reverse("cases:family-remove", args=[world.case.public_id]), {"member": other.pk}
    )
    assert response.status_code == 404
    assert FamilyMember.objects.filter(pk=other.pk).exists()


def test_notes_are_added_and_an_empty_note_is_refused(world, client_for):
    client = client_for("officer")
    url = reverse("cases:note-add", args=[world.case.public_id])
    assert client.post(url, {"text": "  "}).status_code == 400
    assert client.post(url, {"text": "Đã gọi điện cho nhà trường"}).status_code == 302
    assert "Đã gọi điện cho nhà trường" in client.get(detail_url(world.case)).content.decode()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_document_is_uploaded_and_downloaded_only_after_the_access_check(
    world, client_for, media
):
    client = client_for("officer")
    upload = SimpleUploadedFile("Biên bản họp.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("cases:document-add", args=[world.case.public_id]),
        {"file": upload, "kind": "minutes", "description": "Biên bản"},
    )
    assert response.status_code == 302
    document = CaseDocument.objects.get()
    assert (media / "documents" / document.file.name).read_bytes() == PDF
    url = reverse("cases:document-download", args=[world.case.public_id, document.public_id])
    assert url in client.get(detail_url(world.case)).content.decode()
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert "no-store" in download["Cache-Control"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert client_for("officer2").get(url).status_code == 404
    grant_summary_to_school(world)
    assert client_for("school").get(url).status_code == 404


def test_a_document_of_the_wrong_type_or_size_is_refused_next_to_the_field(
    world, client_for, media, settings
):
    client = client_for("officer")
    url = reverse("cases:document-add", args=[world.case.public_id])
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"file": fake, "kind": "other"})
    assert response.status_code == 400
    field = re.search(r'id="field-file".*?</div>', response.content.decode(), re.S).group(0)
    assert 'class="errorlist"' in field
    settings.DOCUMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"file": big, "kind": "other"})
    assert response.status_code == 400
    assert "MB" in response.content.decode()
    assert client.post(url, {"kind": "other"}).status_code == 400  # no file at all
    assert not CaseDocument.objects.exists()


def test_a_document_missing_on_disk_answers_404_not_500(world, client_for, media):
    document = CaseDocument.objects.create(
        case=world.case,
        original_name="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=world.officer,
        file="ab/missing",
    )
    url = reverse("cases:document-download", args=[world.case.public_id, document.public_id])
    assert client_for("officer").get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# What each viewer sees


def grant_summary_to_school(world) -> None:
    services.case_share_grant(
        case=world.case,
        permissions=["view_case_summary"],
        reason="Chuyển gửi nhà trường",
        group=organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF),
    )


def test_a_summary_only_viewer_sees_the_summary_and_not_the_assessments(world, client_for):
    services.case_assess_initial(
        actor=world.officer,
        case=world.case,
        emergency_required=False,
        summary="Bí mật y tế",
        **RATINGS,
    )
    services.case_note_add(actor=world.officer, case=world.case, text="Ghi chú nội bộ")
    grant_summary_to_school(world)
    response = client_for("school").get(detail_url(world.case))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.case.number in body
    assert world.case.child_name in body
    assert world.commune.name in body
    for hidden in (
        'id="assessments"',
        "Bí mật y tế",
        "Ghi chú nội bộ",
        'id="history"',
        'id="deadlines"',
        'id="steps"',
    ):
        assert hidden not in body
    note_url = reverse("cases:note-add", args=[world.case.public_id])
    assert client_for("school").post(note_url, {"text": "x"}).status_code == 404


def test_the_case_page_shows_each_deadline_with_its_citation(world, client_for):
    body = client_for("officer").get(detail_url(world.case)).content.decode()
    assert 'data-rule="emergency_12h"' in body
    assert "Điều 26(3)" in body
    assert 'data-state="open"' in body


def test_the_case_page_keeps_superseded_plans_readable(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_approve_plan(
        actor=world.chairman,
        case=world.case,
        decision_number="1/QĐ-UBND",
        decision_date=timezone.localdate(),
    )
    Plan.objects.filter(case=world.case).update(status=Plan.Status.SUPERSEDED)
    body = client_for("officer").get(detail_url(world.case)).content.decode()
    assert 'data-plan-status="superseded"' in body
    assert "Khám sức khỏe" in body


def test_the_case_page_speaks_english_after_the_switch(world, client_for):
    client = client_for("officer")
    client.post(reverse("set_language"), {"language": "en", "next": detail_url(world.case)})
    body = client.get(detail_url(world.case)).content.decode()
    assert '<html lang="en">' in body
    assert "Responsible commune" in body
    client.post(reverse("set_language"), {"language": "vi", "next": detail_url(world.case)})
    assert "Xã chịu trách nhiệm" in client.get(detail_url(world.case)).content.decode()


# ---------------------------------------------------------------------------------------------
# Home pages and notifications


def overdue_case(world, hours_ago: int = 30) -> Case:
    return make_case(
        world.commune,
        "Trẻ Quá Hạn",
        received_at=timezone.now() - datetime.timedelta(hours=hours_ago),
    )


def test_the_officer_home_lists_overdue_clocks_first(world, client_for):
    late = overdue_case(world)
    body = client_for("officer").get(reverse("home")).content.decode()
    section = re.search(r'id="deadlines".*?</section>', body, re.S).group(0)
    rows = re.findall(r'data-case="([^"]+)" data-state="([^"]+)"', section)
    assert rows[0] == (late.number, "overdue")
    assert (world.case.number, "open") in rows
    assert world.other_case.number not in section


def test_the_chairman_home_lists_the_submitted_plan_and_pending_emergencies(world, client_for):
    to_submitted_plan(world, world.case)
    urgent = make_case(world.commune, "Trẻ Khẩn Cấp")
    services.case_assess_initial(
        actor=world.officer, case=urgent, emergency_required=True, **RATINGS
    )
    body = client_for("chairman").get(reverse("home")).content.decode()
    awaiting = re.search(r'id="awaiting-approval".*?</section>', body, re.S).group(0)
    assert f'data-case="{world.case.number}"' in awaiting
    assert step_url(world.case, "approve_plan") in awaiting
    emergencies = re.search(r'id="emergencies".*?</section>', body, re.S).group(0)
    assert f'data-case="{urgent.number}"' in emergencies
    assert step_url(urgent, "decide_emergency") in emergencies


def test_the_supervisor_home_shows_each_communes_overdue_count(world, client_for):
    overdue_case(world)
    overdue_case(world, hours_ago=40)
    body = client_for("supervisor").get(reverse("home")).content.decode()
    section = re.search(r'id="overdue-by-commune".*?</section>', body, re.S).group(0)
    row = re.search(rf'data-commune="{world.commune.code}".*?</tr>', section, re.S).group(0)
    assert re.search(r'class="num overdue-count overdue">2<', row)
    other = re.search(rf'data-commune="{world.other_commune.code}".*?</tr>', section, re.S)
    assert re.search(r'class="num overdue-count">0<', other.group(0))
    assert world.far_commune.name not in section
    # Each cell carries its column's name for phones, in the page's language.
    assert '<td data-label="Xã">' in row
    assert 'data-label="Thời hạn quá hạn"' in row


def test_notifications_are_listed_counted_and_marked_read(world, client_for):
    late = overdue_case(world)
    deadline = CaseDeadline.objects.get(case=late, rule__code="emergency_12h")
    Notification.objects.create(
        recipient=world.officer, kind="deadline_missed", case=late, deadline=deadline
    )
    hidden = Notification.objects.create(
        recipient=world.officer, kind="case_assigned", case=world.far_case
    )
    client = client_for("officer")
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'id="nav-notifications">[^<]*<span class="badge"[^>]*>1<', home)
    assert 'id="unread-notifications"' in home
    page = client.get(reverse("cases:notifications")).content.decode()
    assert late.number in page
    assert f'id="notification-{hidden.pk}"' not in page
    response = client.post(reverse("cases:notifications-read"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("cases:notifications")
    assert not Notification.objects.filter(recipient=world.officer, case=late, read_at=None)
    assert Notification.objects.get(pk=hidden.pk).read_at is None  # not theirs to see
    assert 'class="badge"' not in client.get(reverse("home")).content.decode()


def test_one_notification_is_marked_read_and_another_users_is_untouched(world, client_for):
    mine = Notification.objects.create(
        recipient=world.officer, kind="case_assigned", case=world.case
    )
    theirs = Notification.objects.create(
        recipient=world.chairman, kind="case_assigned", case=world.case
    )
    client = client_for("officer")
    client.post(reverse("cases:notifications-read"), {"notification": theirs.pk})
    client.post(reverse("cases:notifications-read"), {"notification": mine.pk})
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get(reverse("cases:notifications-read")).status_code == 405


@pytest.mark.parametrize("persona", ["officer", "chairman", "supervisor", "hotline", "school"])
def test_the_home_page_costs_a_bounded_number_of_queries(
    world, client_for, django_assert_max_num_queries, persona
):
    for index in range(15):
        overdue_case(world, hours_ago=20 + index)
    client = client_for(persona)
    # 12 at most (issue #11 guard): session, user, memberships, the user's grants, cases and
    # their capped count (only when there are more than shown), each role's own list (the due
    # clocks and their capped count, the chairman's two lists, the supervisor's two grouped
    # counts and their communes), the unread notices walked once for the list and the badge,
    # the trail's append, the intake and referral sections.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_the_case_page_costs_a_bounded_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    to_submitted_plan(world, world.case)
    # The case's own people and places are set, so a lazy read of any of them would show here.
    Case.objects.filter(pk=world.case.pk).update(
        received_by=world.officer, incident_commune=world.commune
    )
    Child.objects.filter(pk=world.case.child_id).update(residence_commune=world.commune)
    client = client_for("officer")
    # 29 (issue #11 guard): one query per part of the file (deadlines, assessments, plans and
    # activities…), plus the sections other apps add (referrals, who can see it and why,
    # printing, the hotline's calls behind it: one each); none grows with the number of rows
    # shown. The case's own people and places (who received it, the incident's and the child's
    # communes) come with the case.
    with django_assert_max_num_queries(29):  # +1: the alleged perpetrators
        assert client.get(detail_url(world.case)).status_code == 200


def test_the_case_list_stays_within_its_query_budget_with_the_header_count(
    world, client_for, django_assert_max_num_queries
):
    for index in range(20):
        make_case(world.commune, f"Trẻ {index}")
    client = client_for("officer")
    # 9 (issue #11 guard): session, user, memberships, the user's grants, the page, the trail's
    # append, the capped count, the header's unread notices and the door's answer about them.
    with django_assert_max_num_queries(9):
        assert client.get(reverse("cases:list")).status_code == 200


def test_garbage_in_forms_and_addresses_never_causes_a_500(world, client_for):
    client = client_for("officer")
    huge = "9" * 40
    assert client.get(step_url(world.case, "transfer") + f"?province={huge}").status_code == 200
    response = client.post(
        step_url(world.case, "transfer"), {"province": huge, "commune": huge, "reason": "x"}
    )
    assert response.status_code == 400
    remove = reverse("cases:family-remove", args=[world.case.public_id])
    assert client.post(remove, {"member": huge}).status_code == 404
    assert client.post(remove, {"member": "abc"}).status_code == 404
    assert (
        client.post(reverse("cases:notifications-read"), {"notification": huge}).status_code == 302
    )
    edit = reverse("cases:edit", args=[world.case.public_id])
    response = client.post(
        edit,
        {
            "version": huge,
            "source": "commune",
            "channel": "phone",
            "target_group": "abused",
            "protection_level": "support",
        },
    )
    assert response.status_code in (400, 409)
    data = plan_data(activity(organisation=huge, cost="1" * 30))
    data["activities-TOTAL_FORMS"] = "many"
    services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **RATINGS
    )
    response = client.post(step_url(world.case, "draft_plan"), {**data, "add_row": "1"})
    assert response.status_code == 409  # not yet: the case has had no needs meeting
    assert (
        client.post(step_url(world.case, "merge"), {"into": huge, "reason": "x"}).status_code == 400
    )


def test_a_plan_form_with_broken_rows_is_refused_not_crashed(world, client_for):
    to_submitted_plan(world, world.case)
    services.case_return_plan(actor=world.chairman, case=world.case, reason="Bổ sung")
    client = client_for("officer")
    huge = "9" * 40
    data = plan_data(activity(organisation=huge, cost="1" * 30, starts_on="hôm nay"))
    assert client.post(step_url(world.case, "draft_plan"), data).status_code == 400
    data["activities-TOTAL_FORMS"] = "many"
    assert client.post(step_url(world.case, "draft_plan"), data).status_code == 400
    assert (
        client.post(step_url(world.case, "draft_plan"), {**data, "add_row": "1"}).status_code == 200
    )


@pytest.mark.parametrize(
    "name", ["cases:edit", "cases:edit-child", "cases:family-add", "cases:note-add"]
)
def test_case_pages_are_never_cached(world, client_for, name):
    response = client_for("officer").get(reverse(name, args=[world.case.public_id]))
    assert "no-store" in response["Cache-Control"]
    response = client_for("officer").get(step_url(world.case, "assess_initial"))
    assert "no-store" in response["Cache-Control"]


def test_an_impossible_year_is_a_field_error_not_a_crash(world, client_for):
    response = client_for("officer").post(
        reverse("cases:create"),
        {
            "commune": world.commune.pk,
            "received_at": "0001-01-01T00:00",
            "source": "commune",
            "channel": "phone",
            "target_group": "abused",
            "protection_level": "intervention",
            "full_name": "Bé Năm Một",
            "sex": "female",
        },
    )
    assert response.status_code == 400
    assert not Case.objects.filter(child__full_name="Bé Năm Một").exists()
    assert 'id="error-received_at"' in response.content.decode() or "received_at" in (
        response.context["form"].errors
    )


@pytest.mark.parametrize("persona", ["officer", "chairman", "supervisor"])
def test_every_cell_label_for_phones_is_translated_once_and_shown(world, client_for, persona):
    # The labels are translated once per page ({% translate … as label_… %}); a name that no
    # longer matches would render an empty label, silently, on every row.
    to_submitted_plan(world, world.case)
    overdue_case(world)
    client = client_for(persona)
    for url in (reverse("home"), detail_url(world.case)):
        body = client.get(url).content.decode()
        labels = re.findall(r'data-label="([^"]*)"', body)
        assert labels, url
        assert "" not in labels, url


def test_the_call_rows_labels_for_phones_are_shown(world, client_for):
    from hotline import services as hotline_services

    hotline_services.call_log(
        actor=world.hotline, call_type="report", incident_commune=world.commune
    )
    body = client_for("hotline").get(reverse("hotline:calls")).content.decode()
    labels = re.findall(r'data-label="([^"]*)"', body)
    assert labels
    assert "" not in labels
