from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """
    The append-only, hash-chained audit trail (docs/DESIGN.md §9). A base app on top of accounts
    (whose memberships name the organisation a user acts for): the others record into it and it
    imports none of them. The auditor's search reads one thing of a case, its number, through
    the app registry (audit.selectors).
    """

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from audit import signals  # noqa: F401  (connects the login receivers)
