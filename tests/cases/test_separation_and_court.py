"""
A separation ends on a Mẫu 03 that finds the carer safe (Decree 56 Art. 32(3)), a Mẫu 03 can be
recorded again for it, the separated child is reassessed after 15 days (Circular 14/2020 Art.
14(3)), and where the child cannot return the petition to the court is recorded (issue #13).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.deadlines import deadline_view
from cases.models import Assessment, Case, CaseDeadline, CourtPetition
from tests.cases.test_workflow_api import SPECIFIC, api_for, take, url
from tests.cases.test_workflow_services import separate, specific, status
from tests.factories import make_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=VN)  # a Monday morning
PAGE_SPECIFIC = {
    **{name: "medium" for name in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS},
    "physical_emotional_state": "Trẻ ổn định hơn",
    "family_capacity": "Mẹ đã được tư vấn",
    "needs": "Theo dõi an toàn",
}


def clock(case: Case, code: str) -> CaseDeadline:
    return CaseDeadline.objects.get(case=case, rule__code=code)


@pytest.fixture
def case(world) -> Case:
    """A case received the hour before START, in the world's commune."""
    with time_machine.travel(START - datetime.timedelta(hours=1), tick=False):
        return make_case(world.commune, "Hoàng Thị Lan")


@pytest.fixture
def separated(world, case):
    """The case, separated at START for 10 days, then its first Mẫu 03 (carer unsafe)."""
    with time_machine.travel(START, tick=False):
        decision = separate(world, case, days=10)
        specific(world, case, carer_safe=False)
    return decision


def test_a_separation_starts_a_day_15_reassessment_clock_that_a_mau_03_again_meets(
    world, case, separated
):
    due = clock(case, "separation_reassess_15d")
    assert due.starts_at == START
    # Calendar days: due at the end of the fifteenth day, in Vietnam.
    assert timezone.localtime(due.due_at).date() == (START + datetime.timedelta(days=15)).date()
    day_14 = START + datetime.timedelta(days=14)
    with time_machine.travel(day_14, tick=False):
        again = services.case_reassess_specific(
            actor=world.officer, case=case, carer_safe=False, **SPECIFIC
        )
    assert again.is_reassessment
    assert again.kind == Assessment.Kind.SPECIFIC
    # The case keeps its place: a Mẫu 03 again is no step back in the process.
    assert status(case) == Case.Status.SPECIFIC_ASSESSED
    due = clock(case, "separation_reassess_15d")
    assert due.met_at == day_14
    assert deadline_view(due).state == "met"


def test_a_mau_03_again_must_say_whether_the_carer_is_safe(world, case, separated):
    with pytest.raises(ValidationError) as error:
        services.case_reassess_specific(actor=world.officer, case=case, **SPECIFIC)
    assert "carer_safe" in error.value.message_dict
    assert case.assessments.filter(is_reassessment=True).count() == 0


def test_a_mau_03_again_is_the_officers_and_only_after_the_first(world, case):
    with pytest.raises(services.StepNotAvailable):  # no Mẫu 03 yet: the first one is due
        services.case_reassess_specific(actor=world.officer, case=case, carer_safe=True, **SPECIFIC)
    services.case_assess_initial(
        actor=world.officer,
        case=case,
        emergency_required=False,
        **{k: "low" for k in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS},
    )
    specific(world, case)
    with pytest.raises(services.StepNotPermitted):
        services.case_reassess_specific(
            actor=world.chairman, case=case, carer_safe=True, **SPECIFIC
        )
    services.case_reassess_specific(actor=world.officer, case=case, carer_safe=True, **SPECIFIC)
    assert case.assessments.filter(is_reassessment=True).count() == 1


def test_the_end_rests_on_a_safe_carer_finding_recorded_since_the_separation_began(
    world, case, separated
):
    # The first Mẫu 03 found the carer unsafe: it cannot carry the end.
    with pytest.raises(ValidationError) as error:
        services.case_end_separation(
            actor=world.chairman, case=case, decision=separated, reason="Mẹ an toàn"
        )
    assert "basis" in error.value.message_dict
    later = START + datetime.timedelta(days=6)
    with time_machine.travel(later, tick=False):
        finding = services.case_reassess_specific(
            actor=world.officer, case=case, carer_safe=True, **SPECIFIC
        )
        services.case_end_separation(
            actor=world.chairman, case=case, decision=separated, reason="Mẹ an toàn"
        )
    separated.refresh_from_db()
    assert separated.ended_at == later
    assert separated.end_basis == "carer_safe"
    assert separated.end_assessment == finding
    # The reassessment that found the carer safe is the separated child's reassessment.
    assert clock(case, "separation_reassess_15d").met_at == later
    assert clock(case, "separation_15d").met_at == later


def test_a_safe_finding_from_before_the_separation_does_not_carry_its_end(world, case):
    with time_machine.travel(START, tick=False):
        services.case_assess_initial(
            actor=world.officer,
            case=case,
            emergency_required=True,
            **{k: "high" for k in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS},
        )
        specific(world, case, carer_safe=True)
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        decision = separate(world, case, days=5)
        with pytest.raises(ValidationError) as error:
            services.case_end_separation(
                actor=world.chairman, case=case, decision=decision, reason="An toàn"
            )
    assert "Mẫu 03" in error.value.message_dict["basis"][0]


def test_the_chairman_petitions_the_regional_court_to_continue_a_separation(world, case, separated):
    day_15 = START + datetime.timedelta(days=15)
    with time_machine.travel(day_15, tick=False):
        petition = services.case_petition_court(
            actor=world.chairman,
            case=case,
            subject=CourtPetition.Subject.CONTINUE_SEPARATION,
            separation=separated,
            court="Tòa án nhân dân khu vực 1 - Quảng Trị",
            filed_on=day_15.date(),
            reference="12/ĐN-UBND",
        )
    assert petition.separation == separated
    assert petition.recorded_by == world.chairman
    assert case.transitions.filter(name="petition_court").exists()
    # The petition answers the 15-day bound (Art. 32(3): "unless a competent authority ...").
    bound = clock(case, "separation_15d")
    assert bound.met_at is not None
    assert timezone.localtime(bound.met_at).date() == day_15.date()
    # The separation then ends on the court's decision, recorded with the petition behind it.
    with time_machine.travel(day_15 + datetime.timedelta(days=3), tick=False):
        services.case_end_separation(
            actor=world.chairman,
            case=case,
            decision=separated,
            basis="court_decision",
            reason="Tòa án quyết định chăm sóc thay thế",
        )
    separated.refresh_from_db()
    assert separated.end_basis == "court_decision"


def test_a_petition_names_its_court_date_reference_and_separation(world, case, separated):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        services.case_petition_court(
            actor=world.chairman,
            case=case,
            subject=CourtPetition.Subject.CONTINUE_SEPARATION,
            separation=None,
            court="",
            filed_on=tomorrow,
            reference=" ",
        )
    assert set(error.value.message_dict) == {"separation", "court", "filed_on", "reference"}
    with pytest.raises(ValidationError) as error:
        services.case_end_separation(
            actor=world.chairman,
            case=case,
            decision=separated,
            basis="court_decision",
            reason="Tòa án",
        )
    assert "basis" in error.value.message_dict
    assert not CourtPetition.objects.exists()


def test_only_the_chairman_petitions_the_court(world, case, separated):
    for persona in ("officer", "supervisor", "school"):
        with pytest.raises(services.StepNotPermitted):
            services.case_petition_court(
                actor=world.users[persona],
                case=case,
                subject=CourtPetition.Subject.RESTRICT_PARENTAL_RIGHTS,
                court="Tòa án nhân dân khu vực 1",
                filed_on=START.date(),
                reference="1/ĐN",
            )
    assert not CourtPetition.objects.exists()


def test_the_pages_record_a_mau_03_again_a_petition_and_the_end(world, case, separated, client_for):
    officer, chairman = client_for("officer"), client_for("chairman")
    page = officer.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert 'id="step-reassess_specific"' in page
    step = reverse("cases:step", args=[case.public_id, "reassess_specific"])
    response = officer.post(step, PAGE_SPECIFIC)
    assert response.status_code == 400  # the carer's safety is the point of it
    assert 'id="field-carer_safe"' in response.content.decode()
    assert officer.post(step, PAGE_SPECIFIC | {"carer_safe": "no"}).status_code == 302
    petition = reverse("cases:step", args=[case.public_id, "petition_court"])
    assert officer.get(petition).status_code == 403
    form = chairman.get(petition).content.decode()
    assert "Tòa án nhân dân khu vực" in form
    response = chairman.post(
        petition,
        {
            "subject": "continue_separation",
            "separation": separated.pk,
            "court": "Tòa án nhân dân khu vực 1",
            "filed_on": datetime.date.today().isoformat(),
            "reference": "12/ĐN-UBND",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CourtPetition.objects.get().reference == "12/ĐN-UBND"


def test_the_api_records_a_mau_03_again_and_a_petition(world, case, separated):
    officer, chairman = api_for(world.officer), api_for(world.chairman)
    steps = {s["name"] for s in officer.get(url(case, "steps/")).json()}
    assert "reassess_specific" in steps
    missing = take(officer, case, "reassess_specific", expect=400, **SPECIFIC)
    assert "carer_safe" in missing["error"]["fields"]
    take(officer, case, "reassess_specific", **SPECIFIC, carer_safe=True)
    refused = take(
        officer,
        case,
        "petition_court",
        expect=403,
        subject="restrict_parental_rights",
        court="Tòa án",
        filed_on=datetime.date.today().isoformat(),
        reference="1",
    )
    assert refused["error"]["code"] == "permission_denied"
    made = take(
        chairman,
        case,
        "petition_court",
        subject="continue_separation",
        separation=str(separated.public_id),
        court="Tòa án nhân dân khu vực 1",
        filed_on=datetime.date.today().isoformat(),
        reference="12/ĐN-UBND",
    )
    assert made["transition"]["step"] == "petition_court"
    ended = take(
        chairman,
        case,
        "end_separation",
        decision=str(separated.public_id),
        basis="carer_safe",
        reason="Mẹ bảo đảm an toàn",
    )
    assert ended["transition"]["step"] == "end_separation"
