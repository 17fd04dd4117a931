"""Filters for printed documents."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CSS_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\A ", "\r": "", "<": "\\3C ", ">": "\\3E "}
)


@register.filter
def css_string(value: object) -> SafeString:
    """Escape text for a double-quoted CSS string inside <style> (a newline becomes \\A)."""
    return mark_safe(str(value).translate(_CSS_ESCAPES))  # noqa: S308 (escaped above)


@register.filter
def vnd(value: object) -> str:
    """A sum of money the Vietnamese way: 1.500.000."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}".replace(",", ".")
