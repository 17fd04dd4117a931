"""
The Decree 56/2017/NĐ-CP workflow as one table: every step, the states it may be taken from, the
state it leads to, the case permission it needs (which decides the role: the officer assesses and
drafts, the chairman decides and approves), and what it requires.

cases.services checks this table before every status change; nothing else assigns a status.
Each step's service is cases.services.case_<name>, and step_refusal is the one answer to "may
this user take this step on this case now, and if not, why" for services, pages and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.access import VIEW_CASE
from cases.models import Case

S = Case.Status

OPEN_STATES = frozenset(
    {
        S.RECEIVED,
        S.INITIAL_ASSESSED,
        S.EMERGENCY_PROTECTION,
        S.SPECIFIC_ASSESSED,
        S.NEEDS_MEETING_HELD,
        S.PLAN_DRAFTED,
        S.PLAN_SUBMITTED,
        S.PLAN_APPROVED,
        S.IN_IMPLEMENTATION,
        S.UNDER_REVIEW,
    }
)
FINAL_STATES = frozenset({S.CLOSED, S.NOT_SUBSTANTIATED, S.MERGED, S.ENDED})


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None  # None: the case keeps its state (e.g. a transfer, an extension)
    permission: str
    requires: Promise
    form: str = ""  # the Decree 56 form the step produces, if any
    # The step ends the case's need of others: its open referrals end, and with them the
    # shares they granted (cases.hooks.case_ended, docs/lifecycles.md).
    ends_sharing: bool = False
    # The states from which the step leads to `target` (None: from every source); from its
    # other sources the case keeps its state (an emergency during implementation stays there).
    target_from: frozenset[str] | None = None
    # Whoever holds the step's permission may take it with only the case's summary in view
    # (the police unit a referral brings in records its intervention, Art. 31(4)).
    summary_viewers: bool = False

    def target_for(self, status: str) -> str | None:
        """The state the step leads to from `status`; None: the case keeps its state."""
        if self.target_from is not None and status not in self.target_from:
            return None
        return self.target

    def leads_to(self, status: str) -> str:
        """The state the step takes a case in `status` to."""
        return self.target_for(status) or status

    @property
    def service(self) -> Callable[..., Any]:
        """The service that takes the step: cases.services.case_<name>(*, actor, case, **inputs)."""
        from cases import services

        return getattr(services, f"case_{self.name}")


@dataclass(frozen=True)
class Refusal:
    """Why a step may not be taken now: the role (`role`: 403) or the state (`state`: 409)."""

    kind: str
    message: str


ROLE = "role"
STATE = "state"


def raise_refusal(
    refusal: Refusal | None, *, role: type[Exception], state: type[Exception]
) -> None:
    """Raise a table's refusal as the caller's exception for a refused role or state."""
    if refusal is not None:
        raise (role if refusal.kind == ROLE else state)(str(refusal.message))


def step_refusal(step: Step, *, case: Case, permissions: set[str]) -> Refusal | None:
    """
    May a user holding `permissions` on the case take `step` now, and if not, why: the one
    answer the service gives under its row lock and the pages, the API and the templates give
    before it (the role first, then the state).
    """
    if step.permission not in permissions or not may_take_seeing(step, permissions):
        return Refusal(
            ROLE, _("Your role may not take the step “%(step)s”.") % {"step": step.label}
        )
    if case.status not in step.sources:
        return Refusal(
            STATE,
            _("“%(step)s” cannot be taken while the case is “%(status)s”.")
            % {"step": step.label, "status": case.get_status_display()},
        )
    return None


# Emergency measures can be needed in any open state (Art. 32(1): the carer refuses the plan,
# the abuse repeats during implementation); only before the specific assessment do they put the
# case into emergency protection, later the case keeps its place in the process.
BEFORE_PROTECTION = frozenset({S.RECEIVED, S.INITIAL_ASSESSED, S.EMERGENCY_PROTECTION})

STEPS: dict[str, Step] = {
    step.name: step
    for step in [
        Step(
            "assess_initial",
            _("Initial risk assessment"),
            frozenset({S.RECEIVED}),
            S.INITIAL_ASSESSED,
            "assess_case",
            _("Every factor rated High, Medium or Low, and whether emergency measures are needed."),
            "Mẫu 02",
        ),
        Step(
            "record_intervention",
            _("Emergency intervention"),
            OPEN_STATES,
            S.EMERGENCY_PROTECTION,
            "intervene_case",
            _(
                "When it was done and the measures taken (stopping the harm with the police, "
                "first aid, keeping evidence: Art. 31(3)–(4)). No decision is needed."
            ),
            target_from=BEFORE_PROTECTION,
            summary_viewers=True,
        ),
        Step(
            "decide_emergency",
            _("Emergency protection or temporary separation"),
            OPEN_STATES,
            S.EMERGENCY_PROTECTION,
            "decide_emergency",
            _(
                "The chairman's decision number and the measures; for a separation the parent "
                "or carer, the ground, the safe place, the alternative care and an end at most "
                "15 days away."
            ),
            "Mẫu 07",
            target_from=BEFORE_PROTECTION,
        ),
        Step(
            "extend_separation",
            _("Extend the separation"),
            OPEN_STATES,
            None,
            "decide_emergency",
            _(
                "A running separation, a reason and the new end; beyond 15 days in all, the "
                "competent authority's request."
            ),
        ),
        Step(
            "end_separation",
            _("End or revoke the separation"),
            OPEN_STATES,
            None,
            "decide_emergency",
            _(
                "A running separation, what its end rests on (a Mẫu 03 recorded since it began "
                "that finds the carer safe, or the court's decision on a petition), and the "
                "reason."
            ),
        ),
        Step(
            "assess_specific",
            _("Specific risk assessment"),
            frozenset({S.INITIAL_ASSESSED, S.EMERGENCY_PROTECTION}),
            S.SPECIFIC_ASSESSED,
            "assess_case",
            _("Every factor rated, and the content of Art. 27(1) a–h."),
            "Mẫu 03",
        ),
        Step(
            "reassess_specific",
            _("Specific risk assessment again"),
            OPEN_STATES - BEFORE_PROTECTION,
            None,
            "assess_case",
            _(
                "Every factor rated and the content of Art. 27(1) a–h, with whether the parents "
                "or carer keep the child safe (Art. 32(3): a separation ends on it; Circular "
                "14/2020 Art. 14(3): the child reassessed after 15 days of separation)."
            ),
            "Mẫu 03",
        ),
        Step(
            "petition_court",
            _("Petition the court"),
            OPEN_STATES,
            None,
            "decide_emergency",
            _(
                "What is asked (to continue a separation the child cannot return from, or to "
                "restrict parental rights), the court (the regional court since 1 July 2025), "
                "the date it was filed and its reference."
            ),
        ),
        Step(
            "hold_needs_meeting",
            _("Needs meeting"),
            frozenset({S.SPECIFIC_ASSESSED}),
            S.NEEDS_MEETING_HELD,
            "assess_case",
            _("When it was held, who chaired, who attended, and the minutes."),
        ),
        Step(
            "draft_plan",
            _("Draft the plan"),
            frozenset({S.NEEDS_MEETING_HELD, S.PLAN_DRAFTED, S.UNDER_REVIEW, S.IN_IMPLEMENTATION}),
            S.PLAN_DRAFTED,
            "plan_case",
            _(
                "Objectives, a review date and at least one activity with its measure, who is "
                "responsible and its dates. After a review, only when the review calls for a "
                "new plan."
            ),
            "Mẫu 04",
        ),
        Step(
            "submit_plan",
            _("Submit the plan to the chairman"),
            frozenset({S.PLAN_DRAFTED}),
            S.PLAN_SUBMITTED,
            "plan_case",
            _("A drafted plan."),
        ),
        Step(
            "return_plan",
            _("Return the plan for changes"),
            frozenset({S.PLAN_SUBMITTED}),
            S.PLAN_DRAFTED,
            "approve_plan",
            _("The reason."),
        ),
        Step(
            "approve_plan",
            _("Approve the plan"),
            frozenset({S.PLAN_SUBMITTED}),
            S.PLAN_APPROVED,
            "approve_plan",
            _("The decision number and date."),
            "Mẫu 05",
        ),
        Step(
            "start_implementation",
            _("Start implementation"),
            frozenset({S.PLAN_APPROVED}),
            S.IN_IMPLEMENTATION,
            "plan_case",
            _("An approved plan."),
        ),
        Step(
            "record_review",
            _("Review"),
            frozenset({S.IN_IMPLEMENTATION}),
            S.UNDER_REVIEW,
            "assess_case",
            _(
                "Every factor rated, whether any risk of abuse remains, whether the child is "
                "stable, and the recommendation."
            ),
            "Mẫu 06",
        ),
        Step(
            "close",
            _("Close the case"),
            frozenset({S.UNDER_REVIEW}),
            S.CLOSED,
            "close_case",
            _(
                "The latest review affirms both Art. 30 conditions: no remaining risk of abuse "
                "and the child is stable."
            ),
            ends_sharing=True,
        ),
        Step(
            "end_otherwise",
            _("End the case for another reason"),
            OPEN_STATES,
            S.ENDED,
            "close_case",
            _(
                "How it ended (the child turned 16, died, moved away, or continues under "
                "another authority), the date, and a note."
            ),
            ends_sharing=True,
        ),
        Step(
            "mark_not_substantiated",
            _("Not substantiated"),
            frozenset({S.RECEIVED, S.INITIAL_ASSESSED}),
            S.NOT_SUBSTANTIATED,
            "assess_case",
            _("The reason."),
            ends_sharing=True,
        ),
        Step(
            "transfer",
            _("Transfer to another commune"),
            OPEN_STATES,
            None,
            "transfer_case",
            _("Another commune and the reason."),
            ends_sharing=True,
        ),
        Step(
            "merge",
            _("Merge as duplicate"),
            OPEN_STATES,
            S.MERGED,
            "change_case",
            _("The case it duplicates (one you can see, still open) and the reason."),
            ends_sharing=True,
        ),
    ]
}


def steps_available(*, case: Case, permissions: set[str]) -> list[Step]:
    """
    Return the steps the case's state allows and the given permissions cover (for one who
    sees only the case's summary, the steps such a viewer may take).
    """
    return [
        step
        for step in STEPS.values()
        if step_refusal(step, case=case, permissions=permissions) is None
    ]


def may_take_seeing(step: Step, permissions: set[str]) -> bool:
    """Whether the user's view of the case (whole file or summary) lets them take the step."""
    return VIEW_CASE in permissions or step.summary_viewers
