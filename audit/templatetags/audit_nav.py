"""The header link to the audit trail, for auditors only."""

from __future__ import annotations

from typing import Any

from django import template

from audit.selectors import is_auditor

register = template.Library()


@register.simple_tag(takes_context=True)
def shows_audit_link(context: dict[str, Any]) -> bool:
    user = context.get("user")
    return bool(user is not None and user.is_authenticated and is_auditor(user=user))
