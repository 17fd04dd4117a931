"""The Decree 56 workflow through its services: each step by its role, from its states, with
what it requires; every refusal says why and changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import services
from cases.models import Assessment, Case, CaseTransition, DeadlineRule, EmergencyDecision, Plan
from cases.workflow import STEPS, steps_available
from tests.factories import CommuneFactory, make_case

RATINGS = {
    "harm_severity": "high",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "low",
    "recovery": "medium",
}
LOW = dict.fromkeys(RATINGS, "low")


def specific(world, case, **extra):
    return services.case_assess_specific(
        actor=world.officer,
        case=case,
        physical_emotional_state="Có vết bầm",
        family_capacity="Bà ngoại chăm sóc",
        needs="Khám sức khỏe",
        **{**RATINGS, **extra},
    )


def go_to_needs_meeting(world, case, held_at=None):
    at = held_at or timezone.now()
    services.case_assess_initial(
        actor=world.officer, case=case, emergency_required=False, assessed_at=at, **RATINGS
    )
    specific(world, case, assessed_at=at)
    services.case_hold_needs_meeting(
        actor=world.officer,
        case=case,
        held_at=at,
        chaired_by="Chủ tịch UBND",
        attendees="Cán bộ BVTE, Trạm Y tế",
        minutes="Thống nhất biện pháp",
    )


def activity(**extra):
    today = timezone.localdate()
    return {
        "measure": "s_health",  # a support case (Art. 49)
        "description": "Khám sức khỏe, tư vấn tâm lý",
        "person_responsible": "Trạm trưởng Trạm Y tế",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=30),
        **extra,
    }


def draft(world, case, **extra):
    return services.case_draft_plan(
        actor=world.officer,
        case=case,
        objectives="Bảo đảm an toàn cho trẻ",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        activities=[activity(), activity(measure="s_education", description="Hỗ trợ học tập")],
        **extra,
    )


def approve(world, case, number="15/QĐ-UBND"):
    return services.case_approve_plan(
        actor=world.chairman, case=case, decision_number=number, decision_date=timezone.localdate()
    )


def to_implementation(world, case):
    go_to_needs_meeting(world, case)
    draft(world, case)
    services.case_submit_plan(actor=world.officer, case=case)
    approve(world, case)
    services.case_start_implementation(actor=world.officer, case=case)


def status(case) -> str:
    return Case.objects.get(pk=case.pk).status


def test_the_whole_path_from_receipt_to_closure(world):
    case = world.case
    to_implementation(world, case)
    services.case_record_review(
        actor=world.officer,
        case=case,
        no_remaining_risk=True,
        child_stable=True,
        recommendation="close",
        **LOW,
    )
    services.case_close(actor=world.chairman, case=case, reason="Đủ điều kiện")
    assert status(case) == "closed"
    steps = list(CaseTransition.objects.filter(case=case).values_list("name", "to_status"))
    assert steps == [
        ("assess_initial", "initial_assessed"),
        ("assess_specific", "specific_assessed"),
        ("hold_needs_meeting", "needs_meeting_held"),
        ("draft_plan", "plan_drafted"),
        ("submit_plan", "plan_submitted"),
        ("approve_plan", "plan_approved"),
        ("start_implementation", "in_implementation"),
        ("record_review", "under_review"),
        ("close", "closed"),
    ]
    assert CaseTransition.objects.get(case=case, name="close").actor == world.chairman
    plan = Plan.objects.get(case=case)
    assert (plan.status, plan.decision_number, plan.approved_by) == (
        "approved",
        "15/QĐ-UBND",
        world.chairman,
    )
    assert case.assessments.count() == 3


def test_a_step_from_the_wrong_state_is_refused_and_changes_nothing(world):
    with pytest.raises(services.StepNotAvailable, match=str(STEPS["approve_plan"].label)):
        approve(world, world.case)
    assert status(world.case) == "received"
    assert not CaseTransition.objects.filter(case=world.case).exists()


@pytest.mark.parametrize(
    ("persona", "step"),
    [
        ("officer", "approve"),
        ("chairman", "draft"),
        ("supervisor", "draft"),
        ("hotline", "draft"),
        ("officer", "emergency"),
    ],
)
def test_a_step_by_the_wrong_role_is_refused(world, persona, step):
    case = world.case
    go_to_needs_meeting(world, case)
    user = world.users[persona]
    if step == "approve":
        draft(world, case)
        services.case_submit_plan(actor=world.officer, case=case)

        def attempt():
            services.case_approve_plan(
                actor=user, case=case, decision_number="1", decision_date=timezone.localdate()
            )

    elif step == "draft":

        def attempt():
            services.case_draft_plan(
                actor=user,
                case=case,
                objectives="x",
                review_on=timezone.localdate(),
                activities=[activity()],
            )

    else:

        def attempt():
            services.case_decide_emergency(
                actor=user, case=case, kind="intervention", decision_number="1", measures="x"
            )

    with pytest.raises(services.StepNotPermitted):
        attempt()
    assert not Plan.objects.filter(case=case, status="approved").exists()


def test_an_outsider_cannot_take_any_step(world):
    with pytest.raises(services.StepNotPermitted):
        services.case_assess_initial(
            actor=world.officer2, case=world.case, emergency_required=False, **RATINGS
        )


def test_an_assessment_needs_every_factor_rated(world):
    with pytest.raises(ValidationError) as error:
        services.case_assess_initial(
            actor=world.officer,
            case=world.case,
            emergency_required=False,
            **{**RATINGS, "recovery": "", "abuser_access": "very"},
        )
    assert set(error.value.message_dict) == {"recovery", "abuser_access"}
    assert status(world.case) == "received"
    assert not Assessment.objects.exists()


def test_an_initial_assessment_must_answer_the_emergency_question(world):
    with pytest.raises(ValidationError) as error:
        services.case_assess_initial(actor=world.officer, case=world.case, **RATINGS)
    assert "emergency_required" in error.value.message_dict


def test_assessments_are_all_kept_to_show_change(world):
    to_implementation(world, world.case)
    services.case_record_review(
        actor=world.officer,
        case=world.case,
        no_remaining_risk=False,
        child_stable=True,
        recommendation="new_plan",
        **{**RATINGS, "harm_severity": "medium"},
    )
    ratings = list(
        world.case.assessments.order_by("assessed_at", "id").values_list("kind", "harm_severity")
    )
    assert ratings == [("initial", "high"), ("specific", "high"), ("review", "medium")]
    review = world.case.assessments.get(kind="review")
    assert review.tally() == {"high": 0, "medium": 4, "low": 1}


def test_a_plan_needs_objectives_activities_and_sane_dates(world):
    go_to_needs_meeting(world, world.case)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.case_draft_plan(
            actor=world.officer,
            case=world.case,
            objectives="",
            review_on=None,
            activities=[activity(ends_on=today - datetime.timedelta(days=1), measure="nope")],
        )
    assert set(error.value.message_dict) == {"objectives", "review_on"}
    with pytest.raises(ValidationError) as error:
        services.case_draft_plan(
            actor=world.officer,
            case=world.case,
            objectives="x",
            review_on=today,
            activities=[
                activity(ends_on=today - datetime.timedelta(days=1), measure="nope"),
                activity(person_responsible=""),
            ],
        )
    assert set(error.value.message_dict) == {
        "activities[0].ends_on",
        "activities[0].measure",
        "activities[1].person_responsible",
    }
    assert not Plan.objects.exists()
    assert status(world.case) == "needs_meeting_held"


def test_approval_needs_a_decision_number_and_a_date_not_in_the_future(world):
    go_to_needs_meeting(world, world.case)
    draft(world, world.case)
    services.case_submit_plan(actor=world.officer, case=world.case)
    with pytest.raises(ValidationError) as error:
        services.case_approve_plan(
            actor=world.chairman,
            case=world.case,
            decision_number=" ",
            decision_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"decision_number", "decision_date"}
    assert status(world.case) == "plan_submitted"


def test_a_new_plan_after_review_keeps_the_old_one_readable(world):
    to_implementation(world, world.case)
    services.case_record_review(
        actor=world.officer,
        case=world.case,
        no_remaining_risk=False,
        child_stable=False,
        recommendation="new_plan",
        **RATINGS,
    )
    with pytest.raises(services.StepNotAvailable):
        services.case_close(actor=world.chairman, case=world.case)
    second = draft(world, world.case)
    assert second.version == 2
    services.case_submit_plan(actor=world.officer, case=world.case)
    approve(world, world.case, number="30/QĐ-UBND")
    versions = dict(world.case.plans.values_list("version", "status"))
    assert versions == {1: "superseded", 2: "approved"}
    assert world.case.plans.get(version=1).activities.count() == 2


def test_a_review_cannot_recommend_closing_unless_both_conditions_hold(world):
    to_implementation(world, world.case)
    with pytest.raises(ValidationError) as error:
        services.case_record_review(
            actor=world.officer,
            case=world.case,
            no_remaining_risk=True,
            child_stable=False,
            recommendation="close",
            **RATINGS,
        )
    assert "recommendation" in error.value.message_dict
    assert status(world.case) == "in_implementation"


def test_a_new_plan_needs_a_review_that_calls_for_it(world):
    to_implementation(world, world.case)
    services.case_record_review(
        actor=world.officer,
        case=world.case,
        no_remaining_risk=True,
        child_stable=True,
        recommendation="close",
        **LOW,
    )
    with pytest.raises(services.StepNotAvailable):
        draft(world, world.case)


def test_amending_a_plan_during_implementation_needs_a_reason(world):
    to_implementation(world, world.case)
    with pytest.raises(ValidationError) as error:
        draft(world, world.case)
    assert "reason" in error.value.message_dict
    plan = draft(world, world.case, reason="Trẻ chuyển trường")
    assert plan.version == 2


def separate(world, case, days=10, actor=None, **extra):
    now = timezone.now()
    return services.case_decide_emergency(
        actor=actor or world.chairman,
        case=case,
        kind="separation",
        decision_number="3/QĐ-UBND",
        measures="Cách ly khỏi cha dượng",
        separated_from="Cha dượng",
        ground="carer_abuse",
        safe_place="Nhà bà ngoại",
        alternative_care="Bà ngoại",
        starts_at=now,
        ends_at=now + datetime.timedelta(days=days),
        **extra,
    )


def test_a_separation_longer_than_15_days_needs_the_authority(world):
    with pytest.raises(ValidationError) as error:
        separate(world, world.case, days=20)
    assert "ends_at" in error.value.message_dict
    assert not EmergencyDecision.objects.exists()
    decision = separate(world, world.case, days=20, authority_reference="CV 12/TAND")
    assert decision.ends_at > decision.starts_at + datetime.timedelta(days=16)
    clock = world.case.deadlines.get(rule__code="separation_15d")
    assert clock.due_at == decision.ends_at
    assert clock.note == "CV 12/TAND"


def test_the_separation_cap_is_its_deadline_rules_length(world):
    # The cap and the clock are one rule: shorten the rule and the cap moves with it.
    DeadlineRule.objects.filter(code="separation_15d").update(duration=7)
    with pytest.raises(ValidationError) as error:
        separate(world, world.case, days=10)
    (message,) = error.value.message_dict["ends_at"]
    assert "7" in message
    assert "15" not in message
    decision = separate(world, world.case, days=6)
    clock = world.case.deadlines.get(rule__code="separation_15d")
    assert clock.due_at < decision.ends_at + datetime.timedelta(days=2)  # 7 days, not 15


def extend(world, decision, days, reason="Cha dượng chưa được đánh giá an toàn", **extra):
    return services.case_extend_separation(
        actor=world.chairman,
        case=decision.case,
        decision=decision,
        new_ends_at=decision.ends_at + datetime.timedelta(days=days),
        reason=reason,
        **extra,
    )


def test_extending_a_separation_records_the_reason_and_respects_the_cap(world):
    decision = separate(world, world.case, days=5)
    extend(world, decision, 5)
    decision.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.case_extend_separation(
            actor=world.chairman,
            case=world.case,
            decision=decision,
            new_ends_at=decision.ends_at + datetime.timedelta(days=10),
            reason="Tiếp tục",
        )
    assert "new_ends_at" in error.value.message_dict
    assert decision.extensions.count() == 1
    assert decision.extensions.get().reason == "Cha dượng chưa được đánh giá an toàn"
    with pytest.raises(ValidationError) as error:
        services.case_end_separation(
            actor=world.chairman,
            case=world.case,
            decision=decision,
            reason="Người chăm sóc an toàn",
        )
    # Art. 32(3): the end rests on a Mẫu 03 that finds the carer safe, and none is recorded.
    assert "Mẫu 03" in error.value.message_dict["basis"][0]
    decision.refresh_from_db()
    assert decision.ended_at is None
    specific(world, world.case, carer_safe=True)
    services.case_end_separation(
        actor=world.chairman, case=world.case, decision=decision, reason="Người chăm sóc an toàn"
    )
    decision.refresh_from_db()
    assert decision.end_basis == "carer_safe"
    assert decision.end_assessment.carer_safe is True
    clock = world.case.deadlines.get(rule__code="separation_15d")
    assert clock.met_at is not None
    with pytest.raises(ValidationError):
        services.case_end_separation(
            actor=world.chairman, case=world.case, decision=decision, reason="Lần nữa"
        )


def test_a_separation_needs_its_ground_place_and_care(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.case_decide_emergency(
            actor=world.chairman,
            case=world.case,
            kind="separation",
            decision_number="3",
            measures="x",
            ends_at=now + datetime.timedelta(days=3),
        )
    assert {"separated_from", "safe_place", "alternative_care", "ground"} <= set(
        error.value.message_dict
    )


def test_transfer_moves_the_scope_and_keeps_the_history(world):
    services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **RATINGS
    )
    services.case_transfer(
        actor=world.officer, case=world.case, commune=world.far_commune, reason="Trẻ chuyển nhà"
    )
    case = Case.objects.get(pk=world.case.pk)
    assert (case.commune, case.province) == (world.far_commune, world.other_province)
    assert case.status == "initial_assessed"
    from cases.access import can_see

    assert not can_see(world.officer, case)
    assert can_see(world.far_officer, case)
    assert list(case.transitions.values_list("name", flat=True)) == ["assess_initial", "transfer"]
    assert case.transitions.get(name="transfer").details == {
        "from_commune": world.commune.code,
        "to_commune": world.far_commune.code,
    }
    assert world.far_officer.notifications.filter(case=case, kind="case_assigned").exists()


def test_transfer_refuses_the_same_commune_and_a_province(world):
    for target in (world.commune, world.province):
        with pytest.raises(ValidationError) as error:
            services.case_transfer(actor=world.officer, case=world.case, commune=target, reason="x")
        assert "commune" in error.value.message_dict


def test_merge_needs_a_visible_open_case(world):
    other = make_case(world.commune, "Nguyễn Văn An")
    with pytest.raises(ValidationError):
        services.case_merge(actor=world.officer, case=other, into=world.far_case, reason="trùng")
    services.case_merge(actor=world.officer, case=other, into=world.case, reason="Trùng báo cáo")
    other.refresh_from_db()
    assert (other.status, other.merged_into) == ("merged", world.case)
    with pytest.raises(services.StepNotAvailable):
        services.case_merge(actor=world.officer, case=other, into=world.case, reason="x")


def test_not_substantiated_needs_a_reason(world):
    with pytest.raises(ValidationError):
        services.case_mark_not_substantiated(actor=world.officer, case=world.case, reason=" ")
    services.case_mark_not_substantiated(actor=world.officer, case=world.case, reason="Sai sự thật")
    assert status(world.case) == "not_substantiated"


def test_the_available_steps_follow_state_and_role(world):
    from cases.access import case_permissions

    def names(user):
        return {
            s.name
            for s in steps_available(
                case=world.case, permissions=case_permissions(user, world.case)
            )
        }

    assert names(world.officer) == {
        "assess_initial",
        "record_intervention",
        "mark_not_substantiated",
        "transfer",
        "merge",
    }
    assert names(world.chairman) == {
        "decide_emergency",
        "extend_separation",
        "end_separation",
        "petition_court",
        "end_otherwise",
    }
    assert names(world.supervisor) == set()
    assert all(step.requires for step in STEPS.values())


def test_the_record_keeps_the_reporter_only_with_consent(world):
    case = services.case_open(
        actor=world.officer,
        commune=world.commune,
        child={"full_name": "Lê Văn Tí", "estimated_age": 8},
        reporter_consent=False,
        reporter_name="Người báo tin",
        reporter_phone="0912345678",
    )
    assert (case.reporter_name, case.reporter_phone) == ("", "")
    with pytest.raises(services.StepNotPermitted):
        services.case_open(actor=world.officer2, commune=world.commune, child={"full_name": "X"})
    with pytest.raises(ValidationError) as error:
        services.case_open(
            actor=world.officer,
            commune=world.commune,
            child={"estimated_age": 30},
            abuse_forms=["violence", "bogus"],
        )
    assert "estimated_age" in error.value.message_dict or "abuse_forms" in error.value.message_dict


def test_a_second_edit_on_a_stale_version_is_refused_and_the_first_kept(world):
    version = world.case.version
    services.case_update_record(
        actor=world.officer,
        case=world.case,
        expected_version=version,
        changes={"child_condition": "Ổn định"},
    )
    with pytest.raises(services.EditConflict):
        services.case_update_record(
            actor=world.officer,
            case=world.case,
            expected_version=version,
            changes={"child_condition": "Khác"},
        )
    case = Case.objects.get(pk=world.case.pk)
    assert case.child_condition == "Ổn định"
    assert case.version == version + 1


def test_only_the_officer_edits_the_record(world):
    with pytest.raises(services.StepNotPermitted):
        services.case_update_record(
            actor=world.chairman,
            case=world.case,
            expected_version=world.case.version,
            changes={"child_condition": "x"},
        )


def test_a_case_opened_elsewhere_is_not_the_officers(world):
    commune = CommuneFactory(parent=world.province)
    with pytest.raises(services.StepNotPermitted):
        services.case_open(actor=world.officer, commune=commune, child={"full_name": "Y"})


def test_every_missing_answer_of_an_assessment_is_reported_at_once(world):
    with pytest.raises(ValidationError) as error:
        services.case_assess_initial(actor=world.officer, case=world.case, harm_severity="high")
    assert {"abuser_access", "recovery", "emergency_required"} <= set(error.value.message_dict)


def test_missing_inputs_are_field_errors_not_crashes(world):
    decision = separate(world, world.case, days=5)
    with pytest.raises(ValidationError) as error:
        services.case_extend_separation(
            actor=world.chairman, case=world.case, decision=None, new_ends_at=None, reason=None
        )
    assert "decision" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.case_extend_separation(
            actor=world.chairman, case=world.case, decision=decision, new_ends_at=None, reason="x"
        )
    assert "new_ends_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.case_document_add(actor=world.officer, case=world.case, upload=None)
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.case_decide_emergency(
            actor=world.chairman,
            case=world.case,
            kind="intervention",
            decision_number="x" * 41,
            measures="y",
        )
    assert "decision_number" in error.value.message_dict


def test_marking_notifications_read_touches_only_the_users_own(world):
    from cases.models import Notification

    mine = Notification.objects.create(recipient=world.officer, kind="case_assigned")
    theirs = Notification.objects.create(recipient=world.officer2, kind="case_assigned")
    assert services.notifications_mark_read(user=world.officer, pk=theirs.pk) == 0
    assert services.notifications_mark_read(user=world.officer) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
