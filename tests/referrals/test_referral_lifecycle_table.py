"""The referral life cycle is one table (referrals.lifecycle) that the services obey."""

from __future__ import annotations

import pytest

from referrals import lifecycle, services
from referrals.models import Referral
from tests.referrals.test_referral_services import send

S = Referral.Status

# How to bring a fresh referral to each state, through the services (the school answers).
PATHS = {
    S.SENT: [],
    S.ACKNOWLEDGED: ["acknowledge"],
    S.ACCEPTED: ["acknowledge", "accept"],
    S.DECLINED: ["decline"],
    S.COMPLETED: ["acknowledge", "accept", "complete"],
    S.REVOKED: ["revoke"],
}


def _take(world, referral, name):
    actor = world.school if lifecycle.ACTIONS[name].by == lifecycle.RECIPIENT else world.officer
    call = {
        "acknowledge": lambda: services.referral_acknowledge(actor=actor, referral=referral),
        "accept": lambda: services.referral_accept(actor=actor, referral=referral),
        "decline": lambda: services.referral_decline(
            actor=actor, referral=referral, reason="Hết chỗ"
        ),
        "update": lambda: services.referral_update_add(
            actor=actor, referral=referral, kind="feedback", text="Đã gặp em"
        ),
        "complete": lambda: services.referral_complete(actor=actor, referral=referral),
        "revoke": lambda: services.referral_revoke(actor=actor, referral=referral, reason="Nhầm"),
    }
    return call[name]()


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("name", list(lifecycle.ACTIONS))
def test_each_action_is_taken_exactly_from_the_states_the_table_names(world, status, name):
    referral = send(world)
    for step in PATHS[status]:
        _take(world, referral, step)
    referral.refresh_from_db()
    assert referral.status == status
    action = lifecycle.ACTIONS[name]
    assert lifecycle.allowed_now(referral, action.by)[name] == (status in action.sources)
    if status in action.sources:
        _take(world, referral, name)
        referral.refresh_from_db()
        assert referral.status == (action.target or status)
    else:
        with pytest.raises(services.ReferralStateError) as error:
            _take(world, referral, name)
        assert str(error.value) == str(lifecycle.state_refusal(referral, name).message)


@pytest.mark.parametrize("name", list(lifecycle.ACTIONS))
def test_the_other_side_is_refused_by_the_tables_message(world, name):
    referral = send(world)
    action = lifecycle.ACTIONS[name]
    other = world.officer if action.by == lifecycle.RECIPIENT else world.school
    refusal = lifecycle.action_refusal(other, referral, name)
    assert refusal.kind == lifecycle.ROLE
    assert refusal.message == lifecycle.ROLE_MESSAGES[action.by]
