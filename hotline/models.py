"""
Intake: calls to hotline 111, reports from village collaborators, and the call-centre events
that announce a ringing call. A report call or a collaborator report becomes a case of the
commune that must act (Decree 56 Arts. 25–26); every triage decision is recorded on the item.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AdministrativeUnit
from audit.rows import ShownRowsQuerySet
from cases.models import Case, RunningClock, Sex

HOTLINE_NUMBER = "111"  # libphonenumber knows no such short code (STACK-NOTES); a constant.


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency: the child is in danger now")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class IntakeStatus(models.TextChoices):
    RECEIVED = "received", _("Received, awaiting triage")
    CASE_OPENED = "case_opened", _("Turned into a case")
    LINKED = "linked", _("Linked to an existing case")
    CLOSED = "closed", _("Closed")
    NO_CASE_NEEDED = "no_case", _("Counted; not a report about a child")


class CloseReason(models.TextChoices):
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
    DUPLICATE = "duplicate", _("Duplicate")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")


class IntakeItem(models.Model):
    """What calls and collaborator reports share: the child as known, and the triage."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child_name = models.CharField(_("child's name (as known)"), max_length=200, blank=True)
    # The child's name without diacritics or case, for duplicate suggestions.
    child_name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    child_age = models.PositiveSmallIntegerField(_("estimated age"), null=True, blank=True)
    child_sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    incident_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("commune where it happened"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    residence_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("commune where the child lives"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField(_("place"), max_length=255, blank=True)
    narrative = models.TextField(_("what happened"), blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.RECEIVED
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=CloseReason.choices, blank=True
    )
    triage_note = models.TextField(_("triage note"), blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShownRowsQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_counted_only(self) -> bool:
        """Not a report about a child (a call asking for advice, a silent call): never a case."""
        return self.status == IntakeStatus.NO_CASE_NEEDED


class TelephonyCall(models.Model):
    """A call as the call-centre system reports it, built from events in any order."""

    call_id = models.CharField(max_length=100, unique=True)
    caller_number = models.CharField(max_length=20, blank=True)
    caller_number_kind = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("call-centre call")

    def __str__(self) -> str:
        return self.call_id

    @property
    def state(self) -> str:
        if self.ended_at:
            return "ended"
        if self.answered_at:
            return "answered"
        return "ringing"

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at and (self.answered_at or self.started_at):
            return int((self.ended_at - (self.answered_at or self.started_at)).total_seconds())
        return None


class TelephonyEvent(models.Model):
    """One delivered event; its id makes a second delivery a no-op."""

    class Kind(models.TextChoices):
        STARTED = "call.started", "call.started"
        ANSWERED = "call.answered", "call.answered"
        ENDED = "call.ended", "call.ended"

    event_id = models.CharField(max_length=100, unique=True)
    call = models.ForeignKey(TelephonyCall, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.event_id


class WebhookSignature(models.Model):
    """Signatures already accepted, so a captured request cannot be replayed."""

    signature = models.CharField(max_length=64, unique=True)
    timestamp = models.BigIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.signature[:12]


class Call(IntakeItem):
    """A call (or message) to hotline 111, logged by an operator."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        APP = "app", _("App 111")
        ZALO = "zalo", _("Zalo")
        WEB = "web", _("Website")
        LETTER = "letter", _("Letter")
        PRESS = "press", _("Press or social media")
        IN_PERSON = "in_person", _("In person")

    class CallType(models.TextChoices):
        REPORT = "report", _("A report about a child")
        COUNSELLING = "counselling", _("Counselling")
        INFORMATION = "information", _("Information")
        SILENT = "silent", _("Silent call")
        PRANK = "prank", _("Prank call")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    class CallerRelation(models.TextChoices):
        CHILD = "child", _("The child themself")
        PARENT = "parent", _("Parent or carer")
        RELATIVE = "relative", _("Relative")
        NEIGHBOUR = "neighbour", _("Neighbour or acquaintance")
        TEACHER = "teacher", _("Teacher or school staff")
        HEALTH_WORKER = "health_worker", _("Health worker")
        OFFICIAL = "official", _("Official or police")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    class NumberKind(models.TextChoices):
        NUMBER = "number", _("Phone number")
        WITHHELD = "withheld", _("Withheld number")
        SHORT = "short", _("Short number")
        NONE = "none", _("No number (not a phone call)")

    started_at = models.DateTimeField(_("start time"), default=timezone.now)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    # Kept only when the caller agrees to be identified (or for a short number); the keyed
    # hash always, so a repeat caller is recognised either way.
    caller_number = models.CharField(_("caller's number"), max_length=20, blank=True)
    caller_number_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    caller_number_kind = models.CharField(
        _("kind of number"), max_length=10, choices=NumberKind.choices, default=NumberKind.NONE
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    call_type = models.CharField(_("call type"), max_length=15, choices=CallType.choices)
    caller_relation = models.CharField(
        _("caller's relation to the child"),
        max_length=15,
        choices=CallerRelation.choices,
        default=CallerRelation.UNKNOWN,
    )
    caller_consents = models.BooleanField(_("the caller agrees to be identified"), default=False)
    caller_name = models.CharField(_("caller's name"), max_length=200, blank=True)
    caller_address = models.CharField(_("caller's address"), max_length=255, blank=True)
    # Mẫu 01, section A.2
    child_condition = models.TextField(_("current condition of the child"), blank=True)
    expected_consequence = models.TextField(
        _("likely consequence without support or intervention"), blank=True
    )
    family_situation = models.TextField(_("family situation"), blank=True)
    current_carer = models.CharField(_("current carer"), max_length=200, blank=True)
    prior_actions = models.TextField(_("support or intervention before the report"), blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operator"),
    )
    telephony = models.OneToOneField(
        TelephonyCall, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_call"
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "call_type"], name="call_status_type")]

    def __str__(self) -> str:
        return f"{self.get_call_type_display()} {self.started_at:%Y-%m-%d %H:%M}"


class CollaboratorReport(IntakeItem):
    """A short report from a village collaborator, landing in the commune's intake inbox."""

    collaborator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("collaborator"),
    )
    commune = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )

    class Meta:
        verbose_name = _("collaborator report")
        verbose_name_plural = _("collaborator reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["commune", "status"], name="report_commune_status")]

    def __str__(self) -> str:
        return f"{self.commune} {self.created_at:%Y-%m-%d %H:%M}"


class IntakeClock(RunningClock):
    """
    A clock running on a call or report before it is triaged: the law counts from the receipt
    of the information, not from the case (Decree 56 Arts. 26(3), 31(2), 32(2): 12 hours to the
    emergency measures; Art. 26(1): passed on to the commune "at once"). Started when a report
    call is logged or a collaborator's report arrives (hotline.clocks); triage ends them: the
    pass-on clock is met, the emergency clock continues as the case's own (a case opened from
    the item keeps its receipt; a case it is linked to takes the earlier receipt) or is no
    longer needed.
    """

    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks"
    )
    report = models.ForeignKey(
        CollaboratorReport, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks"
    )
    # The commune that must act on it (where it happened, else where the child lives).
    commune = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("intake clock")
        verbose_name_plural = _("intake clocks")
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(call__isnull=False, report__isnull=True)
                | models.Q(call__isnull=True, report__isnull=False),
                name="intake_clock_one_item",
            ),
            models.UniqueConstraint(
                fields=["call", "rule"],
                condition=models.Q(call__isnull=False),
                name="intake_clock_once_per_call",
            ),
            models.UniqueConstraint(
                fields=["report", "rule"],
                condition=models.Q(report__isnull=False),
                name="intake_clock_once_per_report",
            ),
        ]
        indexes = [
            # The escalation's candidates: the open clocks, by due time.
            models.Index(
                fields=["due_at"],
                condition=models.Q(met_at__isnull=True, waived_at__isnull=True),
                name="intake_clock_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def item(self) -> Call | CollaboratorReport:
        return self.call if self.call_id else self.report


class IdempotencyRecord(models.Model):
    """The first answer to a create request, kept so a retry with the same key gets it again."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="idempotency_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return self.key
