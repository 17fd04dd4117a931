"""One row per audited event, chained by hashes so that any change shows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """
    An append-only record: who, acting for which organisation, did what to which object,
    when, from where, with what outcome. No foreign keys: nothing elsewhere may cascade into
    this table, and a deleted user or case leaves its entries as they were.
    """

    class Action(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")
        TRANSITION = "transition", _("Workflow step")
        REFUSED = "refused", _("Refused access")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        PRINT = "print", _("Print")
        DOWNLOAD = "download", _("Download")

    class Outcome(models.TextChoices):
        OK = "ok", _("Done")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at (UTC)"), db_index=True)
    actor_id = models.BigIntegerField(_("user id"), null=True, db_index=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    organisation = models.CharField(_("acting for"), max_length=255, blank=True)
    organisation_id = models.CharField(
        _("organisation id"), max_length=36, blank=True, db_index=True
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Searched through the (case_id, action, at) index below: every case page appends an entry,
    # and each index costs the append.
    case_id = models.CharField(_("case"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["case_id", "action", "at"], name="audit_case_action_at")]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object_type} {self.object_id}"
