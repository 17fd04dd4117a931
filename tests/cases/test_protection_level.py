"""
The protection level of a case is support (Law on Children Art. 49) or intervention (Art. 50):
prevention (Art. 48) is for the community, not a case (issue #13). Left out when a case opens,
the level follows the target group (an abused child: intervention; otherwise support). The plan's
activities use the measures of the case's level: a support case the Art. 49(2) measures, an
intervention case any (Art. 50(2) a–h, whose (g) takes in Art. 49(2)(d)). Through the services,
the pages and the API.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from cases import services
from cases.models import (
    INTERVENTION_MEASURES,
    SUPPORT_MEASURES,
    Case,
    Measure,
    Plan,
    measures_for,
)
from tests.factories import make_case

# A Wednesday morning in Vietnam, far from Tết: today and the next weeks are plain working days.
MOMENT = datetime.datetime(2026, 6, 10, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
RATINGS = {
    "harm_severity": "high",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "low",
    "recovery": "medium",
}
NOT_FOR_SUPPORT = (
    "A support case (Art. 49) takes the Art. 49 measures; this one is an intervention (Art. 50)."
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MOMENT, tick=True):
        yield


def today(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def api_for(user, language: str | None = None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    if language:
        client.cookies["django_language"] = language
    return client


def fields_of(response) -> dict:
    return response.json()["error"]["fields"]


def to_needs_meeting(world, case: Case) -> None:
    """Take a case to its needs meeting through the services (arrange, not the subject)."""
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


def activity(measure: str, **extra) -> dict:
    return {
        "measure": measure,
        "description": "Khám sức khỏe, tư vấn tâm lý",
        "person_responsible": "Trạm trưởng Trạm Y tế",
        "starts_on": today(),
        "ends_on": today(30),
        **extra,
    }


def draft(world, case: Case, *measures: str) -> Plan:
    return services.case_draft_plan(
        actor=world.officer,
        case=case,
        objectives="Bảo đảm an toàn cho trẻ",
        review_on=today(30),
        activities=[activity(m) for m in measures],
    )


def intervention_case(world) -> Case:
    case = make_case(world.commune, "Lê Văn Can", target_group="abused")
    assert case.protection_level == "intervention"
    return case


# ---------------------------------------------------------------------------------------------
# The levels and their measures


def test_a_case_is_support_or_intervention_never_prevention():
    assert Case.ProtectionLevel.values == ["support", "intervention"]


def test_each_level_has_its_measures():
    assert measures_for("support") == SUPPORT_MEASURES
    assert measures_for("intervention") == INTERVENTION_MEASURES == frozenset(Measure.values)
    assert {"s_assessment", "s_social_assistance", "other"} <= SUPPORT_MEASURES
    assert not {m for m in SUPPORT_MEASURES if m.startswith("i_")}
    assert {"i_special_support", "i_safety_monitoring", "i_medical"} <= INTERVENTION_MEASURES


# ---------------------------------------------------------------------------------------------
# The level of a new case


@pytest.mark.parametrize(
    ("target_group", "level"),
    [("abused", "intervention"), ("at_risk", "support"), ("special", "support"), (None, "support")],
)
def test_a_new_case_without_a_level_takes_it_from_the_target_group(world, target_group, level):
    extra = {"target_group": target_group} if target_group else {}
    assert make_case(world.commune, "Trẻ", **extra).protection_level == level
    assert make_case(world.commune, "Trẻ", protection_level="", **extra).protection_level == level


def test_a_level_given_is_kept(world):
    case = make_case(world.commune, "Trẻ", target_group="abused", protection_level="support")
    assert case.protection_level == "support"
    case = make_case(world.commune, "Trẻ", target_group="at_risk", protection_level="intervention")
    assert case.protection_level == "intervention"


def test_prevention_is_refused_naming_the_field(world):
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        make_case(world.commune, "Trẻ", protection_level="prevention")
    assert error.value.message_dict["protection_level"] == ["Hãy chọn trong danh sách."]
    with pytest.raises(ValidationError) as error:
        services.case_update_record(
            actor=world.officer,
            case=world.case,
            expected_version=world.case.version,
            changes={"protection_level": "prevention"},
        )
    assert "protection_level" in error.value.message_dict


def case_form(**extra) -> dict:
    return {
        "source": "commune",
        "channel": "phone",
        "sex": "female",
        "full_name": "Phạm Thị Hoa",
        **extra,
    }


def test_the_open_page_offers_support_intervention_or_the_target_group(world, client_for):
    body = client_for("officer").get(reverse("cases:create")).content.decode()
    select = re.search(r'<select name="protection_level".*?</select>', body, re.S).group(0)
    assert re.findall(r'value="([^"]*)"', select) == ["", "support", "intervention"]
    assert "prevention" not in select


@pytest.mark.parametrize(
    ("target_group", "level", "expected"),
    [
        ("abused", "", "intervention"),
        ("at_risk", "", "support"),
        ("abused", "support", "support"),
    ],
)
def test_the_open_page_leaves_the_level_to_the_target_group(
    world, client_for, target_group, level, expected
):
    data = case_form(commune=world.commune.pk, target_group=target_group, protection_level=level)
    response = client_for("officer").post(reverse("cases:create"), data)
    assert response.status_code == 302
    assert Case.objects.get(child__full_name="Phạm Thị Hoa").protection_level == expected


def test_the_open_page_refuses_prevention(world, client_for):
    count = Case.objects.count()
    data = case_form(
        commune=world.commune.pk, target_group="at_risk", protection_level="prevention"
    )
    response = client_for("officer").post(reverse("cases:create"), data)
    assert response.status_code == 400
    field = re.search(r'id="field-protection_level".*?</div>', response.content.decode(), re.S)
    assert 'class="errorlist"' in field.group(0)
    assert Case.objects.count() == count


def test_the_edit_page_offers_only_support_and_intervention(world, client_for):
    body = client_for("officer").get(reverse("cases:edit", args=[world.case.public_id]))
    select = re.search(
        r'<select name="protection_level".*?</select>', body.content.decode(), re.S
    ).group(0)
    assert re.findall(r'value="([^"]*)"', select) == ["support", "intervention"]


def api_case(world, **extra) -> dict:
    return {
        "commune": world.commune.code,
        "child": {"full_name": "Phạm Thị Hoa", "sex": "female"},
        "source": "school",
        "channel": "phone",
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "level"),
    [
        ({"target_group": "abused"}, "intervention"),
        ({"target_group": "special"}, "support"),
        ({}, "support"),
        ({"target_group": "abused", "protection_level": "support"}, "support"),
    ],
)
def test_the_api_opens_a_case_at_the_level_of_its_target_group(world, extra, level):
    response = api_for(world.officer).post(
        "/api/v1/cases/", api_case(world, **extra), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["protection_level"] == level


def test_the_api_refuses_prevention(world):
    officer = api_for(world.officer)
    refused = officer.post(
        "/api/v1/cases/", api_case(world, protection_level="prevention"), format="json"
    )
    assert refused.status_code == 400
    assert "protection_level" in fields_of(refused)
    edit = officer.patch(
        f"/api/v1/cases/{world.case.public_id}/",
        {"protection_level": "prevention"},
        format="json",
        HTTP_IF_MATCH=f'"{world.case.version}"',
    )
    assert edit.status_code == 400
    assert "protection_level" in fields_of(edit)


# ---------------------------------------------------------------------------------------------
# The plan's measures follow the level: the service


def test_a_support_case_takes_only_the_art_49_measures(world):
    to_needs_meeting(world, world.case)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        draft(world, world.case, "s_health", "i_medical", "i_safety_monitoring")
    errors = error.value.message_dict
    assert errors["activities[1].measure"] == [NOT_FOR_SUPPORT]
    assert errors["activities[2].measure"] == [NOT_FOR_SUPPORT]
    assert "activities[0].measure" not in errors
    assert not Plan.objects.filter(case=world.case).exists()
    plan = draft(world, world.case, "s_health", "s_assessment", "s_social_assistance", "other")
    assert sorted(plan.activities.values_list("measure", flat=True)) == [
        "other",
        "s_assessment",
        "s_health",
        "s_social_assistance",
    ]


def test_an_intervention_case_takes_every_measure(world):
    case = intervention_case(world)
    to_needs_meeting(world, case)
    plan = draft(world, case, "i_safety_monitoring", "i_special_support", "s_carer_counselling")
    assert plan.activities.count() == 3


def test_an_unknown_measure_is_still_named_as_unknown(world):
    to_needs_meeting(world, world.case)
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        draft(world, world.case, "prevention_talk")
    assert error.value.message_dict["activities[0].measure"] == [
        "Hãy chọn biện pháp (Điều 49 hoặc Điều 50)."
    ]


# ---------------------------------------------------------------------------------------------
# The page


def step_url(case: Case, step: str = "draft_plan") -> str:
    return reverse("cases:step", args=[case.public_id, step])


def plan_data(*measures: str) -> dict:
    data = {
        "objectives": "Bảo đảm an toàn cho trẻ",
        "monitoring": "Cán bộ thăm gia đình mỗi tuần",
        "review_on": today(30).isoformat(),
        "reason": "",
        "activities-TOTAL_FORMS": str(len(measures)),
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
    }
    for index, measure in enumerate(measures):
        for name, value in activity(measure).items():
            data[f"activities-{index}-{name}"] = str(value)
    return data


def offered(body: str) -> list[str]:
    select = re.search(r'<select name="activities-0-measure".*?</select>', body, re.S).group(0)
    return [v for v in re.findall(r'value="([^"]*)"', select) if v]


def test_the_plan_page_offers_the_measures_of_the_cases_level(world, client_for):
    client = client_for("officer")
    to_needs_meeting(world, world.case)
    support = offered(client.get(step_url(world.case)).content.decode())
    assert set(support) == SUPPORT_MEASURES
    assert "i_medical" not in support
    case = intervention_case(world)
    to_needs_meeting(world, case)
    intervention = offered(client.get(step_url(case)).content.decode())
    assert set(intervention) == INTERVENTION_MEASURES
    assert intervention == list(Measure.values)  # in the order of the law


def test_the_plan_page_shows_the_refusal_on_the_rows_measure(world, client_for):
    to_needs_meeting(world, world.case)
    client = client_for("officer")
    client.cookies["django_language"] = "en"
    response = client.post(step_url(world.case), plan_data("s_health", "i_safe_place"))
    assert response.status_code == 400
    body = response.content.decode()
    second = re.search(r'id="field-activities-1-measure".*?</div>', body, re.S).group(0)
    assert NOT_FOR_SUPPORT in second
    first = re.search(r'id="field-activities-0-measure".*?</div>', body, re.S).group(0)
    assert 'class="errorlist"' not in first
    assert not Plan.objects.filter(case=world.case).exists()
    response = client.post(step_url(world.case), plan_data("s_health", "s_legal"))
    assert response.status_code == 302
    assert Plan.objects.get(case=world.case).activities.count() == 2


# ---------------------------------------------------------------------------------------------
# The API


def plan_payload(*measures: str) -> dict:
    return {
        "step": "draft_plan",
        "objectives": "Bảo đảm an toàn cho trẻ",
        "review_on": str(today(30)),
        "activities": [
            {name: str(value) for name, value in activity(measure).items()} for measure in measures
        ],
    }


def test_the_api_refuses_an_art_50_measure_on_a_support_case(world):
    to_needs_meeting(world, world.case)
    path = f"/api/v1/cases/{world.case.public_id}/transitions/"
    english = api_for(world.officer, "en")
    refused = english.post(path, plan_payload("s_skills", "i_legal_aid"), format="json")
    assert refused.status_code == 400
    assert fields_of(refused) == {"activities[1].measure": [NOT_FOR_SUPPORT]}
    assert not Plan.objects.filter(case=world.case).exists()
    vietnamese = api_for(world.officer).post(path, plan_payload("i_legal_aid"), format="json")
    assert vietnamese.status_code == 400
    assert list(fields_of(vietnamese)) == ["activities[0].measure"]
    done = english.post(path, plan_payload("s_skills", "s_legal"), format="json")
    assert done.status_code == 201, done.json()


def test_the_api_takes_an_art_50_measure_on_an_intervention_case(world):
    case = intervention_case(world)
    to_needs_meeting(world, case)
    path = f"/api/v1/cases/{case.public_id}/transitions/"
    done = api_for(world.officer).post(
        path, plan_payload("i_legal_aid", "i_safety_monitoring"), format="json"
    )
    assert done.status_code == 201, done.json()
    plans = api_for(world.officer).get(f"/api/v1/cases/{case.public_id}/plans/").json()
    assert sorted(a["measure"] for a in plans[0]["activities"]) == [
        "i_legal_aid",
        "i_safety_monitoring",
    ]
