from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """
    The append-only, hash-chained audit trail (DESIGN §9). A base app like accounts: the
    others record into it; it imports none of them.
    """

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from audit import signals  # noqa: F401  (connects the login receivers)
