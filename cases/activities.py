"""
Carrying out the approved plan (issue #13):

- who received the approved decision and plan, when and how (Decree 56 Art. 28(5): «được gửi
  đến cơ quan, tổ chức, cá nhân có trách nhiệm thực hiện và cha, mẹ hoặc người chăm sóc trẻ
  em»): `plan_distribution_record`;
- how each activity of the plan is getting on (planned, under way, done, dropped and why; the
  officer monitors the plan, Art. 29(1)): `activity_progress_record`, one history row per change.

Both are writes of the officer who drafts plans (`plan_case`), audited like every write and
written into the case's history. The referrals that carry an activity out (referrals.Referral
.activity) are the referrals app's; cases shows them through cases.hooks.activity_sections.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation, User
from audit.services import audited
from cases.access import case_permissions
from cases.hooks import HISTORY_LABELS
from cases.models import (
    ActivityProgress,
    Case,
    DecisionDistribution,
    Plan,
    PlanActivity,
)
from cases.services import StepNotAvailable, StepNotPermitted, case_history_add
from cases.workflow import OPEN_STATES

# The permission of the officer who drafts the plan: the same person sends it out and follows it.
PLAN_PERMISSION = "plan_case"

NOT_IN_FORCE = gettext_lazy("Only the approved plan in force is sent out (Decree 56 Art. 28(5)).")
ACTIVITY_NOT_IN_FORCE = gettext_lazy("Choose an activity of this case's approved plan.")

HISTORY_LABELS.update(
    {
        "plan_distributed": gettext_lazy("Decision and plan sent (Art. 28(5))"),
        "activity_progress": gettext_lazy("Plan activity progress recorded"),
    }
)


# ---------------------------------------------------------------------------------------------
# Reads (the case was looked up through the door: cases.selectors.case_get_for)


def plan_in_force(case: Case) -> Plan | None:
    """The case's approved plan, the one being carried out (a later approval supersedes it)."""
    return case.plans.filter(status=Plan.Status.APPROVED).order_by("-version").first()


def activities_in_force(case: Case) -> QuerySet[PlanActivity]:
    """The activities of the case's approved plan, in the plan's order."""
    return PlanActivity.objects.filter(
        plan__case=case, plan__status=Plan.Status.APPROVED
    ).select_related("organisation", "plan")


def distributions_shown() -> QuerySet[DecisionDistribution]:
    """The recipients of a plan's decision as its page shows them (Art. 28(5))."""
    return DecisionDistribution.objects.select_related("organisation", "recorded_by")


def with_distributions(plans: list[Plan]) -> None:
    """Read who received each approved plan of the list: one query, none if none was approved."""
    approved = [plan for plan in plans if plan.approved_at]
    prefetch_related_objects(approved, Prefetch("distributions", queryset=distributions_shown()))


def activity_of_case(case: Case, public_id: Any) -> PlanActivity | None:
    """One activity of any plan of this case (None: no such id, or not this case's)."""
    try:
        return (
            PlanActivity.objects.filter(plan__case=case, public_id=public_id)
            .select_related("organisation", "plan")
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        return None


def activity_in_force(case: Case, activity: PlanActivity) -> bool:
    """Whether the activity belongs to this case's approved plan in force (read afresh)."""
    return PlanActivity.objects.filter(
        pk=activity.pk, plan__case_id=case.pk, plan__status=Plan.Status.APPROVED
    ).exists()


def activity_progress_shown(activity: PlanActivity) -> list[ActivityProgress]:
    """The activity's history of progress, oldest first."""
    return list(activity.progress.select_related("recorded_by"))


def activities_of_case(case: Case) -> QuerySet[PlanActivity]:
    """Every activity of every plan of the case, newest plan first, with its history."""
    return (
        PlanActivity.objects.filter(plan__case=case)
        .select_related("organisation", "plan")
        .prefetch_related(
            Prefetch("progress", queryset=ActivityProgress.objects.select_related("recorded_by"))
        )
        .order_by("-plan__version", "starts_on", "id")
    )


def _require_plan_permission(actor: User, case: Case) -> None:
    if PLAN_PERMISSION not in case_permissions(actor, case):
        raise StepNotPermitted(_("Your role may not do this on this case."))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# ---------------------------------------------------------------------------------------------
# Art. 28(5): the decision and plan sent to those who carry it out and to the carers


def _sent_on_problem(sent_on: datetime.date | None, decision_date: datetime.date | None) -> str:
    if not isinstance(sent_on, datetime.date) or isinstance(sent_on, datetime.datetime):
        return _("Give the date it was sent.")
    if sent_on > timezone.localdate():
        return _("The date is in the future.")
    if decision_date is not None and sent_on < decision_date:
        return _("The decision and plan cannot be sent before the decision's date.")
    return ""


@audited("plan_distribution_record")
def plan_distribution_record(
    *,
    actor: User,
    case: Case,
    plan: Plan,
    recipient: str,
    organisation: Organisation | None = None,
    is_carer: bool = False,
    sent_on: datetime.date | None,
    method: str,
) -> DecisionDistribution:
    """
    Record that the approved decision and plan went to one recipient (Art. 28(5)): an
    organisation or person who carries out an activity, or the parents or carer.
    """
    _require_plan_permission(actor, case)
    plan = Plan.objects.select_for_update().filter(pk=plan.pk, case_id=case.pk).first()
    if plan is None:
        raise ValidationError({"plan": _("This plan is not this case's.")})
    if plan.status != Plan.Status.APPROVED:
        raise StepNotAvailable(str(NOT_IN_FORCE))
    errors: dict[str, str] = {}
    recipient = _text(recipient)
    limit = DecisionDistribution._meta.get_field("recipient").max_length
    if not recipient:
        errors["recipient"] = _("Say who received the decision and plan.")
    elif len(recipient) > limit:
        errors["recipient"] = _("At most %(limit)s characters.") % {"limit": limit}
    if organisation is not None and (
        not isinstance(organisation, Organisation) or not organisation.is_active
    ):
        errors["organisation"] = _("Choose an organisation.")
    if problem := _sent_on_problem(sent_on, plan.decision_date):
        errors["sent_on"] = problem
    if method not in DecisionDistribution.Method.values:
        errors["method"] = _("Say how it was sent.")
    if is_carer not in (True, False):
        errors["is_carer"] = _("Answer yes or no.")
    if errors:
        raise ValidationError(errors)
    distribution = DecisionDistribution.objects.create(
        plan=plan,
        organisation=organisation,
        recipient=recipient,
        is_carer=is_carer,
        sent_on=sent_on,
        method=method,
        recorded_by=actor,
    )
    case_history_add(
        actor=actor,
        case=case,
        name="plan_distributed",
        details={
            "plan_version": plan.version,
            "distribution": str(distribution.public_id),
            "sent_on": sent_on.isoformat(),
            "method": method,
            "is_carer": is_carer,
        },
    )
    return distribution


# ---------------------------------------------------------------------------------------------
# Art. 29: each activity's progress


@audited("activity_progress_record")
def activity_progress_record(
    *, actor: User, case: Case, activity: PlanActivity, status: str, note: str = ""
) -> PlanActivity:
    """
    Record how an activity of the approved plan is getting on: its new status, and why when it
    is dropped. The activity keeps its status; the history keeps every change.
    """
    _require_plan_permission(actor, case)
    locked = (
        PlanActivity.objects.select_for_update()
        .select_related("plan")
        .filter(pk=activity.pk, plan__case_id=case.pk)
        .first()
    )
    if locked is None:
        raise ValidationError({"activity": str(ACTIVITY_NOT_IN_FORCE)})
    if case.status not in OPEN_STATES:
        raise StepNotAvailable(_("The case is no longer open."))
    if locked.plan.status != Plan.Status.APPROVED:
        raise StepNotAvailable(
            _("Progress is recorded on the activities of the approved plan in force.")
        )
    note = _text(note)
    errors: dict[str, str] = {}
    if status not in PlanActivity.Status.values:
        errors["status"] = _("Choose from the list.")
    elif status == PlanActivity.Status.CANCELLED and not note:
        errors["note"] = _("Say why the activity is dropped.")
    elif status == locked.status and not note:
        errors["note"] = _("The status is unchanged: add a note on the progress, or change it.")
    if errors:
        raise ValidationError(errors)
    previous = locked.status
    locked.status = status
    locked.save(update_fields=["status"])
    ActivityProgress.objects.create(
        activity=locked, status=status, note=note, recorded_by=actor, recorded_at=timezone.now()
    )
    case_history_add(
        actor=actor,
        case=case,
        name="activity_progress",
        reason=note,
        details={
            "plan_version": locked.plan.version,
            "activity": str(locked.public_id),
            "from": previous,
            "to": status,
        },
    )
    return locked
