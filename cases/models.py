"""The case of one child, and the per-case shares that open it to organisations outside its area."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import AdministrativeUnit


class Case(models.Model):
    """
    One child's case, owned by the commune that must act.

    `commune` and `province` are the scope columns of the access rule (DESIGN §4): they say who
    holds the case now and are indexed, so an area-wide list is a plain filter.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        INITIAL_ASSESSED = "initial_assessed", _("Initial assessment done")
        EMERGENCY_PROTECTION = "emergency_protection", _("Emergency protection")
        SPECIFIC_ASSESSED = "specific_assessed", _("Detailed assessment done")
        PLAN_DRAFTED = "plan_drafted", _("Plan drafted")
        PLAN_APPROVED = "plan_approved", _("Plan approved")
        IN_IMPLEMENTATION = "in_implementation", _("In implementation")
        UNDER_REVIEW = "under_review", _("Under review")
        CLOSED = "closed", _("Closed")
        NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        MERGED = "merged", _("Merged as duplicate")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    child_name = models.CharField(_("child's name"), max_length=200, blank=True)
    commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("responsible commune"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at", "-id"]
        # Only view/change as model permissions, and those are never granted model-wide: every
        # case permission is held by jurisdiction (cases.access) or by a per-case share.
        default_permissions = ("view", "change")
        permissions = [
            ("view_case_summary", "View the summary of a case"),
            ("assess_case", "Assess a case"),
            ("plan_case", "Draft the plan of a case"),
            ("approve_plan", "Approve the plan of a case"),
            ("refer_case", "Refer a case"),
            ("print_case", "Print a case"),
            ("transfer_case", "Transfer a case"),
            ("close_case", "Close a case"),
        ]
        indexes = [
            models.Index(fields=["commune", "status"], name="case_commune_status"),
            models.Index(fields=["province", "status"], name="case_province_status"),
        ]

    def __str__(self) -> str:
        return self.number


class CaseNumberSequence(models.Model):
    """The last case number issued in a year; locked row by row when a number is issued."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A per-case share to one user (e.g. an explicit, time-limited grant)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case share to a user")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A per-case share to an organisation's role group (a referral, the hotline that opened it)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("case share to a group")
