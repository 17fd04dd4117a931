"""
A case can end in the other ways the law knows (issue #13): the child turns 16 (no longer a
child, Law on Children Art. 1), dies, moves abroad or out of reach, or continues under another
authority. Each is recorded with its reason and date, taken by the chairman, counted as what it
is (not as an Art. 30 closure), and, like a closure, stops the clocks and the referrals.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseDeadline
from cases.workflow import FINAL_STATES, OPEN_STATES
from tests.cases.test_workflow_api import api_for, url
from tests.cases.test_workflow_services import status, to_implementation
from tests.factories import make_case

TODAY = datetime.date(2026, 9, 15)


@pytest.fixture
def clock():
    with time_machine.travel(datetime.datetime(2026, 9, 15, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.parametrize("ending", [e for e in Case.Ending.values if e != "turned_16"])
def test_each_ending_is_recorded_as_what_it_is(world, clock, ending):
    case = make_case(world.commune, "Hà Văn Lực")
    services.case_end_otherwise(
        actor=world.chairman, case=case, ending=ending, ended_on=TODAY, reason="Theo xác minh"
    )
    case.refresh_from_db()
    assert case.status == Case.Status.ENDED
    assert case.status in FINAL_STATES
    assert case.status not in OPEN_STATES
    assert (case.ending, case.ended_on) == (ending, TODAY)
    assert case.closed_at is not None
    transition = case.transitions.get(name="end_otherwise")
    assert transition.details == {"ending": ending, "ended_on": "2026-09-15"}
    assert transition.reason == "Theo xác minh"
    assert not CaseDeadline.objects.filter(
        case=case, met_at__isnull=True, waived_at__isnull=True
    ).exists()


def test_a_case_can_end_so_in_any_open_state(world, clock):
    case = make_case(world.commune, "Hà Văn Lực")
    to_implementation(world, case)
    services.case_end_otherwise(
        actor=world.chairman, case=case, ending="other_authority", ended_on=TODAY
    )
    assert status(case) == Case.Status.ENDED


@pytest.mark.parametrize("persona", ["officer", "supervisor", "hotline", "school"])
def test_only_the_chairman_ends_a_case(world, clock, persona):
    with pytest.raises(services.StepNotPermitted):
        services.case_end_otherwise(
            actor=world.users[persona], case=world.case, ending="died", ended_on=TODAY
        )
    assert status(world.case) == Case.Status.RECEIVED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"ended_on": TODAY}, "ending"),
        ({"ending": "forgotten", "ended_on": TODAY}, "ending"),
        ({"ending": "died"}, "ended_on"),
        ({"ending": "died", "ended_on": TODAY + datetime.timedelta(days=1)}, "ended_on"),
        ({"ending": "died", "ended_on": datetime.date(2020, 1, 1)}, "ended_on"),
    ],
)
def test_an_ending_needs_its_kind_and_a_date_that_has_been(world, clock, data, field):
    case = make_case(world.commune, "Hà Văn Lực")
    with pytest.raises(ValidationError) as error:
        services.case_end_otherwise(actor=world.chairman, case=case, **data)
    assert field in error.value.message_dict
    assert status(case) == Case.Status.RECEIVED


def test_turning_16_is_checked_against_the_birth_date(world, clock):
    case = services.case_create(
        commune=world.commune,
        child={"full_name": "Hà Văn Lực", "date_of_birth": datetime.date(2010, 9, 20)},
    )
    with pytest.raises(ValidationError) as error:
        services.case_end_otherwise(
            actor=world.chairman, case=case, ending="turned_16", ended_on=TODAY
        )
    assert "20/09/2026" in error.value.message_dict["ended_on"][0]
    with time_machine.travel(datetime.datetime(2026, 9, 21, 9, 0, tzinfo=datetime.UTC)):
        services.case_end_otherwise(
            actor=world.chairman,
            case=case,
            ending="turned_16",
            ended_on=datetime.date(2026, 9, 20),
        )
    assert status(case) == Case.Status.ENDED


def test_the_chairman_ends_a_case_from_the_api_and_the_page(world, client_for):
    chairman = api_for(world.chairman)
    names = {s["name"] for s in chairman.get(url(world.case, "steps/")).json()}
    assert "end_otherwise" in names
    missing = chairman.post(
        url(world.case, "transitions/"), {"step": "end_otherwise"}, format="json"
    )
    assert missing.status_code == 400
    assert {"ending", "ended_on"} <= set(missing.json()["error"]["fields"])
    done = chairman.post(
        url(world.case, "transitions/"),
        {"step": "end_otherwise", "ending": "died", "ended_on": str(timezone.localdate())},
        format="json",
    )
    assert done.status_code == 201, done.json()
    assert done.json()["case"]["ending"] == "died"
    other = make_case(world.commune, "Lù Thị Mai")
    page = reverse("cases:step", args=[other.public_id, "end_otherwise"])
    client = client_for("chairman")
    assert client.get(page).status_code == 200
    assert client.post(page, {"ending": "moved_away"}).status_code == 400
    assert status(other) == Case.Status.RECEIVED
    assert (
        client.post(page, {"ending": "moved_away", "ended_on": str(timezone.localdate())})
    ).status_code == 302
    detail = client.get(reverse("cases:detail", args=[other.public_id])).content.decode()
    assert 'data-ending="moved_away"' in detail
