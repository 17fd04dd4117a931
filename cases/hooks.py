"""
Hooks through which apps that depend on cases (hotline, referrals) add to its pages without
cases importing them (docs/DESIGN.md §3: dependencies point hotline → cases, referrals → cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class HomeSection:
    """A block on the home page: its template and the context it needs."""

    template: str
    context: dict[str, Any]
    order: int = 50


# Each provider gets the request and the user's active roles, and returns a section or None.
HomeSectionProvider = Callable[[HttpRequest, set[str]], HomeSection | None]
_home_section_providers: list[HomeSectionProvider] = []


def register_home_section(provider: HomeSectionProvider) -> HomeSectionProvider:
    """Register a home-page section provider (call from an AppConfig.ready)."""
    if provider not in _home_section_providers:
        _home_section_providers.append(provider)
    return provider


def home_sections(request: HttpRequest, roles: set[str]) -> list[HomeSection]:
    sections = [provider(request, roles) for provider in _home_section_providers]
    return sorted((s for s in sections if s is not None), key=lambda s: s.order)


# Sent inside the withdrawing transaction: whoever shares on the strength of a consent (the
# referrals app) stops sharing at once. Arguments: consent, actor.
consent_withdrawn = Signal()

# Sent inside the transaction of a step that ends the case's need of others (a step marked
# `ends_sharing` in cases.workflow: close, not substantiated, merge, end otherwise, transfer):
# whoever shares the case for its work (the referrals app) stops at once. Arguments: case,
# actor, step (its name).
case_ended = Signal()

# Sent inside the transaction that flags a case a crime report (cases.crime): a police unit
# that already holds a referral of the case has the report (the referrals app). Arguments:
# case, actor, at.
crime_flagged = Signal()

# How a notice that is not about a case the recipient sees links to what it is about (its
# `about` id): kind -> a function of the notice returning a URL. Registered by the app whose
# notices they are (referrals: a referral that ended).
NoticeLink = Callable[[Any], str]
_notice_links: dict[str, NoticeLink] = {}


def register_notice_link(kind: str, link: NoticeLink) -> None:
    _notice_links[kind] = link


def notice_link(notice: Any) -> str:
    link = _notice_links.get(notice.kind)
    return link(notice) if link is not None and notice.about else ""


# Who outside the commune sees a case's summary, and which fields: apps that grant summary
# access (referrals) register a provider returning the allowed fields as (label, value) pairs
# for this user, or None when they grant this user nothing on this case.
SummaryProvider = Callable[[Any, Any], list[tuple[str, str]] | None]
_summary_providers: list[SummaryProvider] = []


def register_summary_provider(provider: SummaryProvider) -> SummaryProvider:
    if provider not in _summary_providers:
        _summary_providers.append(provider)
    return provider


def summary_fields_for(user: Any, case: Any) -> list[tuple[str, str]] | None:
    """The summary fields this user may see of this case, or None if no provider speaks."""
    for provider in _summary_providers:
        fields = provider(user, case)
        if fields is not None:
            return fields
    return None


@dataclass(frozen=True)
class CaseSection:
    """A block on the case page contributed by another app (e.g. the case's referrals)."""

    template: str
    context: dict[str, Any]
    order: int = 50


# Each provider gets the request, the case and the user's permissions on it (the page is
# already past the access check) and returns a section or None.
CaseSectionProvider = Callable[[HttpRequest, Any, set[str]], CaseSection | None]
_case_section_providers: list[CaseSectionProvider] = []


def register_case_section(provider: CaseSectionProvider) -> CaseSectionProvider:
    if provider not in _case_section_providers:
        _case_section_providers.append(provider)
    return provider


def case_sections(request: HttpRequest, case: Any, permissions: set[str]) -> list[CaseSection]:
    sections = [provider(request, case, permissions) for provider in _case_section_providers]
    return sorted((s for s in sections if s is not None), key=lambda s: s.order)


# Labels for history rows that are not workflow steps (e.g. "referral_sent"), registered by
# the app that writes them: name -> lazy translated label.
HISTORY_LABELS: dict[str, Any] = {
    "crime_flagged": _("Flagged a crime report: to be passed to the police at once"),
}


# Escalations of clocks kept outside cases (hotline: the intake's clocks before triage):
# `manage.py escalate_deadlines` runs each after the case clocks'. A function of `now`
# returning how many clocks it escalated.
Escalator = Callable[[Any], int]
_escalators: list[Escalator] = []


def register_escalator(escalator: Escalator) -> None:
    if escalator not in _escalators:
        _escalators.append(escalator)


def escalators() -> list[Escalator]:
    return list(_escalators)


# Blocks on a plan activity's page contributed by another app (referrals: the referrals that
# carry the activity out). Each provider gets the request, the case, the activity and the
# user's permissions on the case (the page is past the access check: the whole file) and
# returns a section or None.
ActivitySectionProvider = Callable[[HttpRequest, Any, Any, set[str]], CaseSection | None]
_activity_section_providers: list[ActivitySectionProvider] = []


def register_activity_section(provider: ActivitySectionProvider) -> ActivitySectionProvider:
    if provider not in _activity_section_providers:
        _activity_section_providers.append(provider)
    return provider


def activity_sections(
    request: HttpRequest, case: Any, activity: Any, permissions: set[str]
) -> list[CaseSection]:
    sections = [
        provider(request, case, activity, permissions) for provider in _activity_section_providers
    ]
    return sorted((s for s in sections if s is not None), key=lambda s: s.order)


# Parts of the demo (cases.demo.seed_demo) that belong to apps depending on cases: the intake
# inbox (hotline) and the referrals. Each gets the demo's organisations, users and cases by
# child name, after the cases are made, and must change nothing when run again.
DemoPart = Callable[[Any], None]
_demo_parts: list[DemoPart] = []


def register_demo_part(part: DemoPart) -> None:
    if part not in _demo_parts:
        _demo_parts.append(part)


def demo_parts() -> list[DemoPart]:
    return list(_demo_parts)
