"""
The police unit working a case records the emergency intervention it takes part in (Decree 56
Art. 31(4)); a case whose facts show signs of a crime must reach the investigating police at
once, by phone in an emergency and then in writing (Art. 25(3); Criminal Procedure Code Art.
146(4)): rules as data, a clock of its own, the written notice recorded (issue #13).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from cases import services as case_services
from cases.crime import crime_signs_of
from cases.models import Assessment, Case, CaseDeadline, CrimeSignRule, Notification
from referrals import services
from referrals.models import Referral
from tests.cases.test_workflow_api import api_for, take, url
from tests.factories import make_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime.datetime(2026, 5, 12, 22, 0, tzinfo=VN)  # a Tuesday, 10 p.m.
MEASURES = "Công an xã ngăn chặn người gây hại; đưa trẻ đến Trạm Y tế sơ cứu"
HIGH = dict.fromkeys(Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS, "high")
MEDIUM = dict.fromkeys(Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS, "medium")


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def refer(world, case: Case, name: str, **extra) -> Referral:
    return services.referral_send(
        actor=world.officer,
        case=case,
        organisation=org(name),
        purpose="i_medical" if name != "Công an xã" else "i_safe_place",
        message="Đề nghị phối hợp",
        **extra,
    )


def clock(case: Case, code: str) -> CaseDeadline:
    return CaseDeadline.objects.get(case=case, rule__code=code)


# ---------------------------------------------------------------------------------------------
# The police unit records the intervention


def test_the_police_unit_referred_records_the_night_intervention(world):
    with time_machine.travel(NIGHT, tick=False):
        case = make_case(world.commune, "Phạm Văn Minh")
        referral = refer(world, case, "Công an xã")
    at = NIGHT + datetime.timedelta(hours=4)
    with time_machine.travel(NIGHT + datetime.timedelta(hours=6), tick=False):
        intervention = case_services.case_record_intervention(
            actor=world.police, case=case, measures=MEASURES, intervened_at=at
        )
    assert intervention.decided_by == world.police
    assert clock(case, "emergency_12h").met_at == at
    # Only while its referral is open: after it ends, the police have nothing to record.
    services.referral_revoke(actor=world.officer, referral=referral, reason="Đã xong")
    with pytest.raises(case_services.StepNotPermitted):
        case_services.case_record_intervention(actor=world.police, case=case, measures=MEASURES)
    assert case.emergency_decisions.count() == 1


@pytest.mark.parametrize("persona", ["school", "health"])
def test_a_school_or_health_station_referred_records_no_intervention(world, persona):
    refer(world, world.case, "Trường Tiểu học" if persona == "school" else "Trạm Y tế")
    with pytest.raises(case_services.StepNotPermitted):
        case_services.case_record_intervention(
            actor=world.users[persona], case=world.case, measures=MEASURES
        )


def test_the_police_take_only_the_intervention_with_the_summary_in_view(world):
    refer(world, world.case, "Công an xã")
    for step in ("assess_initial", "decide_emergency", "mark_not_substantiated"):
        with pytest.raises(case_services.StepNotPermitted):
            case_services.STEPS[step].service(actor=world.police, case=world.case, reason="x")


def test_the_police_intervene_from_the_case_page(world, client_for):
    police = client_for("police")
    detail = reverse("cases:detail", args=[world.case.public_id])
    step = reverse("cases:step", args=[world.case.public_id, "record_intervention"])
    assert police.get(detail).status_code == 404  # not referred yet
    assert police.post(step, {"measures": MEASURES}).status_code == 404
    refer(world, world.case, "Công an xã")
    page = police.get(detail).content.decode()
    assert 'id="step-record_intervention"' in page
    assert 'id="step-assess_initial"' not in page
    assert police.get(step).status_code == 200
    response = police.post(step, {"measures": ""})
    assert response.status_code == 400
    assert 'id="field-measures"' in response.content.decode()
    assert police.post(step, {"measures": MEASURES}).status_code == 302
    assert world.case.emergency_decisions.get().decided_by == world.police
    other = reverse("cases:step", args=[world.case.public_id, "assess_specific"])
    assert police.post(other, {}).status_code == 403
    school = client_for("school")
    refer(world, world.case, "Trường Tiểu học")
    assert 'id="step-record_intervention"' not in school.get(detail).content.decode()


def test_the_police_intervene_through_the_api(world):
    police = api_for(world.police)
    assert police.get(url(world.case, "steps/")).status_code == 404
    take(police, world.case, "record_intervention", expect=404, measures=MEASURES)
    refer(world, world.case, "Công an xã")
    steps = police.get(url(world.case, "steps/")).json()
    assert [s["name"] for s in steps] == ["record_intervention"]
    made = take(police, world.case, "record_intervention", measures=MEASURES)
    assert made["case"] is None  # the whole file stays closed to them
    assert made["transition"]["step"] == "record_intervention"
    take(police, world.case, "assess_initial", expect=403, **MEDIUM, emergency_required=False)
    # Nothing else of the file opens with it.
    assert police.get(url(world.case, "assessments/")).status_code == 404


# ---------------------------------------------------------------------------------------------
# Crime reports


def test_sexual_abuse_of_a_child_is_a_crime_report_with_its_clock_from_the_receipt(world):
    with time_machine.travel(NIGHT, tick=False):
        case = make_case(
            world.commune,
            "Đỗ Thị Hoa",
            received_by=world.officer,
            target_group="abused",
            abuse_forms=["sexual_abuse"],
            sexual_abuse_types=["molestation"],
        )
    assert case.crime_report
    assert case.crime_signs == ["child_sexual_abuse"]
    police_clock = clock(case, "crime_to_police")
    assert police_clock.starts_at == NIGHT
    assert police_clock.rule.is_local_default  # the law says "at once": the length is local
    assert "146(4)" in police_clock.rule.citation
    assert case.transitions.filter(name="crime_flagged").exists()
    # Told by phone at 23:00, referred in writing next morning: passed on at the call.
    phoned = NIGHT + datetime.timedelta(hours=1)
    with time_machine.travel(NIGHT + datetime.timedelta(hours=10), tick=False):
        referral = refer(world, case, "Công an xã", phoned_at=phoned)
    assert referral.is_crime_report
    assert referral.phoned_at == phoned
    assert clock(case, "crime_to_police").met_at == phoned
    written = clock(case, "crime_written_notice")
    assert written.met_at is None
    services.referral_record_written_notice(
        actor=world.officer,
        referral=referral,
        reference="05/TB-UBND",
        written_on=timezone.localdate(),
    )
    referral.refresh_from_db()
    assert referral.written_reference == "05/TB-UBND"
    assert clock(case, "crime_written_notice").met_at is not None


def test_a_referral_to_the_school_does_not_pass_the_crime_report(world):
    case = make_case(world.commune, "Đỗ Thị Hoa", abuse_forms=["trafficking"])
    assert case.crime_signs == ["child_trafficking"]
    referral = refer(world, case, "Trường Tiểu học")
    assert not referral.is_crime_report
    assert clock(case, "crime_to_police").met_at is None
    with pytest.raises(services.ReferralStateError):
        services.referral_record_written_notice(
            actor=world.officer, referral=referral, reference="1", written_on=timezone.localdate()
        )


def test_serious_violence_is_a_crime_report_once_the_harm_is_assessed_high(world):
    medium = make_case(world.commune, "A", abuse_forms=["violence"])
    assert not medium.crime_report
    case_services.case_assess_initial(
        actor=world.officer, case=medium, emergency_required=False, **MEDIUM
    )
    medium.refresh_from_db()
    assert not medium.crime_report
    assert not CaseDeadline.objects.filter(case=medium, rule__code="crime_to_police").exists()
    high = make_case(world.commune, "B", abuse_forms=["violence"])
    case_services.case_assess_initial(
        actor=world.officer, case=high, emergency_required=True, **HIGH
    )
    high.refresh_from_db()
    assert high.crime_signs == ["serious_violence"]
    assert clock(high, "crime_to_police").starts_at == high.assessments.get().assessed_at


def test_the_signs_are_data_an_inactive_rule_flags_nothing(world):
    CrimeSignRule.objects.filter(code="child_trafficking").update(is_active=False)
    case = make_case(world.commune, "C", abuse_forms=["trafficking"])
    assert crime_signs_of(case) == []
    assert not case.crime_report
    CrimeSignRule.objects.create(
        code="neglect_test",
        name_vi="Bỏ mặc (thử)",
        name_en="Neglect (test)",
        citation="thử",
        abuse_form="neglect",
    )
    edited = make_case(world.commune, "D")
    case_services.case_update_record(
        actor=world.officer,
        case=edited,
        expected_version=edited.version,
        changes={"abuse_forms": ["neglect"]},
    )
    edited.refresh_from_db()
    assert edited.crime_signs == ["neglect_test"]


def test_a_police_unit_already_referred_has_the_report_when_the_case_is_flagged(world):
    referral = refer(world, world.case, "Công an xã")
    assert not referral.is_crime_report
    case_services.case_update_record(
        actor=world.officer,
        case=world.case,
        expected_version=world.case.version,
        changes={"abuse_forms": ["sexual_abuse"]},
    )
    referral.refresh_from_db()
    assert referral.is_crime_report
    assert clock(world.case, "crime_to_police").met_at is not None


def test_an_unsent_crime_report_escalates(world):
    with time_machine.travel(NIGHT, tick=False):
        case = make_case(
            world.commune, "E", received_by=world.officer, abuse_forms=["sexual_abuse"]
        )
    with time_machine.travel(NIGHT + datetime.timedelta(hours=3), tick=False):
        call_command("escalate_deadlines", verbosity=0)
    missed = clock(case, "crime_to_police")
    assert missed.escalated_at is not None
    told = set(
        Notification.objects.filter(
            deadline=missed, kind=Notification.Kind.DEADLINE_MISSED
        ).values_list("recipient__username", flat=True)
    )
    assert {"officer", "chairman"} <= told
    assert "school" not in told


def test_the_written_notice_names_its_problems_and_is_the_senders(world):
    case = make_case(world.commune, "F", abuse_forms=["sexual_abuse"])
    referral = refer(world, case, "Công an xã")
    with pytest.raises(ValidationError) as error:
        services.referral_record_written_notice(
            actor=world.officer,
            referral=referral,
            reference="",
            written_on=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert set(error.value.message_dict) == {"reference", "written_on"}
    with pytest.raises(services.ReferralNotPermitted):
        services.referral_record_written_notice(
            actor=world.police, referral=referral, reference="1", written_on=timezone.localdate()
        )
    referral.refresh_from_db()
    assert referral.written_reference == ""


def test_the_pages_show_the_crime_report_and_take_the_phone_time_and_written_notice(
    world, client_for
):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=2)):
        case = make_case(world.commune, "G", abuse_forms=["sexual_abuse"])
    officer = client_for("officer")
    page = officer.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert 'id="crime-report"' in page
    assert 'id="refer-police"' in page
    send = reverse("referrals:send", args=[case.public_id])
    form = officer.get(send, {"kind": "police"}).content.decode()
    assert 'name="phoned_at"' in form
    assert 'name="phoned_at"' not in officer.get(send, {"kind": "school"}).content.decode()
    phoned = timezone.localtime() - datetime.timedelta(minutes=30)
    response = officer.post(
        send,
        {
            "kind": "police",
            "organisation": str(org("Công an xã").public_id),
            "purpose": "i_safe_place",
            "message": "Tin báo về tội phạm xâm hại tình dục trẻ em",
            "phoned_at": phoned.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302, response.content.decode()[-6000:]
    referral = Referral.objects.get(case=case)
    assert referral.is_crime_report
    detail = officer.get(reverse("referrals:detail", args=[referral.public_id])).content.decode()
    assert 'id="written-notice-form"' in detail
    written = reverse("referrals:written-notice", args=[referral.public_id])
    assert officer.post(written, {"reference": "", "written_on": ""}).status_code == 400
    response = officer.post(
        written, {"reference": "7/TB-UBND", "written_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    page = officer.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert 'id="refer-police"' not in page
    police = client_for("police")
    assert police.post(written, {"reference": "x", "written_on": "2026-01-01"}).status_code == 403


def test_the_api_takes_the_phone_time_and_the_written_notice(world):
    case = make_case(world.commune, "H", abuse_forms=["trafficking"])
    officer = api_for(world.officer)
    response = officer.post(
        "/api/v1/referrals/",
        {
            "case": str(case.public_id),
            "organisation": str(org("Trường Tiểu học").public_id),
            "purpose": "s_skills",
            "message": "x",
            "phoned_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "phoned_at" in response.json()["error"]["fields"]
    response = officer.post(
        "/api/v1/referrals/",
        {
            "case": str(case.public_id),
            "organisation": str(org("Công an xã").public_id),
            "purpose": "i_safe_place",
            "message": "Tin báo",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_crime_report"] is True
    assert body["written_reference"] == ""
    notice = f"/api/v1/referrals/{body['id']}/written-notice/"
    bad = officer.post(notice, {"reference": "1"}, format="json")
    assert bad.status_code == 400
    assert "written_on" in bad.json()["error"]["fields"]
    assert (
        api_for(world.police)
        .post(
            notice,
            {"reference": "1", "written_on": timezone.localdate().isoformat()},
            format="json",
        )
        .status_code
        == 403
    )
    done = officer.post(
        notice, {"reference": "9/TB", "written_on": timezone.localdate().isoformat()}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["written_reference"] == "9/TB"
    schema = officer.get("/api/schema/").content.decode()
    assert "/api/v1/referrals/{id}/written-notice/" in schema
