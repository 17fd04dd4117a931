from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    """Calls to hotline 111, collaborator reports and triage (issue #4 fills this app)."""

    name = "hotline"
    verbose_name = _("Hotline 111 and reports")

    def ready(self) -> None:
        from cases.hooks import (
            register_case_section,
            register_demo_part,
            register_escalator,
            register_home_section,
            register_notice_link,
        )
        from cases.models import Notification
        from hotline import clocks
        from hotline.demo import intake_demo
        from hotline.home import PROVIDERS
        from hotline.sections import CASE_SECTIONS

        for provider in PROVIDERS:
            register_home_section(provider)
        for case_provider in CASE_SECTIONS:
            register_case_section(case_provider)
        register_escalator(clocks.intake_escalate)
        register_demo_part(intake_demo)
        register_notice_link(Notification.Kind.CALL_OVERDUE, clocks.call_notice_link)
        register_notice_link(Notification.Kind.REPORT_OVERDUE, clocks.report_notice_link)
