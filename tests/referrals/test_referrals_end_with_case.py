"""
Access ends when the case ends (issue #13): closing a case, finding it not substantiated,
merging it or transferring it ends every open referral of the case at once, records why, and
tells the receiving organisation; its staff's next request for the case gets 404.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditEntry
from cases import services as case_services
from cases.access import can_see, case_permissions
from cases.models import Case, Notification
from cases.workflow import OPEN_STATES, STEPS
from referrals import services
from referrals.models import Referral
from referrals.services import CASE_ENDINGS
from tests.cases.test_workflow_services import LOW, to_implementation
from tests.factories import make_case
from tests.referrals.test_referral_services import send

CLOSING_REVIEW = {"no_remaining_risk": True, "child_stable": True, "recommendation": "close"}


def _close(world) -> None:
    to_implementation(world, world.case)
    case_services.case_record_review(actor=world.officer, case=world.case, **CLOSING_REVIEW, **LOW)
    case_services.case_close(actor=world.chairman, case=world.case, reason="Đủ điều kiện")


ENDINGS = {
    "close": _close,
    "mark_not_substantiated": lambda world: case_services.case_mark_not_substantiated(
        actor=world.officer, case=world.case, reason="Không có căn cứ"
    ),
    "merge": lambda world: case_services.case_merge(
        actor=world.officer,
        case=world.case,
        into=make_case(world.commune, "Nguyễn Văn An (trùng)"),
        reason="Cùng một em",
    ),
    "transfer": lambda world: case_services.case_transfer(
        actor=world.officer, case=world.case, commune=world.other_commune, reason="Gia đình chuyển"
    ),
    "end_otherwise": lambda world: case_services.case_end_otherwise(
        actor=world.chairman, case=world.case, ending="moved_away", ended_on=timezone.localdate()
    ),
}


def test_the_steps_that_end_sharing_are_those_that_finish_a_case_and_the_transfer():
    ending = {name for name, step in STEPS.items() if step.ends_sharing}
    finishing = {
        name for name, step in STEPS.items() if step.target and step.target not in OPEN_STATES
    }
    assert ending == finishing | {"transfer"}
    assert ending == set(ENDINGS) == set(CASE_ENDINGS)


@pytest.mark.parametrize("step", list(ENDINGS))
def test_an_ending_ends_every_open_referral_and_the_recipients_access(world, client_for, step):
    school = send(world)
    health = send(world, organisation=world.health.memberships.get().organisation)
    services.referral_acknowledge(actor=world.school, referral=school)
    other_case = make_case(world.commune, "Trần Thị Bình")
    elsewhere = services.referral_send(
        actor=world.officer,
        case=other_case,
        organisation=world.school_org,
        purpose="s_education",
        message="Theo dõi",
    )
    assert can_see(world.school, world.case)
    client = client_for("school")
    assert client.get(reverse("cases:detail", args=[world.case.public_id])).status_code == 200

    ENDINGS[step](world)

    with translation.override("vi"):
        why = str(CASE_ENDINGS[step])
    for referral in (school, health):
        referral.refresh_from_db()
        assert referral.status == Referral.Status.REVOKED
        assert referral.revoke_reason == why
        assert referral.closed_at is not None
    # A referral of another case is no business of this ending.
    elsewhere.refresh_from_db()
    assert elsewhere.status == Referral.Status.SENT
    # The recipient's next request for the case is a 404; the referral's own record remains.
    for persona in ("school", "health"):
        assert not can_see(world.users[persona], world.case)
        assert case_permissions(world.users[persona], world.case) == set()
    assert client.get(reverse("cases:detail", args=[world.case.public_id])).status_code == 404
    page = client.get(reverse("referrals:detail", args=[school.public_id]))
    assert page.status_code == 200
    assert "Nguyễn Văn An" not in page.content.decode()
    # The organisation is told, by a notice that leads to the referral, not to the case.
    (notice,) = Notification.objects.filter(
        recipient=world.school, kind=Notification.Kind.REFERRAL_ENDED
    )
    assert notice.case is None
    assert notice.about == school.public_id
    listed = client.get(reverse("cases:notifications")).content.decode()
    assert reverse("referrals:detail", args=[school.public_id]) in listed
    # The trail says why each ended.
    entries = AuditEntry.objects.filter(detail__operation="referral_revoked_case_ended")
    assert {e.object_id for e in entries} == {str(school.public_id), str(health.public_id)}
    assert {e.detail["step"] for e in entries} == {step}


def test_an_ended_referral_stays_as_it_ended(world):
    done = send(world)
    for take in (services.referral_acknowledge, services.referral_accept):
        take(actor=world.school, referral=done)
    services.referral_complete(actor=world.officer, referral=done)
    ENDINGS["mark_not_substantiated"](world)
    done.refresh_from_db()
    assert done.status == Referral.Status.COMPLETED
    assert done.revoke_reason == ""
    assert not Notification.objects.filter(kind=Notification.Kind.REFERRAL_ENDED).exists()


def test_a_step_that_does_not_end_the_case_keeps_its_referrals(world):
    referral = send(world)
    case_services.case_assess_initial(
        actor=world.officer, case=world.case, emergency_required=False, **LOW
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert Case.objects.get(pk=world.case.pk).status == "initial_assessed"
    assert can_see(world.school, world.case)


def test_a_refused_ending_ends_nothing(world):
    referral = send(world)
    with pytest.raises(case_services.StepNotPermitted):
        case_services.case_mark_not_substantiated(
            actor=world.school, case=world.case, reason="Không"
        )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert can_see(world.school, world.case)
