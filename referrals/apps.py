from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referrals to schools, health facilities, police and others, and the shares they grant."""

    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from cases.hooks import (
            case_ended,
            consent_withdrawn,
            crime_flagged,
            register_activity_section,
            register_case_section,
            register_demo_part,
            register_home_section,
            register_notice_link,
            register_summary_provider,
        )
        from cases.models import Notification
        from referrals import hooks, sections
        from referrals.demo import referrals_demo

        register_summary_provider(hooks.summary_for_recipient)
        register_demo_part(referrals_demo)
        hooks.register_history_labels()
        consent_withdrawn.connect(hooks.on_consent_withdrawn, dispatch_uid="referrals-consent")
        case_ended.connect(hooks.on_case_ended, dispatch_uid="referrals-case-ended")
        crime_flagged.connect(hooks.on_crime_flagged, dispatch_uid="referrals-crime-flagged")
        register_notice_link(Notification.Kind.REFERRAL_ENDED, hooks.referral_notice_link)
        for provider in sections.CASE_SECTIONS:
            register_case_section(provider)
        for home_provider in sections.HOME_SECTIONS:
            register_home_section(home_provider)
        for activity_provider in sections.ACTIVITY_SECTIONS:
            register_activity_section(activity_provider)
