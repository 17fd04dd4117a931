from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referrals to schools, health facilities, police and others, and the shares they grant."""

    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from cases.hooks import consent_withdrawn, register_summary_provider
        from referrals import hooks

        register_summary_provider(hooks.summary_for_recipient)
        hooks.register_history_labels()
        consent_withdrawn.connect(hooks.on_consent_withdrawn, dispatch_uid="referrals-consent")
