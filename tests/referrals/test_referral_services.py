"""Referrals through their services: the share they grant, its end, consent, the allow-list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases import services as case_services
from cases.access import can, can_see, case_permissions, cases_visible_to
from cases.hooks import summary_fields_for
from cases.models import CaseDeadline, FamilyMember
from referrals import services
from referrals.models import Referral
from referrals.selectors import referral_inbox_for, referrals_visible_to
from tests.factories import OrganisationFactory


def send(world, organisation=None, **extra):
    data = {
        "purpose": "s_education",
        "message": "Đề nghị nhà trường theo dõi và hỗ trợ học tập",
        **extra,
    }
    return services.referral_send(
        actor=world.officer, case=world.case, organisation=organisation or world.school_org, **data
    )


def test_sending_shares_only_the_summary_with_the_organisation(world):
    assert not can_see(world.school, world.case)
    referral = send(world)
    assert case_permissions(world.school, world.case) == {"view_case_summary"}
    assert not can(world.school, "view_case", world.case)
    assert list(referral_inbox_for(user=world.school)) == [referral]
    assert referral in referrals_visible_to(user=world.officer)
    assert not referrals_visible_to(user=world.health).exists()
    clocks = set(CaseDeadline.objects.filter(case=world.case).values_list("rule__code", flat=True))
    assert {"referral_ack_1wd", "referral_feedback_5wd"} <= clocks


def test_the_whole_life_cycle_and_access_ends_at_once(world):
    referral = send(world)
    referral = services.referral_acknowledge(actor=world.school, referral=referral)
    assert referral.receipt_number.startswith("BN-")
    assert len(referral.receipt_hash) == 64
    assert referral.receipt_hash == services.receipt_hash(referral)
    services.referral_accept(actor=world.school, referral=referral)
    services.referral_update_add(
        actor=world.school, referral=referral, kind="feedback", text="Trẻ đi học đều"
    )
    feedback = CaseDeadline.objects.get(case=world.case, rule__code="referral_feedback_5wd")
    assert feedback.met_at is not None
    services.referral_complete(actor=world.officer, referral=referral)
    assert not can_see(world.school, world.case)
    assert not cases_visible_to(world.school).exists()
    names = list(world.case.transitions.values_list("name", flat=True))
    assert names == [
        "referral_sent",
        "referral_acknowledged",
        "referral_accepted",
        "referral_completed",
    ]


@pytest.mark.parametrize("end", ["decline", "revoke"])
def test_declining_or_revoking_ends_the_share(world, end):
    referral = send(world)
    if end == "decline":
        with pytest.raises(ValidationError):
            services.referral_decline(actor=world.school, referral=referral, reason="")
        services.referral_decline(actor=world.school, referral=referral, reason="Không phù hợp")
    else:
        services.referral_revoke(actor=world.officer, referral=referral, reason="Gửi nhầm")
    assert not can_see(world.school, world.case)
    assert not referral_inbox_for(user=world.school).exists()


def test_a_second_open_referral_keeps_the_share_when_the_first_ends(world):
    first = send(world)
    send(world, purpose="s_skills")
    services.referral_revoke(actor=world.officer, referral=first, reason="Trùng")
    assert can_see(world.school, world.case)


def test_only_the_recipient_answers_and_only_the_sender_completes(world):
    referral = send(world)
    with pytest.raises(services.ReferralNotPermitted):
        services.referral_acknowledge(actor=world.health, referral=referral)
    with pytest.raises(services.ReferralNotPermitted):
        services.referral_revoke(actor=world.school, referral=referral, reason="x")
    with pytest.raises(services.ReferralStateError):
        services.referral_complete(actor=world.officer, referral=referral)


def test_only_the_officer_refers_and_only_nearby_receivers(world):
    with pytest.raises(services.ReferralNotPermitted):
        services.referral_send(
            actor=world.chairman,
            case=world.case,
            organisation=world.school_org,
            purpose="s_education",
            message="x",
        )
    far_school = OrganisationFactory(kind="school", area=world.far_commune)
    with pytest.raises(ValidationError) as error:
        send(world, organisation=far_school)
    assert "organisation" in error.value.message_dict


def test_an_ngo_needs_a_recorded_consent_that_covers_it(world):
    ngo = OrganisationFactory(kind="ngo", area=world.commune, name="Hội Bảo vệ quyền trẻ em")
    world.case.child.estimated_age = 9
    world.case.child.save()
    with pytest.raises(ValidationError) as error:
        send(world, organisation=ngo)
    assert "consent" in error.value.message_dict
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
    referral = send(world, organisation=ngo, consent=consent)
    with translation.override("en"):  # a withdrawal entered in English
        case_services.consent_withdraw(
            actor=world.officer, consent=consent, note="Gia đình rút lại"
        )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REVOKED
    # The record keeps its reason in the record's language, whoever entered it in which.
    assert referral.revoke_reason == "Sự đồng ý đã bị rút lại"
    with pytest.raises(ValidationError):
        send(world, organisation=ngo, consent=consent)


def test_a_child_aged_seven_must_be_asked(world):
    world.case.child.estimated_age = 8
    world.case.child.save()
    with pytest.raises(ValidationError) as error:
        case_services.consent_record(
            actor=world.officer,
            case=world.case,
            recipient_kinds=["ngo"],
            representative_name="Mẹ",
            representative_relation="Mẹ",
            representative_consented=True,
            method="verbal_witnessed",
        )
    assert {"child_consented", "witness"} <= set(error.value.message_dict)


def test_the_school_sees_no_medical_narrative_and_the_police_see_the_facts(world):
    case = world.case
    case.child_condition = "Gãy xương tay, chấn thương tâm lý"
    case.incident_place = "Nhà riêng, thôn 3"
    case.save()
    FamilyMember.objects.create(
        child=case.child,
        full_name="Trần Văn Dữ",
        relation="step_parent",
        is_alleged_perpetrator=True,
    )
    police_org = world.users["police"].memberships.get().organisation
    send(world)
    send(world, organisation=police_org, purpose="i_legal_aid")
    school_view = dict(summary_fields_for(world.school, case))
    police_view = dict(summary_fields_for(world.police, case))
    assert "Gãy xương tay, chấn thương tâm lý" not in school_view.values()
    assert "Trần Văn Dữ" not in " ".join(school_view.values())
    assert "Nhà riêng, thôn 3" in police_view.values()
    assert "Trần Văn Dữ" in " ".join(police_view.values())
    assert summary_fields_for(world.officer, case) is None


def test_a_consent_dated_in_year_one_is_refused_not_crashed(world):
    import datetime

    with pytest.raises(ValidationError) as error:
        case_services.consent_record(
            actor=world.officer,
            case=world.case,
            recipient_kinds=["ngo"],
            representative_name="Mẹ",
            representative_relation="Mẹ",
            representative_consented=True,
            child_consented=True,
            method="written",
            given_at=datetime.datetime(1, 1, 2, tzinfo=datetime.timezone.utc),
        )
    assert "given_at" in error.value.message_dict
