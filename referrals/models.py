"""
Referrals: a case sent to an organisation's inbox (a school, a health facility, the police…),
with the purpose, the dates by which acknowledgement and feedback are due, a receipt, and the
per-case share it grants the organisation for as long as it is open (docs/DESIGN.md §4, §7).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Organisation
from audit.rows import ShownRowsQuerySet
from cases.models import Case, ConsentRecord, Measure


class SharingRule(models.Model):
    """Whether sharing a case with a kind of organisation needs the recorded consent. Data."""

    organisation_kind = models.CharField(
        _("kind of organisation"), max_length=30, choices=Organisation.Kind.choices, unique=True
    )
    consent_required = models.BooleanField(_("consent required"))
    explanation_vi = models.TextField(_("explanation (Vietnamese)"))
    explanation_en = models.TextField(_("explanation (English)"))
    citation = models.CharField(_("legal basis"), max_length=255)

    class Meta:
        verbose_name = _("sharing rule")
        verbose_name_plural = _("sharing rules")
        ordering = ["organisation_kind"]

    def __str__(self) -> str:
        return self.organisation_kind

    @property
    def explanation(self) -> str:
        from django.utils.translation import get_language

        return (
            self.explanation_en
            if (get_language() or "vi").startswith("en")
            else (self.explanation_vi)
        )


def _flag(condition: Q) -> models.Case:
    return models.Case(
        models.When(condition, then=models.Value(True)),
        default=models.Value(False),
        output_field=models.BooleanField(),
    )


class ReferralQuerySet(ShownRowsQuerySet):
    """
    Referral overdue, stated once, in the database: a referral is overdue when it is sent and
    its acknowledgement is late (now > acknowledge_due_at), or when it is acknowledged or
    accepted, has no update of kind feedback, and its feedback is late (now > feedback_due_at).
    Nothing else is overdue. One expression for every reader (the inbox page and the home
    counts, the API's `overdue` field and `?overdue=` filter): each reads the annotation in the
    query that reads the rows, never a query per row.
    """

    def _late(self, now: datetime.datetime) -> tuple[Q, Q]:
        """(the acknowledgement is late, the feedback is late) as of `now`."""
        feedback = ReferralUpdate.objects.filter(
            referral=OuterRef("pk"), kind=ReferralUpdate.Kind.FEEDBACK
        )
        late_acknowledgement = Q(status=Referral.Status.SENT, acknowledge_due_at__lt=now)
        late_feedback = Q(
            status__in=[Referral.Status.ACKNOWLEDGED, Referral.Status.ACCEPTED],
            feedback_due_at__lt=now,
        ) & ~Exists(feedback)
        return late_acknowledgement, late_feedback

    def with_overdue(self, now: datetime.datetime | None = None) -> ReferralQuerySet:
        """
        Annotate `is_overdue` as of `now` (default: now), and which clock is late:
        `acknowledgement_late`, `feedback_late` (each True or False, never null).
        """
        late_acknowledgement, late_feedback = self._late(now or timezone.now())
        return self.annotate(
            acknowledgement_late=_flag(late_acknowledgement),
            feedback_late=_flag(late_feedback),
            is_overdue=_flag(late_acknowledgement | late_feedback),
        )

    def overdue(self, now: datetime.datetime | None = None) -> ReferralQuerySet:
        """Only the overdue referrals, annotated as with_overdue."""
        return self.with_overdue(now).filter(is_overdue=True)

    def not_overdue(self, now: datetime.datetime | None = None) -> ReferralQuerySet:
        """Only the referrals that are not overdue, annotated as with_overdue."""
        return self.with_overdue(now).filter(is_overdue=False)


class Referral(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REVOKED = "revoked", _("Revoked")

    OPEN = (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sent to"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    purpose = models.CharField(_("purpose (measure)"), max_length=30, choices=Measure.choices)
    message = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default="sent")
    consent = models.ForeignKey(
        ConsentRecord,
        verbose_name=_("consent relied on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    acknowledge_due_at = models.DateTimeField(_("acknowledgement due"))
    feedback_due_at = models.DateTimeField(_("feedback due"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt_number = models.CharField(_("receipt number"), max_length=30, blank=True)
    receipt_hash = models.CharField(_("hash of what was received"), max_length=64, blank=True)
    responded_at = models.DateTimeField(_("accepted or declined at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    # The plan activity the referral carries out (Decree 56 Art. 28(3): who does what).
    activity = models.ForeignKey(
        "cases.PlanActivity",
        verbose_name=_("plan activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    # A crime report passed to the investigating police (Decree 56 Art. 25(3); Criminal
    # Procedure Code Art. 146(4)): by phone in an emergency, then in writing, whose reference
    # and date are recorded here.
    is_crime_report = models.BooleanField(_("crime report"), default=False, db_default=False)
    phoned_at = models.DateTimeField(_("told the police by phone at"), null=True, blank=True)
    written_reference = models.CharField(
        _("written notice: number"), max_length=60, blank=True, default="", db_default=""
    )
    written_on = models.DateField(_("written notice: date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("completed or revoked at"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-id"]
        default_permissions = ("view",)
        permissions = [("respond_referral", "Acknowledge, answer and report on a referral")]
        indexes = [
            models.Index(fields=["organisation", "status"], name="referral_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.organisation}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ReferralUpdate(models.Model):
    """An action taken or feedback given by the receiving organisation."""

    class Kind(models.TextChoices):
        ACTION = "action", _("Action taken")
        FEEDBACK = "feedback", _("Feedback")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral update")
        verbose_name_plural = _("referral updates")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.referral} {self.kind}"


class ReferralUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    """The recipient organisation's permissions on the referral itself."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)
