"""
Those the law empowers can act in an emergency (issue #13; Decree 56 Arts. 31, 32): the commune's
child-protection officer records the emergency intervention itself, with its time and measures,
and it meets the 12-hour clock; only a temporary separation needs the chairman's decision.
Emergency measures and separations are available in every open state, and a separation can be
extended in any open state; later in the process they leave the case where it is.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services
from cases.deadlines import deadline_view
from cases.models import Case, CaseDeadline, EmergencyDecision
from cases.workflow import OPEN_STATES, STEPS
from tests.cases.test_workflow_api import api_for, url
from tests.cases.test_workflow_services import extend, separate, status, to_implementation
from tests.factories import make_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime.datetime(2026, 5, 12, 22, 0, tzinfo=VN)  # a Tuesday, 10 p.m.
MEASURES = "Cùng Công an xã ngăn chặn hành vi; sơ cứu tại Trạm Y tế; lưu giữ quần áo làm chứng cứ"


@pytest.fixture
def night_case(world) -> Case:
    with time_machine.travel(NIGHT, tick=False):
        return make_case(world.commune, "Phạm Văn Minh")


def test_the_officer_records_a_night_intervention_that_meets_the_12_hour_clock(world, night_case):
    at = NIGHT + datetime.timedelta(hours=5)  # 3 a.m.
    with time_machine.travel(NIGHT + datetime.timedelta(hours=9), tick=False):  # entered at 7
        intervention = services.case_record_intervention(
            actor=world.officer, case=night_case, measures=MEASURES, intervened_at=at
        )
    assert intervention.kind == EmergencyDecision.Kind.INTERVENTION
    assert intervention.decision_number == ""
    assert intervention.decided_by == world.officer
    assert intervention.decided_at == at
    assert status(night_case) == Case.Status.EMERGENCY_PROTECTION
    clock = CaseDeadline.objects.get(case=night_case, rule__code="emergency_12h")
    assert clock.met_at == at
    assert deadline_view(clock).state == "met"


@pytest.mark.parametrize("persona", ["chairman", "supervisor", "hotline", "school", "officer2"])
def test_only_the_officer_records_the_intervention(world, persona):
    with pytest.raises(services.StepNotPermitted):
        services.case_record_intervention(
            actor=world.users[persona], case=world.case, measures=MEASURES
        )
    assert not EmergencyDecision.objects.exists()
    assert status(world.case) == Case.Status.RECEIVED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measures": "  "}, "measures"),
        ({"measures": MEASURES, "intervened_at": NIGHT + datetime.timedelta(days=400)}, None),
    ],
)
def test_an_intervention_needs_its_measures_and_a_time_that_has_been(world, data, field):
    with pytest.raises(ValidationError) as error:
        services.case_record_intervention(actor=world.officer, case=world.case, **data)
    assert (field or "intervened_at") in error.value.message_dict
    assert not EmergencyDecision.objects.exists()


def test_emergency_steps_are_open_in_every_open_state():
    for name in ("record_intervention", "decide_emergency", "extend_separation", "end_separation"):
        assert STEPS[name].sources == OPEN_STATES, name


def test_a_separation_during_implementation_leaves_the_case_in_implementation(world):
    to_implementation(world, world.case)
    decision = separate(world, world.case, days=7)
    assert status(world.case) == Case.Status.IN_IMPLEMENTATION
    extend(world, decision, 3, reason="Cần thêm thời gian đánh giá")
    assert status(world.case) == Case.Status.IN_IMPLEMENTATION
    services.case_record_intervention(actor=world.officer, case=world.case, measures=MEASURES)
    assert status(world.case) == Case.Status.IN_IMPLEMENTATION
    kinds = list(world.case.emergency_decisions.values_list("kind", flat=True))
    assert kinds == ["separation", "intervention"]


def test_the_officer_records_the_intervention_through_the_api(world):
    officer = api_for(world.officer)
    steps = {s["name"]: s for s in officer.get(url(world.case, "steps/")).json()}
    assert steps["record_intervention"]["target"] == "emergency_protection"
    assert "decide_emergency" not in steps
    response = officer.post(
        url(world.case, "transitions/"),
        {"step": "record_intervention", "measures": MEASURES},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["case"]["status"] == "emergency_protection"
    refused = api_for(world.supervisor).post(
        url(world.case, "transitions/"),
        {"step": "record_intervention", "measures": MEASURES},
        format="json",
    )
    assert refused.status_code == 403
    missing = officer.post(
        url(world.case, "transitions/"), {"step": "record_intervention"}, format="json"
    )
    assert missing.status_code == 400
    assert "measures" in missing.json()["error"]["fields"]


def test_in_implementation_the_api_says_the_intervention_keeps_the_state(world):
    to_implementation(world, world.case)
    steps = {s["name"]: s for s in api_for(world.officer).get(url(world.case, "steps/")).json()}
    assert steps["record_intervention"]["target"] is None


def test_the_officer_records_the_intervention_from_its_page(world, client_for):
    client = client_for("officer")
    page = reverse("cases:step", args=[world.case.public_id, "record_intervention"])
    assert client.get(page).status_code == 200
    empty = client.post(page, {"measures": ""})
    assert empty.status_code == 400
    assert "measures" in empty.context["form"].errors
    done = client.post(page, {"measures": MEASURES})
    assert done.status_code == 302
    detail = client.get(reverse("cases:detail", args=[world.case.public_id])).content.decode()
    assert "Công an xã ngăn chặn" in detail
    assert client_for("supervisor").get(page).status_code in (403, 404)
