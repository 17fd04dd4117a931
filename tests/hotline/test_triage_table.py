"""Triage has one table (hotline.triage): who triages what, from which state, in every interface."""

from __future__ import annotations

import pytest

from hotline import services, triage
from hotline.models import IntakeStatus
from tests.hotline.test_intake_api import api_for, post_call
from tests.hotline.test_intake_pages import a_report, report_url


def _call(world, **extra):
    response = post_call(world, **extra)
    assert response.status_code == 201, response.json()
    return services.Call.objects.get(public_id=response.json()["id"])


def test_a_call_is_the_hotlines_and_a_report_its_communes_officers(world):
    call, report = _call(world), a_report(world)
    assert triage.triage_refusal(world.hotline, call) is None
    assert triage.triage_refusal(world.officer, report) is None
    for user, item in [(world.officer, call), (world.hotline, report), (world.officer2, report)]:
        refusal = triage.triage_refusal(user, item)
        assert refusal.kind == triage.ROLE


def test_only_a_waiting_report_call_may_be_decided(world):
    prank = _call(world, call_type="prank")
    assert triage.triage_refusal(world.hotline, prank).kind == triage.STATE
    report = a_report(world)
    services.intake_close(actor=world.officer, item=report, reason="duplicate")
    report.refresh_from_db()
    assert report.status == IntakeStatus.CLOSED
    refusal = triage.triage_refusal(world.officer, report)
    assert refusal.kind == triage.STATE


@pytest.mark.parametrize("interface", ["service", "api", "page"])
def test_every_interface_gives_the_tables_answer(world, client_for, interface):
    # The collaborator who sent the report sees it, and may not decide on it.
    report = a_report(world)
    expected = str(triage.role_refusal(world.collaborator, report).message)
    if interface == "service":
        with pytest.raises(services.IntakeNotPermitted) as error:
            services.intake_close(actor=world.collaborator, item=report, reason="duplicate")
        assert str(error.value) == expected
    elif interface == "api":
        response = api_for(world.collaborator).post(
            f"/api/v1/reports/{report.public_id}/close/", {"reason": "duplicate"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["error"]["message"] == expected
    else:
        page = client_for("collaborator").post(report_url(report), {"action": "close"})
        assert page.status_code == 403
    report.refresh_from_db()
    assert report.status == IntakeStatus.RECEIVED
