"""The workflow table is the one authority: each step, its service, one input per interface."""

from __future__ import annotations

import inspect

import pytest

from cases import services
from cases.serializers import STEP_INPUTS
from cases.views import STEP_FORMS
from cases.workflow import ROLE, STATE, STEPS, step_refusal


def test_every_step_has_one_input_in_each_interface_and_nothing_else_does():
    assert set(STEP_FORMS) == set(STEPS)
    assert set(STEP_INPUTS) == set(STEPS)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_steps_service_takes_the_actor_the_case_and_its_inputs_by_keyword(name):
    service = STEPS[name].service
    assert service is getattr(services, f"case_{name}")
    parameters = inspect.signature(service).parameters
    assert list(parameters)[:2] == ["actor", "case"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(parameters.values())[:2])
    assert not [p for p in parameters.values() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]


def test_the_api_inputs_name_only_what_the_service_accepts():
    for name, serializer in STEP_INPUTS.items():
        parameters = inspect.signature(STEPS[name].service).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        inputs = set(serializer().fields) - {"step"}
        if not takes_any:
            assert inputs <= set(parameters) - {"actor", "case"}, name


def test_the_refusal_names_the_role_before_the_state(world):
    step = STEPS["approve_plan"]  # the chairman's, from a submitted plan
    refusal = step_refusal(step, case=world.case, permissions={"view_case"})
    assert refusal.kind == ROLE
    refusal = step_refusal(step, case=world.case, permissions={"view_case", "approve_plan"})
    assert refusal.kind == STATE
    assert world.case.get_status_display() in refusal.message
    # Holding the step's permission with only the summary in view is no role for it (only the
    # steps marked `summary_viewers`, the police unit's intervention, are taken so).
    refusal = step_refusal(step, case=world.case, permissions={"approve_plan"})
    assert refusal.kind == ROLE
    intervention = STEPS["record_intervention"]
    assert step_refusal(intervention, case=world.case, permissions={"intervene_case"}) is None
    world.case.status = "plan_submitted"
    assert step_refusal(step, case=world.case, permissions={"view_case", "approve_plan"}) is None
