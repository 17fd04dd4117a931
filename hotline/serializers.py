"""
Serializers of the intake API: hotline calls, collaborator reports, triage and the call centre.

Input serializers only parse and type-check (times, numbers, choices, lengths, communes by
official code) so that bad input is a 400 naming the field; what a call or a report requires is
decided by hotline.services, which name the same fields. Output serializers show a role what it
may read: a collaborator sees the status of their own report and nothing of any case.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.serializers import AdministrativeUnitSerializer, CommuneCodeField
from cases.models import Case, Sex
from cases.serializers import choice_input, text_input
from config.api import BoundedDateTimeField, StrictFieldsMixin, schema_enum_name
from hotline.models import (
    Call,
    CloseReason,
    CollaboratorReport,
    IntakeStatus,
    TelephonyCall,
    TelephonyEvent,
    Urgency,
)
from hotline.phones import caller_number_display


class SuggestionReason(models.TextChoices):
    NUMBER = "number", _("Same caller's number")
    NAME = "name", _("Same child's name")
    COMMUNE = "commune", _("Same commune")


class TelephonyState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")


for _choices_class, _name in (
    # The same set as the case's child `sex` (one name, wherever a field uses it).
    (Sex, "SexEnum"),
    (IntakeStatus, "IntakeStatusEnum"),
    (Urgency, "UrgencyEnum"),
    (CloseReason, "CloseReasonEnum"),
    (Call.Channel, "CallChannelEnum"),
    (Call.CallType, "CallTypeEnum"),
    (Call.CallerRelation, "CallerRelationEnum"),
    (Call.NumberKind, "CallerNumberKindEnum"),
    (SuggestionReason, "SuggestionReasonEnum"),
    (TelephonyState, "TelephonyCallStateEnum"),
    (TelephonyEvent.Kind, "TelephonyEventTypeEnum"),
):
    schema_enum_name(_choices_class, _name)


# ---------------------------------------------------------------------------------------------
# Fields


def _child_age(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=17,
        help_text="Estimated age in years (0 to 17).",
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# References shared by the outputs


class StaffRefSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class CaseRefSerializer(serializers.Serializer):
    """The case an item became or was linked to, for those who triage (never a collaborator)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    number = serializers.CharField(read_only=True)


# ---------------------------------------------------------------------------------------------
# Calls


CALL_MAU01_FIELDS = (
    "child_condition",
    "expected_consequence",
    "family_situation",
    "current_carer",
    "prior_actions",
)


class CallSerializer(serializers.ModelSerializer):
    """A call as the hotline's operators read it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    caller_number_display = serializers.SerializerMethodField(
        help_text="The number as people read it (0912 345 678), or what kind of number it was."
    )
    caller_number_kind = choice_input(Call.NumberKind, read_only=True)
    channel = choice_input(Call.Channel, read_only=True)
    call_type = choice_input(Call.CallType, read_only=True)
    caller_relation = choice_input(Call.CallerRelation, read_only=True)
    child_sex = serializers.ChoiceField(choices=Sex.choices, read_only=True)
    urgency = choice_input(Urgency, read_only=True)
    status = choice_input(IntakeStatus, read_only=True)
    close_reason = serializers.ChoiceField(
        choices=CloseReason.choices, allow_blank=True, read_only=True
    )
    incident_commune = AdministrativeUnitSerializer(read_only=True, allow_null=True)
    residence_commune = AdministrativeUnitSerializer(read_only=True, allow_null=True)
    case = CaseRefSerializer(read_only=True, allow_null=True)
    operator = StaffRefSerializer(read_only=True)
    triaged_by = StaffRefSerializer(read_only=True, allow_null=True)
    telephony = serializers.SlugRelatedField(
        slug_field="call_id",
        read_only=True,
        allow_null=True,
        help_text="The call centre's call_id, when the call was logged from a ringing call.",
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "started_at",
            "duration_seconds",
            "caller_number",
            "caller_number_kind",
            "caller_number_display",
            "channel",
            "call_type",
            "caller_relation",
            "caller_consents",
            "caller_name",
            "caller_address",
            "child_name",
            "child_age",
            "child_sex",
            "incident_commune",
            "residence_commune",
            "place",
            "narrative",
            "urgency",
            *CALL_MAU01_FIELDS,
            "status",
            "case",
            "close_reason",
            "triage_note",
            "triaged_by",
            "triaged_at",
            "operator",
            "telephony",
            "created_at",
        ]
        read_only_fields = fields

    def get_caller_number_display(self, call: Call) -> str:
        if call.caller_number_kind == Call.NumberKind.NUMBER and not call.caller_number:
            # Recognised as a repeat caller by its keyed hash, but not kept (no consent).
            return str(_("number not kept: the caller was not identified"))
        return str(caller_number_display(call.caller_number, call.caller_number_kind))


class CallInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """A call as an operator logs it (Mẫu 01). Only `call_type` is always required."""

    call_type = serializers.ChoiceField(choices=Call.CallType.choices)
    started_at = BoundedDateTimeField(
        required=False,
        help_text=(
            "When the call started (the 12-hour clock of a case opened from it starts here). "
            "Default: the ringing call's start when `telephony` is given, else now."
        ),
    )
    duration_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=24 * 3600
    )
    caller_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=(
            "As the phone showed it: 0912 345 678, +84 912 345 678, a short number (113), or "
            "empty when withheld. Stored E.164, and only if the caller agrees to be identified."
        ),
    )
    channel = choice_input(Call.Channel)
    caller_relation = choice_input(Call.CallerRelation)
    caller_consents = serializers.BooleanField(
        required=False, default=False, help_text="The caller agrees to be identified."
    )
    caller_name = text_input(Call, "caller_name")
    caller_address = text_input(Call, "caller_address")
    child_name = text_input(Call, "child_name")
    child_age = _child_age()
    child_sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    incident_commune = CommuneCodeField(required=False, allow_null=True)
    residence_commune = CommuneCodeField(required=False, allow_null=True)
    place = text_input(Call, "place")
    narrative = text_input(Call, "narrative")
    urgency = choice_input(Urgency)
    child_condition = text_input(Call, "child_condition")
    expected_consequence = text_input(Call, "expected_consequence")
    family_situation = text_input(Call, "family_situation")
    current_carer = text_input(Call, "current_carer")
    prior_actions = text_input(Call, "prior_actions")
    telephony = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=(
            "The call centre's call_id of the ringing call being logged "
            "(GET /api/v1/telephony/waiting/). Its start time, duration and number fill the "
            "fields not given."
        ),
    )

    def validate_telephony(self, value: str) -> TelephonyCall | None:
        value = value.strip()
        if not value:
            return None
        telephony = TelephonyCall.objects.filter(call_id=value).first()
        if telephony is None:
            raise serializers.ValidationError(_("The call centre announced no call with this id."))
        return telephony


# ---------------------------------------------------------------------------------------------
# Collaborator reports


VIEW_OWN = "own"
VIEW_TRIAGE = "triage"


class OwnReportSerializer(serializers.ModelSerializer):
    """
    A report as the collaborator who sent it sees it: what they wrote and what became of it
    (received, turned into a case, linked, closed), and nothing of any case.
    """

    id = serializers.UUIDField(source="public_id", read_only=True)
    view = serializers.SerializerMethodField(help_text="`own`: the report as its sender sees it.")
    commune = AdministrativeUnitSerializer(read_only=True)
    urgency = choice_input(Urgency, read_only=True)
    status = choice_input(IntakeStatus, read_only=True)

    class Meta:
        model = CollaboratorReport
        fields = [
            "id",
            "view",
            "status",
            "created_at",
            "child_name",
            "child_age",
            "commune",
            "place",
            "narrative",
            "urgency",
        ]
        read_only_fields = fields

    def get_view(self, report: CollaboratorReport) -> str:
        return VIEW_OWN


class TriageReportSerializer(serializers.ModelSerializer):
    """A report as the commune's child-protection officer triages it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    view = serializers.SerializerMethodField(
        help_text="`triage`: the report as the commune's officer sees it."
    )
    commune = AdministrativeUnitSerializer(read_only=True)
    collaborator = StaffRefSerializer(read_only=True)
    child_sex = serializers.ChoiceField(choices=Sex.choices, read_only=True)
    urgency = choice_input(Urgency, read_only=True)
    status = choice_input(IntakeStatus, read_only=True)
    close_reason = serializers.ChoiceField(
        choices=CloseReason.choices, allow_blank=True, read_only=True
    )
    case = CaseRefSerializer(read_only=True, allow_null=True)
    triaged_by = StaffRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CollaboratorReport
        fields = [
            "id",
            "view",
            "status",
            "created_at",
            "collaborator",
            "commune",
            "child_name",
            "child_age",
            "child_sex",
            "place",
            "narrative",
            "urgency",
            "case",
            "close_reason",
            "triage_note",
            "triaged_by",
            "triaged_at",
        ]
        read_only_fields = fields

    def get_view(self, report: CollaboratorReport) -> str:
        return VIEW_TRIAGE


class ReportInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """The collaborator's short form: the child, where, what is happening, how urgent."""

    child_name = text_input(CollaboratorReport, "child_name")
    child_age = _child_age()
    place = text_input(CollaboratorReport, "place")
    narrative = text_input(
        CollaboratorReport, "narrative", help_text="What is happening (required)."
    )
    urgency = choice_input(Urgency)
    commune = CommuneCodeField(
        required=False,
        allow_null=True,
        help_text="Your commune's official code; default: your (first) commune.",
    )


# ---------------------------------------------------------------------------------------------
# Filters and triage inputs


class CallFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IntakeStatus.choices, required=False)
    call_type = serializers.ChoiceField(choices=Call.CallType.choices, required=False)
    inbox = serializers.BooleanField(
        required=False,
        default=False,
        help_text="1: only report calls awaiting triage, most urgent and oldest first.",
    )


class ReportFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IntakeStatus.choices, required=False)
    inbox = serializers.BooleanField(
        required=False,
        default=False,
        help_text="1: only reports awaiting triage, most urgent and oldest first.",
    )


class OpenCaseInputSerializer(StrictFieldsMixin, serializers.Serializer):
    commune = CommuneCodeField(
        required=False,
        allow_null=True,
        help_text=(
            "The official code of the commune that must act. Default: where it happened, "
            "failing that where the child lives (a report: the collaborator's commune)."
        ),
    )


class OpenCaseResultSerializer(serializers.Serializer):
    case = serializers.UUIDField(read_only=True, help_text="The new case's id.")
    number = serializers.CharField(read_only=True, help_text="The new case's number.")


class LinkInputSerializer(StrictFieldsMixin, serializers.Serializer):
    case = serializers.UUIDField(help_text="The id of the open case it belongs to.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CloseInputSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=CloseReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


# ---------------------------------------------------------------------------------------------
# Duplicate suggestions


class _SuggestionBase(serializers.Serializer):
    kind = serializers.CharField(read_only=True)
    id = serializers.UUIDField(read_only=True)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=SuggestionReason.choices),
        read_only=True,
        help_text="Why it was suggested: the same number, child's name or commune.",
    )


class CallSuggestionSerializer(_SuggestionBase):
    started_at = BoundedDateTimeField(read_only=True)
    status = choice_input(IntakeStatus, read_only=True)


class ReportSuggestionSerializer(_SuggestionBase):
    created_at = BoundedDateTimeField(read_only=True)
    status = choice_input(IntakeStatus, read_only=True)


class CaseSuggestionSerializer(_SuggestionBase):
    """An open case: its number, commune, status and time only, never the child or content."""

    number = serializers.CharField(read_only=True)
    commune = serializers.CharField(read_only=True, help_text="The commune's name.")
    status = serializers.ChoiceField(choices=Case.Status.choices, read_only=True)
    received_at = BoundedDateTimeField(read_only=True)


def suggestion_data(kind: str, obj: Any, reasons: list[str]) -> dict[str, Any]:
    """The row of one suggestion, with only what its kind may show."""
    base = {"kind": kind, "id": obj.public_id, "reasons": reasons}
    if kind == "case":
        row = {
            **base,
            "number": obj.number,
            "commune": obj.commune.name,
            "status": obj.status,
            "received_at": obj.received_at,
        }
        return CaseSuggestionSerializer(row).data
    if kind == "call":
        return CallSuggestionSerializer(
            {**base, "started_at": obj.started_at, "status": obj.status}
        ).data
    return ReportSuggestionSerializer(
        {**base, "created_at": obj.created_at, "status": obj.status}
    ).data


# ---------------------------------------------------------------------------------------------
# The call centre


class TelephonyEventSerializer(serializers.Serializer):
    """The webhook's body (documentation: the view verifies the raw bytes, then parses)."""

    event_id = serializers.CharField(
        max_length=100, help_text="Unique per event: a second delivery changes nothing."
    )
    type = serializers.ChoiceField(choices=TelephonyEvent.Kind.choices)
    call_id = serializers.CharField(max_length=100, help_text="The call centre's id of the call.")
    caller_number = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="What the network presented; empty or `anonymous` when withheld.",
    )
    occurred_at = BoundedDateTimeField(help_text="ISO 8601 with its offset.")


class TelephonyAckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("accepted", "accepted"), ("duplicate", "duplicate")],
        read_only=True,
        help_text="`accepted` (202) for a new event, `duplicate` (200) for a repeat delivery.",
    )


class WaitingCallSerializer(serializers.Serializer):
    """A call the call centre announced that no operator has logged yet."""

    call_id = serializers.CharField(read_only=True)
    caller_number = serializers.CharField(
        read_only=True, help_text="E.164, or the digits of a short number; empty if withheld."
    )
    caller_number_kind = serializers.CharField(
        read_only=True, help_text="number, short, withheld, invalid, or empty if not reported."
    )
    caller_number_display = serializers.SerializerMethodField()
    started_at = BoundedDateTimeField(read_only=True, allow_null=True)
    answered_at = BoundedDateTimeField(read_only=True, allow_null=True)
    ended_at = BoundedDateTimeField(read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=TelephonyState.choices, read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)

    def get_caller_number_display(self, call: TelephonyCall) -> str:
        if call.caller_number_kind == "invalid":
            return str(_("number not recognised"))
        return str(caller_number_display(call.caller_number, call.caller_number_kind))
