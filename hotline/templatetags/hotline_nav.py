"""The header's links to the intake pages, for the roles that use them."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import roles_of

register = template.Library()

# (role, link id, URL name, label), in the order shown.
LINKS = (
    (Role.HOTLINE_OPERATOR, "nav-call-new", "hotline:call-new", _("Log a call")),
    (Role.HOTLINE_OPERATOR, "nav-calls", "hotline:calls", _("Calls")),
    (Role.COLLABORATOR, "nav-report-new", "hotline:report-new", _("Report a child")),
    (Role.COLLABORATOR, "nav-my-reports", "hotline:my-reports", _("My reports")),
    (Role.CP_OFFICER, "nav-intake", "hotline:reports", _("Intake inbox")),
)


@register.simple_tag(takes_context=True)
def intake_nav_links(context: template.Context) -> list[dict[str, Any]]:
    """
    The links for the signed-in user's roles. The home page already has the roles in its
    context; elsewhere one query reads them, once per request.
    """
    request = context.get("request")
    user = context.get("user") if request is None else request.user
    if user is None or not user.is_authenticated:
        return []
    roles = context.get("roles")
    if not isinstance(roles, set):
        roles = getattr(request, "_intake_nav_roles", None)
        if roles is None:
            roles = roles_of(user=user)
            if request is not None:
                request._intake_nav_roles = roles
    return [
        {"id": link_id, "url": reverse(name), "label": label}
        for role, link_id, name, label in LINKS
        if role in roles
    ]
