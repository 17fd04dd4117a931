from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referrals to schools, health facilities and police (issue #5 fills this app)."""

    name = "referrals"
    verbose_name = _("Referrals")
