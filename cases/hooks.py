"""
Hooks through which apps that depend on cases (hotline, referrals) add to its pages without
cases importing them (DESIGN §3: dependencies point hotline → cases, referrals → cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


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
