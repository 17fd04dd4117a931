"""Numbers as people read them: 1.000 in Vietnamese, 1,000 in English."""

from __future__ import annotations

from django import template
from django.utils.formats import get_format

register = template.Library()


@register.filter
def grouped(value: int) -> str:
    """Group the thousands with the language's separator (Django's vi formats set no grouping)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
