"""
Triage of report calls and collaborator reports as one table: the three decisions, who may take
them on which item, and from which state (Decree 56 Art. 26(1): the information goes at once to
the commune that must act). hotline.services asks it under the item's lock; the pages and the
API ask the same function before it, for what to offer and what to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.workflow import ROLE, STATE, Refusal
from hotline.models import Call, CollaboratorReport, IntakeStatus


@dataclass(frozen=True)
class Decision:
    name: str
    label: Promise
    leads_to: str  # the item's status once taken


DECISIONS: dict[str, Decision] = {
    decision.name: decision
    for decision in [
        Decision("open", _("Open a case"), IntakeStatus.CASE_OPENED),
        Decision("link", _("Link to an existing case"), IntakeStatus.LINKED),
        Decision("close", _("Close without a case"), IntakeStatus.CLOSED),
    ]
}
# Every decision is taken once, on an item still waiting; the first decision stands.
FROM_STATES = frozenset({IntakeStatus.RECEIVED})


def role_refusal(user: User, item: Call | CollaboratorReport) -> Refusal | None:
    """Who triages what: a call, the hotline's operators; a report, its commune's officer."""
    from hotline.services import hotline_organisations_of, officer_communes_of

    if isinstance(item, Call):
        if not hotline_organisations_of(user):
            return Refusal(ROLE, _("Only hotline operators triage calls."))
        return None
    if item.commune not in officer_communes_of(user):
        return Refusal(ROLE, _("Only the commune's child-protection officer triages reports."))
    return None


def state_refusal(item: Call | CollaboratorReport) -> Refusal | None:
    """Whether the item still waits for a decision: only report calls ever do."""
    if isinstance(item, Call) and (
        item.call_type != Call.CallType.REPORT or item.status == IntakeStatus.NO_CASE_NEEDED
    ):
        return Refusal(STATE, _("Only report calls become cases."))
    if item.status not in FROM_STATES:
        return Refusal(STATE, _("This item was already triaged; the first decision stands."))
    return None


def triage_refusal(user: User, item: Call | CollaboratorReport) -> Refusal | None:
    """May the user triage the item now, and if not, why: the role first, then the state."""
    return role_refusal(user, item) or state_refusal(item)
