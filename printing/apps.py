from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrintingConfig(AppConfig):
    """
    Printed documents: the case file and the Decree 56 forms as PDF. Its own app because it
    reads across cases and referrals (printing → referrals → cases) and keeps its own register
    of every print.
    """

    name = "printing"
    verbose_name = _("Printed documents")

    def ready(self) -> None:
        from cases.hooks import register_case_section
        from printing.sections import print_section

        register_case_section(print_section)
