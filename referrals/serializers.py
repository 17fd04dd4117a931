"""
Serializers of the referrals API.

A referral reads differently on its two sides. The sender's side (the case's commune, the
province) sees the case's number, the receipt and every update. The receiving organisation sees
the referral's own record and, only while the referral is open, the case's summary as the
allow-list of its kind of organisation gives it (referrals.allowlists, the same list as the
page and the PDF); once the referral has ended, only the referral's own record.

Input serializers only parse and type-check; what a referral requires (an organisation near the
case, consent where the law asks for it, dates in order, a reason) is decided by
referrals.services, which name the same fields.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation
from accounts.serializers import AdministrativeUnitSerializer
from cases.models import Measure
from cases.serializers import SummaryFieldSerializer, UserRefSerializer
from config.api import BoundedDateTimeField, StrictFieldsMixin, schema_enum_name
from referrals.allowlists import case_summary
from referrals.models import Referral, ReferralUpdate
from referrals.services import RECEIVING_KINDS

SENT = "sent"
RECEIVED = "received"
BOX_INBOX = "inbox"
BOX_SENT = "sent"
TEXT_MAX = 5000


class ReceivingKind:
    """The kinds of organisation that receive referrals (a subset of Organisation.Kind)."""

    choices = [(k, label) for k, label in Organisation.Kind.choices if k in RECEIVING_KINDS]
    values = [kind for kind, _label in choices]


class Nearness:
    """Where a possible recipient is, seen from the case."""

    COMMUNE = "commune"
    PROVINCE = "province"
    OTHER_COMMUNE = "other_commune"
    choices = [
        (COMMUNE, _("In the case's commune")),
        (PROVINCE, _("A provincial body")),
        (OTHER_COMMUNE, _("In another commune of the province")),
    ]
    values = [COMMUNE, PROVINCE, OTHER_COMMUNE]


class Box:
    choices = [
        (BOX_INBOX, _("Referrals to your organisations that you can still answer")),
        (BOX_SENT, _("Referrals of the cases your commune or province holds")),
    ]
    values = [BOX_INBOX, BOX_SENT]


for _choices_class, _name in (
    (Referral.Status, "ReferralStatusEnum"),
    (ReferralUpdate.Kind, "ReferralUpdateKindEnum"),
    (Measure, "MeasureEnum"),
    (Organisation.Kind, "OrganisationKindEnum"),
    (ReceivingKind, "ReceivingKindEnum"),
    (Nearness, "NearnessEnum"),
    (Box, "ReferralBoxEnum"),
):
    schema_enum_name(_choices_class, _name)


def _optional_text(**kwargs: Any) -> serializers.CharField:
    """Optional on the wire: the service says what is missing, in its own words."""
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX, **kwargs
    )


# ---------------------------------------------------------------------------------------------
# Output


class OrganisationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, read_only=True)
    area = AdministrativeUnitSerializer(read_only=True, allow_null=True)


class ReferralCaseSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    number = serializers.CharField(read_only=True)


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True, help_text="The receipt number, BN-yyyy-nnnnnn.")
    at = BoundedDateTimeField(read_only=True, help_text="When it was acknowledged.")
    hash = serializers.CharField(
        read_only=True,
        help_text="SHA-256 of what was received: the summary, purpose, message and dates.",
    )


class ReferralUpdateSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = ReferralUpdate
        fields = ["kind", "text", "author", "created_at"]
        read_only_fields = fields


class _ReferralBase(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    view = serializers.SerializerMethodField(
        help_text="`sent` on the sender's side, `received` for the receiving organisation."
    )
    status = serializers.ChoiceField(choices=Referral.Status.choices, read_only=True)
    organisation = OrganisationSerializer(read_only=True, help_text="Whose inbox it went to.")
    purpose = serializers.ChoiceField(choices=Measure.choices, read_only=True)
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    message = serializers.CharField(read_only=True)
    sent_by = UserRefSerializer(read_only=True)
    sent_at = BoundedDateTimeField(read_only=True)
    acknowledge_due_at = BoundedDateTimeField(read_only=True)
    feedback_due_at = BoundedDateTimeField(read_only=True)
    responded_at = BoundedDateTimeField(read_only=True, allow_null=True)
    decline_reason = serializers.CharField(read_only=True)
    closed_at = BoundedDateTimeField(read_only=True, allow_null=True)
    revoke_reason = serializers.CharField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    is_crime_report = serializers.BooleanField(
        read_only=True,
        help_text="A crime report passed to the police (Criminal Procedure Code Art. 146(4)).",
    )
    phoned_at = BoundedDateTimeField(
        read_only=True, allow_null=True, help_text="When the police were told by phone first."
    )
    written_reference = serializers.CharField(
        read_only=True, help_text="The written notice's number; empty until recorded."
    )
    written_on = serializers.DateField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(
        help_text="Acknowledgement late (sent), or feedback late (acknowledged or accepted)."
    )
    receipt = serializers.SerializerMethodField(help_text="Null until acknowledged.")
    updates = ReferralUpdateSerializer(many=True, read_only=True)

    def get_overdue(self, referral: Referral) -> bool:
        # Read in the query that read the row (Referral.objects.with_overdue): the one rule,
        # at the same moment as the `?overdue=` filter of the same request.
        return referral.is_overdue

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, referral: Referral) -> dict[str, Any] | None:
        if not referral.receipt_number:
            return None
        return ReceiptSerializer(
            {
                "number": referral.receipt_number,
                "at": referral.acknowledged_at,
                "hash": referral.receipt_hash,
            }
        ).data


class SentReferralSerializer(_ReferralBase):
    """A referral as the case's holders read it."""

    case = ReferralCaseSerializer(read_only=True)
    consent = serializers.UUIDField(
        source="consent.public_id",
        read_only=True,
        allow_null=True,
        help_text="The consent record relied on, where the law asks for one.",
    )
    activity = serializers.UUIDField(
        source="activity.public_id",
        read_only=True,
        allow_null=True,
        help_text="The plan activity this referral carries out, if any.",
    )

    def get_view(self, referral: Referral) -> str:
        return SENT


class ReceivedReferralSerializer(_ReferralBase):
    """A referral as the receiving organisation reads it."""

    case = serializers.SerializerMethodField(help_text="The case while the referral is open.")
    summary = serializers.SerializerMethodField(
        help_text=(
            "The case as the allow-list of your kind of organisation shows it, while the "
            "referral is open; empty once it has ended."
        )
    )

    def get_view(self, referral: Referral) -> str:
        return RECEIVED

    @extend_schema_field(ReferralCaseSerializer(allow_null=True))
    def get_case(self, referral: Referral) -> dict[str, Any] | None:
        if not referral.is_open:
            return None
        return ReferralCaseSerializer(referral.case).data

    @extend_schema_field(SummaryFieldSerializer(many=True))
    def get_summary(self, referral: Referral) -> list[dict[str, str]]:
        if not referral.is_open:
            return []
        return [
            {"key": key, "label": label, "value": value}
            for key, label, value in case_summary(referral.case, referral.organisation.kind)
        ]


class RuleSerializer(serializers.Serializer):
    consent_required = serializers.BooleanField(read_only=True)
    explanation = serializers.CharField(read_only=True, help_text="In the user's language.")
    citation = serializers.CharField(read_only=True)


class RecipientSerializer(OrganisationSerializer):
    """An organisation that may receive a referral of this case, with the sharing rule."""

    nearness = serializers.ChoiceField(choices=Nearness.choices, read_only=True)
    sharing_rule = RuleSerializer(
        read_only=True,
        allow_null=True,
        help_text="Whether sharing with this kind of organisation needs a recorded consent.",
    )


# ---------------------------------------------------------------------------------------------
# Input


class ReferralFilterSerializer(serializers.Serializer):
    box = serializers.ChoiceField(
        choices=Box.choices,
        required=False,
        help_text=(
            "`inbox`: open referrals to your organisations that you can answer, the earliest "
            "acknowledgement due first. `sent`: the referrals of the cases you hold. Without "
            "it: every referral you may see, newest first."
        ),
    )
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="1: only overdue ones."
    )
    case = serializers.UUIDField(required=False, help_text="Only the referrals of this case.")


class RecipientFilterSerializer(serializers.Serializer):
    case = serializers.UUIDField(help_text="The case to refer.")
    kind = serializers.ChoiceField(
        choices=ReceivingKind.choices, required=False, help_text="Only this kind of organisation."
    )


class ReferralCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    case = serializers.UUIDField(help_text="The case to refer (its id).")
    organisation = serializers.UUIDField(
        help_text="The receiving organisation's id (see GET /api/v1/referrals/recipients/)."
    )
    purpose = serializers.ChoiceField(
        choices=Measure.choices, help_text="The measure asked for (Law on Children Art. 49/50)."
    )
    message = serializers.CharField(max_length=TEXT_MAX, help_text="What you ask of them.")
    acknowledge_due_at = BoundedDateTimeField(
        required=False,
        allow_null=True,
        help_text="When acknowledgement is due; default: 1 working day (the deadline rule).",
    )
    feedback_due_at = BoundedDateTimeField(
        required=False,
        allow_null=True,
        help_text="When feedback is due; default: 5 working days (the deadline rule).",
    )
    consent = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The id of this case's consent record, where the sharing rule asks for one.",
    )
    phoned_at = BoundedDateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "A crime report to the police only: when they were told by phone first (Criminal "
            "Procedure Code Art. 146(4)); the report counts as passed on then."
        ),
    )
    activity = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=(
            "Optional: the id of the activity of the case's approved plan that this referral "
            "carries out (see GET /api/v1/cases/{id}/activities/)."
        ),
    )


class ReferralCaseInputSerializer(serializers.Serializer):
    """Only the case of a new referral, read first so that a refusal comes before the fields."""

    case = serializers.UUIDField()


class AnswerInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """Acknowledge or accept: no fields."""


class DeclineInputSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = _optional_text(help_text="Why the organisation declines (required).")


class UpdateInputSerializer(StrictFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ReferralUpdate.Kind.choices, help_text="`action` taken, or `feedback` given."
    )
    text = _optional_text(help_text="What was done or found (required).")


class CompleteInputSerializer(StrictFieldsMixin, serializers.Serializer):
    note = _optional_text(help_text="Optional: what the referral achieved.")


class WrittenNoticeInputSerializer(StrictFieldsMixin, serializers.Serializer):
    reference = _optional_text(help_text="The written notice's number (required).")
    written_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Its date (required)."
    )


class RevokeInputSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = _optional_text(help_text="Why the referral is withdrawn (required).")
