from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _notice_saved(sender, **kwargs) -> None:
    from cases.selectors import forget_unread

    forget_unread()


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        # A notice created (or saved) in a request is on the next badge the request renders.
        post_save.connect(
            _notice_saved, sender="cases.Notification", dispatch_uid="cases-notice-saved"
        )
