"""
The register of printed documents: every PDF the system issues, who printed it, when, why, and
the SHA-256 of exactly the bytes handed out, so a paper or a file can be checked later.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case


class PrintRecord(models.Model):
    """One issued document. Written in the request that hands the PDF out; never changed."""

    class Kind(models.TextChoices):
        CASE_FILE = "case_file", _("Case file")
        FORM_01 = "form_01", _("Mẫu 01: report on receipt of information")
        FORM_02 = "form_02", _("Mẫu 02: initial risk assessment")
        FORM_03 = "form_03", _("Mẫu 03: specific risk assessment")
        FORM_04 = "form_04", _("Mẫu 04: support-intervention plan")
        FORM_05 = "form_05", _("Mẫu 05: plan approval decision")
        FORM_06 = "form_06", _("Mẫu 06: review after the plan")
        FORM_07 = "form_07", _("Mẫu 07: temporary separation decision")
        REFERRAL_SUMMARY = "referral_summary", _("Referral summary")

    # The document id printed on every page of the document.
    public_id = models.UUIDField(_("document id"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="print_records"
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="print_records",
    )
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("printed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    printed_at = models.DateTimeField(_("printed at"), default=timezone.now)
    purpose = models.TextField(_("purpose"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, db_index=True)
    page_count = models.PositiveIntegerField(_("pages"))
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("print record")
        verbose_name_plural = _("print register")
        ordering = ["-printed_at", "-id"]
        # Written once, read by the register and the verification page; nobody edits it.
        default_permissions = ("view",)
        indexes = [models.Index(fields=["case", "printed_at"], name="print_case_printed_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def form_number(self) -> str:
        """'01'…'07' for a Decree 56 form, else ''."""
        return self.kind.removeprefix("form_") if self.kind.startswith("form_") else ""
