"""
The referral life cycle as one table (docs/DESIGN.md §7): sent → acknowledged → accepted or
declined → actions and feedback → completed; the sender may revoke an open referral. Each
action says who takes it (the receiving organisation, or the case's commune that sent it), from
which states, and the state it leads to. The services check it under the referral's lock; the
pages, the API and the detail template ask the same functions before them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import memberships_of
from cases.workflow import ROLE, STATE, Refusal
from referrals.models import Referral

SENDER = "sender"  # the case's commune: who may refer the case (refer_case)
RECIPIENT = "recipient"  # the receiving organisation's staff

S = Referral.Status


@dataclass(frozen=True)
class Action:
    name: str
    by: str
    sources: frozenset[str]
    target: str | None  # None: the referral keeps its state (an action or feedback recorded)


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action("acknowledge", RECIPIENT, frozenset({S.SENT}), S.ACKNOWLEDGED),
        Action("accept", RECIPIENT, frozenset({S.ACKNOWLEDGED}), S.ACCEPTED),
        Action("decline", RECIPIENT, frozenset({S.SENT, S.ACKNOWLEDGED}), S.DECLINED),
        Action("update", RECIPIENT, frozenset({S.ACCEPTED}), None),
        Action("complete", SENDER, frozenset({S.ACCEPTED}), S.COMPLETED),
        Action("revoke", SENDER, frozenset(Referral.OPEN), S.REVOKED),
    ]
}

ROLE_MESSAGES = {
    RECIPIENT: _("Only the receiving organisation answers this referral."),
    SENDER: _("Only the case's commune completes or revokes a referral."),
}


def is_side(user: User, referral: Referral, side: str) -> bool:
    """
    Whether the user acts for that side of the referral: the recipient's staff hold an active
    sector-staff membership of the receiving organisation (read once per request); the sender
    holds refer_case on the case.
    """
    from cases.access import case_permissions

    if side == RECIPIENT:
        return any(
            m.organisation_id == referral.organisation_id and m.role == Role.SECTOR_STAFF
            for m in memberships_of(user=user)
        )
    return case_permissions(user, referral.case).can("refer_case")


def answers_summary(user: User, referral: Referral) -> bool:
    """Whether the user sees the referral as its recipient does: staff of it, while it is open."""
    return referral.is_open and is_side(user, referral, RECIPIENT)


def state_refusal(referral: Referral, name: str) -> Refusal | None:
    """Whether the referral's state allows the action."""
    if referral.status in ACTIONS[name].sources:
        return None
    return Refusal(
        STATE,
        _("This cannot be done while the referral is “%(status)s”.")
        % {"status": referral.get_status_display()},
    )


def action_refusal(user: User, referral: Referral, name: str) -> Refusal | None:
    """May the user take the action on the referral now, and if not, why: role, then state."""
    action = ACTIONS[name]
    if not is_side(user, referral, action.by):
        return Refusal(ROLE, ROLE_MESSAGES[action.by])
    return state_refusal(referral, name)


def allowed_now(referral: Referral, side: str) -> dict[str, bool]:
    """For a page: which of that side's actions the referral's state allows now."""
    return {
        name: referral.status in action.sources
        for name, action in ACTIONS.items()
        if action.by == side
    }
