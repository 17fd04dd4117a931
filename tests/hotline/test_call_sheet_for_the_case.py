"""
The commune officer reads the hotline's call sheet behind a case (issue #13; before: 404), with
the caller's identity only where the caller agreed; nobody without the whole file reads it, and
only the hotline triages it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEntry
from hotline import services
from tests.hotline.test_intake_services import log_report


def _case_from(world, **extra):
    call = log_report(world, **extra)
    case = services.intake_open_case(actor=world.hotline, item=call)
    call.refresh_from_db()
    return call, case


def test_the_officer_reads_the_call_sheet_from_the_case_page(world, client_for):
    call, case = _case_from(world, caller_consents=True, caller_name="Bà Lan")
    client = client_for("officer")
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    sheet_url = reverse("hotline:call-detail", args=[call.public_id])
    assert sheet_url in page.split('id="hotline-calls"')[1]
    sheet = client.get(sheet_url)
    assert sheet.status_code == 200
    body = sheet.content.decode()
    assert "Trẻ bị cha đánh nhiều lần" in body
    assert "Bà Lan" in body  # the caller agreed to be named
    assert 'name="action"' not in body  # nothing to triage here: that is the hotline's
    assert AuditEntry.objects.filter(
        actor_id=world.officer.pk, object_type="call", object_id=str(call.public_id)
    ).exists()


def test_a_caller_who_did_not_agree_stays_unnamed_to_the_officer(world, client_for):
    call, _case = _case_from(world, caller_consents=False, caller_name="Bà Lan")
    body = client_for("officer").get(reverse("hotline:call-detail", args=[call.public_id]))
    text = body.content.decode()
    assert body.status_code == 200
    assert "Bà Lan" not in text
    assert "0912 345 678" not in text
    assert "0912345678" not in text


@pytest.mark.parametrize("persona", ["officer2", "school", "collaborator", "far_officer"])
def test_who_does_not_read_the_whole_file_gets_a_404(world, client_for, persona):
    call, _case = _case_from(world)
    assert (
        client_for(persona).get(reverse("hotline:call-detail", args=[call.public_id])).status_code
        == 404
    )


def test_the_officer_cannot_triage_nor_list_the_hotlines_calls(world, client_for):
    call, _case = _case_from(world)
    other = log_report(world)  # a call behind no case of the commune
    client = client_for("officer")
    assert client.get(reverse("hotline:call-detail", args=[other.public_id])).status_code == 404
    response = client.post(
        reverse("hotline:call-detail", args=[call.public_id]),
        {"action": "close", "close-reason": "duplicate"},
    )
    assert response.status_code == 403
    assert client.get(reverse("hotline:calls")).status_code == 404


def test_the_api_gives_the_officer_the_call_behind_the_case(world):
    call, _case = _case_from(world)
    api = APIClient()
    api.force_authenticate(world.officer)
    assert api.get(f"/api/v1/calls/{call.public_id}/").status_code == 200
    api.force_authenticate(world.officer2)
    assert api.get(f"/api/v1/calls/{call.public_id}/").status_code == 404
