"""
What referrals add to pages that belong to cases (registered in ReferralsConfig.ready through
cases.hooks, so cases imports nothing of referrals):

- on the case page, for those who hold the whole file: every referral of the case with its state,
  receipt and feedback (`referrals`), and who can see the case right now and why (`who-can-see`);
- on the home page, for sector staff: how many referrals wait in their organisation's inbox
  (`referral-inbox`).

The inbox grouping lives here too, so the inbox page and the home counts agree by construction.
Each costs a fixed number of queries whatever the number of referrals.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from cases.access import VIEW_CASE, case_access_explained
from cases.hooks import CaseSection, HomeSection
from cases.models import Case
from cases.workflow import OPEN_STATES
from referrals.models import Referral, ReferralUpdate
from referrals.selectors import referral_inbox_for

REFERRAL_PREFIX = "referral:"

# How the permissions a grant gives read to a person (cases.access.ALL_CASE_PERMISSIONS).
PERMISSION_LABELS: dict[str, Any] = {
    "view_case": _("the whole file"),
    "view_case_summary": _("the summary"),
    "change_case": _("edit the record"),
    "assess_case": _("assess"),
    "plan_case": _("draft plans"),
    "approve_plan": _("approve plans"),
    "decide_emergency": _("decide emergency measures"),
    "refer_case": _("refer"),
    "print_case": _("print"),
    "transfer_case": _("transfer"),
    "close_case": _("close"),
}
PERMISSION_ORDER = list(PERMISSION_LABELS)


# ---------------------------------------------------------------------------------------------
# The receiving inbox: new, acknowledged, in progress, overdue


GROUPS = ("overdue", "sent", "acknowledged", "accepted")
GROUP_LABELS: dict[str, Any] = {
    "overdue": _("Overdue"),
    "sent": _("New"),
    "acknowledged": _("Acknowledged"),
    "accepted": _("In progress"),
}


def group_of(referral: Referral) -> str:
    """The inbox group of a referral read with Referral.objects.with_overdue."""
    return "overdue" if referral.is_overdue else referral.status


@dataclass
class InboxGroup:
    key: str
    label: Any
    referrals: list[Referral] = field(default_factory=list)


def inbox_groups(user: User, now: datetime.datetime | None = None) -> list[InboxGroup]:
    """The user's open referrals in four groups; an overdue referral is only under overdue."""
    groups = {key: InboxGroup(key, GROUP_LABELS[key]) for key in GROUPS}
    for referral in referral_inbox_for(user=user).with_overdue(now):
        groups[group_of(referral)].referrals.append(referral)
    return list(groups.values())


def inbox_counts(user: User, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many referrals each group holds (one light query)."""
    counts = dict.fromkeys(GROUPS, 0)
    rows = referral_inbox_for(user=user).with_overdue(now).values_list("status", "is_overdue")
    for status, is_overdue in rows:
        counts["overdue" if is_overdue else status] += 1
    return counts


def inbox_home_section(request: HttpRequest, roles: set[str]) -> HomeSection | None:
    """Sector staff: the counts of their organisation's inbox, and the way in."""
    if Role.SECTOR_STAFF not in roles:
        return None
    counts = inbox_counts(request.user)
    tally = [{"key": key, "label": GROUP_LABELS[key], "count": counts[key]} for key in GROUPS]
    context = {"tally": tally, "total": sum(counts.values()), "overdue": counts["overdue"]}
    return HomeSection(template="referrals/home_inbox.html", context=context, order=5)


# ---------------------------------------------------------------------------------------------
# The case page


def case_referrals(case: Case) -> list[Referral]:
    """Every referral of the case, with its updates: part of the whole file (docs/DESIGN.md §7)."""
    return list(
        Referral.objects.filter(case=case)
        .select_related("organisation", "sent_by", "acknowledged_by", "consent")
        .prefetch_related(
            Prefetch("updates", queryset=ReferralUpdate.objects.select_related("author"))
        )
    )


def _referrals_for_page(request: HttpRequest, case: Case) -> list[Referral]:
    """
    The case's referrals, each marked `linkable`; read once per request for both sections.
    Both sections show only to those who read the whole file, and the referral selector lets
    them open every referral of a case whose whole file they read (its first arm): no query.
    """
    cache = request.__dict__.setdefault("_case_referrals", {})
    if case.pk not in cache:
        referrals = case_referrals(case)
        for referral in referrals:
            referral.linkable = True
        cache[case.pk] = referrals
    return cache[case.pk]


def referrals_section(
    request: HttpRequest, case: Case, permissions: set[str]
) -> CaseSection | None:
    if VIEW_CASE not in permissions:
        return None
    referrals = _referrals_for_page(request, case)
    context = {
        "referrals": referrals,
        "can_refer": "refer_case" in permissions,
        "case_open": case.status in OPEN_STATES,
        "can_record_consent": "change_case" in permissions,
        # A crime report no police unit has yet: the way to send it is the first thing here.
        "police_due": case.crime_report and not any(r.is_crime_report for r in referrals),
    }
    return CaseSection(template="referrals/case_referrals.html", context=context, order=40)


def _referral_id(reason: str) -> uuid.UUID | None:
    if not reason.startswith(REFERRAL_PREFIX):
        return None
    try:
        return uuid.UUID(reason[len(REFERRAL_PREFIX) :])
    except ValueError:
        return None


def _permission_labels(codenames: Iterable[str]) -> list[Any]:
    known = [c for c in PERMISSION_ORDER if c in set(codenames)]
    return [PERMISSION_LABELS[c] for c in known]


def who_can_see_section(
    request: HttpRequest, case: Case, permissions: set[str]
) -> CaseSection | None:
    """Who can see this case now, and why: jurisdiction, or the share (and which referral)."""
    if VIEW_CASE not in permissions:
        return None
    entries = case_access_explained(case)
    referrals = {r.public_id: r for r in _referrals_for_page(request, case)}
    rows = []
    for entry in entries:
        referral = referrals.get(_referral_id(entry.reason))
        rows.append(
            {
                "kind": entry.kind,
                "organisation": entry.organisation,
                "role": Role(entry.role).label if entry.role in Role.values else "",
                "people": [u.get_full_name() or u.username for u in entry.users],
                "permissions": _permission_labels(entry.permissions),
                "summary_only": VIEW_CASE not in entry.permissions,
                "reason": entry.reason,
                "referral": referral,
                "referral_linkable": referral is not None and referral.linkable,
            }
        )
    return CaseSection(template="referrals/case_who_can_see.html", context={"rows": rows}, order=45)


def activity_referrals_section(
    request: HttpRequest, case: Case, activity: Any, permissions: set[str]
) -> CaseSection | None:
    """On a plan activity's page: the referrals that carry it out, and the way to send one."""
    if VIEW_CASE not in permissions:
        return None
    referrals = list(
        Referral.objects.filter(case=case, activity=activity)
        .select_related("organisation", "sent_by")
        .order_by("-sent_at", "-id")
    )
    context = {
        "referrals": referrals,
        "activity": activity,
        "can_refer": "refer_case" in permissions
        and case.status in OPEN_STATES
        and activity.plan.status == activity.plan.Status.APPROVED,
    }
    return CaseSection(template="referrals/activity_referrals.html", context=context, order=40)


CASE_SECTIONS = (referrals_section, who_can_see_section)
HOME_SECTIONS = (inbox_home_section,)
ACTIVITY_SECTIONS = (activity_referrals_section,)
