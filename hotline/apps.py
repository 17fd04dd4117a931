from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    """Calls to hotline 111, collaborator reports and triage (issue #4 fills this app)."""

    name = "hotline"
    verbose_name = _("Hotline 111 and reports")

    def ready(self) -> None:
        from cases.hooks import register_home_section
        from hotline.home import PROVIDERS

        for provider in PROVIDERS:
            register_home_section(provider)
