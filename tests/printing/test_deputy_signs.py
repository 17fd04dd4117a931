"""
A deputy chairman can sign for the chairman (issue #13): the same decisions on the same
commune's cases, each recording the capacity it was signed in, and the printed decision carries
the signature block that capacity calls for (Decree 30/2020/NĐ-CP Art. 13: «CHỦ TỊCH», or
«KT. CHỦ TỊCH / PHÓ CHỦ TỊCH»), citing the Law on Organisation of Local Government of 16 June 2025.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases import services
from cases.access import case_permissions
from cases.models import SignedAs
from tests.cases.test_workflow_services import approve, draft, go_to_needs_meeting, separate
from tests.factories import make_user
from tests.printing.conftest import flat, pdf_text, print_url

PURPOSE = "Lưu hồ sơ"


@pytest.fixture
def deputy(world):
    return make_user((world.committee, Role.DEPUTY_CHAIRMAN), username="deputy")


def _submitted(world, case):
    go_to_needs_meeting(world, case)
    draft(world, case)
    services.case_submit_plan(actor=world.officer, case=case)


def _printed(world, user, case, number: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.post(print_url("form", case.public_id, number), {"purpose": PURPOSE})
    assert response.status_code == 200, response.content[:300]
    return flat(pdf_text(response.content))


def test_a_deputy_holds_the_chairmans_decisions_on_the_commune_only(world, deputy):
    assert case_permissions(deputy, world.case) == case_permissions(world.chairman, world.case)
    assert case_permissions(deputy, world.other_case) == set()


def test_a_deputy_approves_and_the_decision_says_for_the_chairman(world, deputy):
    _submitted(world, world.case)
    plan = services.case_approve_plan(
        actor=deputy,
        case=world.case,
        decision_number="21/QĐ-UBND",
        decision_date=timezone.localdate(),
    )
    assert plan.signed_as == SignedAs.DEPUTY_CHAIRMAN
    text = _printed(world, deputy, world.case, "05")
    assert "KT. CHỦ TỊCH" in text
    assert "PHÓ CHỦ TỊCH" in text
    assert "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025" in text


def test_the_chairmans_own_decision_is_signed_chairman(world):
    _submitted(world, world.case)
    plan = approve(world, world.case)
    assert plan.signed_as == SignedAs.CHAIRMAN
    text = _printed(world, world.chairman, world.case, "05")
    assert "CHỦ TỊCH" in text
    assert "KT. CHỦ TỊCH" not in text
    assert "PHÓ CHỦ TỊCH" not in text
    assert "TM. ỦY BAN NHÂN DÂN" not in text  # the chairman's own decision, not the committee's


def test_a_deputy_decides_a_separation_signed_for_the_chairman(world, deputy):
    decision = separate(world, world.case, days=5, actor=deputy)
    assert decision.signed_as == SignedAs.DEPUTY_CHAIRMAN
    text = _printed(world, deputy, world.case, "07")
    assert "KT. CHỦ TỊCH" in text
    assert "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025" in text


def test_an_intervention_by_the_officer_is_signed_by_nobody(world):
    intervention = services.case_record_intervention(
        actor=world.officer, case=world.case, measures="Cùng công an ngăn chặn"
    )
    assert intervention.signed_as == ""


def test_a_deputy_sees_the_plans_awaiting_a_decision_on_the_home_page(world, deputy, client_for):
    _submitted(world, world.case)
    client = Client()
    client.force_login(deputy)
    body = client.get(reverse("home")).content.decode()
    assert world.case.number in body
    assert reverse("cases:step", args=[world.case.public_id, "approve_plan"]) in body
