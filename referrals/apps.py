from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referrals to schools, health facilities, police and others, and the shares they grant."""

    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from cases.hooks import (
            consent_withdrawn,
            register_case_section,
            register_home_section,
            register_summary_provider,
        )
        from referrals import hooks, sections

        register_summary_provider(hooks.summary_for_recipient)
        hooks.register_history_labels()
        consent_withdrawn.connect(hooks.on_consent_withdrawn, dispatch_uid="referrals-consent")
        for provider in sections.CASE_SECTIONS:
            register_case_section(provider)
        for home_provider in sections.HOME_SECTIONS:
            register_home_section(home_provider)
