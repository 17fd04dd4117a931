"""
Serializers of the cases API.

Output serializers show what a user may read; input serializers only parse and type-check
(dates, datetimes, booleans, choices, lengths, references by public id or official code) so that
bad input is a 400 naming the field. What a step requires is checked by cases.services, which
raise ValidationError with the same field names; nothing here saves anything.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AdministrativeUnit, Organisation
from accounts.serializers import AdministrativeUnitSerializer, CommuneCodeField
from cases.models import (
    ActivityProgress,
    Assessment,
    Case,
    CaseDocument,
    CaseNote,
    CaseTransition,
    Child,
    CourtPetition,
    DecisionDistribution,
    EmergencyDecision,
    FamilyMember,
    Measure,
    NeedsMeeting,
    Perpetrator,
    Plan,
    PlanActivity,
    RiskLevel,
    SeparationExtension,
    Sex,
    SpecialCircumstance,
)
from cases.services import CHILD_FIELDS, FAMILY_FIELDS, RECORD_FIELDS, SPECIFIC_TEXT_FIELDS
from cases.workflow import STEPS
from config.api import BoundedDateTimeField, StrictFieldsMixin, schema_enum_name

for _choices_class, _name in (
    (Case.Status, "CaseStatusEnum"),
    (Plan.Status, "PlanStatusEnum"),
    (PlanActivity.Status, "PlanActivityStatusEnum"),
    (Assessment.Kind, "AssessmentKindEnum"),
    (EmergencyDecision.Kind, "EmergencyDecisionKindEnum"),
    (CaseDocument.Kind, "DocumentKindEnum"),
    (RiskLevel, "RiskLevelEnum"),
):
    schema_enum_name(_choices_class, _name)

FULL = "full"
SUMMARY = "summary"


def given_name(full_name: str) -> str:
    """The given name (tên): the last word of a Vietnamese full name, family name first."""
    words = (full_name or "").split()
    return words[-1] if words else ""


# ---------------------------------------------------------------------------------------------
# References


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field({"type": "string", "format": "uuid"})
class PublicIdField(serializers.RelatedField):
    """An object given by its public id (a UUID), looked up in `queryset`."""

    default_error_messages = {
        "does_not_exist": _("Nothing with this id can be chosen here."),
        "invalid": _("Give an id in the form of a UUID."),
    }

    def to_internal_value(self, data: Any) -> models.Model:
        try:
            public_id = uuid.UUID(str(data))
        except (TypeError, ValueError, AttributeError):
            self.fail("invalid")
        try:
            return self.get_queryset().get(public_id=public_id)
        except (self.get_queryset().model.DoesNotExist, TypeError, ValueError):
            self.fail("does_not_exist")

    def to_representation(self, value: models.Model) -> str:
        return str(value.public_id)


def text_input(model: type[models.Model], name: str, **kwargs: Any) -> serializers.CharField:
    """An optional text input as long as the model's column allows."""
    field = model._meta.get_field(name)
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    if getattr(field, "max_length", None):
        kwargs.setdefault("max_length", field.max_length)
    return serializers.CharField(**kwargs)


def choice_input(choices: type[models.TextChoices], **kwargs: Any) -> serializers.ChoiceField:
    kwargs.setdefault("required", False)
    return serializers.ChoiceField(choices=choices.choices, **kwargs)


def _choices(choices: type[models.TextChoices], **kwargs: Any) -> serializers.ListField:
    kwargs.setdefault("required", False)
    return serializers.ListField(child=serializers.ChoiceField(choices=choices.choices), **kwargs)


# ---------------------------------------------------------------------------------------------
# The case: list rows, summary, full record


class CaseSerializer(serializers.ModelSerializer):
    """A row of the case list. Rows the user sees only in summary carry the given name only."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    commune = AdministrativeUnitSerializer(read_only=True)
    province = AdministrativeUnitSerializer(read_only=True)
    view = serializers.SerializerMethodField(
        help_text="`full` if you may read the whole file, `summary` if only its summary."
    )
    child_name = serializers.SerializerMethodField(
        help_text="The child's full name; the given name only where you see the summary."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "view",
            "child_name",
            "commune",
            "province",
            "status",
            "received_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _full(self, case: Case) -> bool:
        full_ids = self.context.get("full_ids")
        return full_ids is None or case.pk in full_ids

    def get_view(self, case: Case) -> str:
        return FULL if self._full(case) else SUMMARY

    def get_child_name(self, case: Case) -> str:
        return case.child.full_name if self._full(case) else given_name(case.child.full_name)

    def to_representation(self, case: Case) -> dict[str, Any]:
        """
        The row, built directly: a list renders 50 of these, and DRF's per-field walk cost more
        than the query that read them. The declared fields above still give the schema, and
        tests/cases/test_case_rows.py proves this equals what those fields would render.
        """
        zone = timezone.get_current_timezone()
        full = self._full(case)
        name = case.child.full_name
        return {
            "id": str(case.public_id),
            "number": case.number,
            "view": FULL if full else SUMMARY,
            "child_name": name if full else given_name(name),
            "commune": _unit_row(case.commune),
            "province": _unit_row(case.province),
            "status": case.status,
            "received_at": _iso_datetime(case.received_at, zone),
            "created_at": _iso_datetime(case.created_at, zone),
            "updated_at": _iso_datetime(case.updated_at, zone),
        }


def _unit_row(unit: AdministrativeUnit | None) -> dict[str, str] | None:
    """AdministrativeUnitSerializer's rendering, without its field walk."""
    if unit is None:
        return None
    return {"code": unit.code, "name": unit.name, "level": unit.level}


def _iso_datetime(value: datetime.datetime | None, zone: datetime.tzinfo) -> str | None:
    """DRF's ISO 8601 rendering of a datetime (in the current zone; UTC as "Z")."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ChildSummarySerializer(serializers.Serializer):
    first_name = serializers.SerializerMethodField(
        help_text="The given name (tên), the last word of the full name."
    )
    age = serializers.IntegerField(read_only=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Child._meta.get_field("sex").choices, read_only=True)

    def get_first_name(self, child: Child) -> str:
        return given_name(child.full_name)


class SummaryFieldSerializer(serializers.Serializer):
    """One field of the case that the app granting the summary allows this user to see."""

    # Output only; not read_only so that the schema lists `key` as optional.
    key = serializers.CharField(required=False, help_text="The field's stable name, where known.")
    label = serializers.CharField(help_text="The field's name, translated.")
    value = serializers.CharField(allow_blank=True)


def summary_field_rows(rows: Any) -> list[dict[str, str]]:
    """
    The rows of cases.hooks.summary_fields_for as dicts: (label, value) pairs, or
    (key, label, value) triples where the provider names its fields.
    """
    result = []
    for row in rows or ():
        if len(row) == 3:
            key, label, value = row
            result.append({"key": str(key), "label": str(label), "value": str(value or "")})
        else:
            label, value = row
            result.append({"label": str(label), "value": str(value or "")})
    return result


class CaseSummarySerializer(serializers.ModelSerializer):
    """
    What a referral recipient needs: no more than this. The one-case answer also carries
    `fields`, the case's fields that the granting app allows this user (a referral's
    allow-list), passed in the context as `summary_fields` (cases.hooks.summary_fields_for).
    """

    id = serializers.UUIDField(source="public_id", read_only=True)
    view = serializers.SerializerMethodField()
    child = ChildSummarySerializer(read_only=True)
    commune = AdministrativeUnitSerializer(read_only=True)
    # Named `fields` in the answer; a serializer already has a `fields` attribute and a
    # `get_fields` method, hence the method's own name.
    fields = serializers.SerializerMethodField(
        method_name="summary_fields_data",
        help_text="The fields of the case you may see, by the allow-list of your organisation.",
    )

    class Meta:
        model = Case
        fields = ["id", "view", "number", "status", "child", "commune", "received_at", "fields"]
        read_only_fields = fields

    def get_view(self, case: Case) -> str:
        return SUMMARY

    @extend_schema_field(SummaryFieldSerializer(many=True))
    def summary_fields_data(self, case: Case) -> list[dict[str, str]]:
        return summary_field_rows(self.context.get("summary_fields"))


class ChildSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    age = serializers.IntegerField(read_only=True, allow_null=True)
    residence_commune = AdministrativeUnitSerializer(read_only=True, allow_null=True)
    special_circumstances = serializers.ListField(
        child=serializers.ChoiceField(choices=SpecialCircumstance.choices), read_only=True
    )

    ethnicity_as_written = serializers.CharField(
        source="ethnicity",
        read_only=True,
        help_text="What was written before the list of ethnic groups, where it matched none.",
    )

    class Meta:
        model = Child
        fields = ["id", *CHILD_FIELDS, "ethnicity_as_written", "age"]
        read_only_fields = fields


class CaseDetailSerializer(serializers.ModelSerializer):
    """The whole record (Mẫu 01), for users who may read the whole file."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    view = serializers.SerializerMethodField()
    child = ChildSerializer(read_only=True)
    commune = AdministrativeUnitSerializer(read_only=True)
    province = AdministrativeUnitSerializer(read_only=True)
    incident_commune = AdministrativeUnitSerializer(read_only=True, allow_null=True)
    received_by = UserRefSerializer(read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True, allow_null=True
    )
    abuse_forms = serializers.ListField(
        child=serializers.ChoiceField(choices=Case.AbuseForm.choices), read_only=True
    )
    sexual_abuse_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Case.SexualAbuseType.choices), read_only=True
    )
    abuse_settings = serializers.ListField(
        child=serializers.ChoiceField(choices=Case.Setting.choices), read_only=True
    )
    permissions = serializers.SerializerMethodField(
        help_text="What you may do on this case (case permission codenames)."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "view",
            "number",
            "status",
            "version",
            "child",
            "commune",
            "province",
            "received_at",
            "received_by",
            *RECORD_FIELDS,
            "emergency_required",
            "merged_into",
            "child_age_at_incident",
            "child_age_estimated",
            "closed_at",
            "ending",
            "ended_on",
            "created_at",
            "updated_at",
            "permissions",
        ]
        read_only_fields = fields

    def get_view(self, case: Case) -> str:
        return FULL

    def get_permissions(self, case: Case) -> list[str]:
        return sorted(self.context.get("permissions", ()))


class FamilyMemberSerializer(serializers.ModelSerializer):
    """A member of the child's family. `id` is only meaningful within this case."""

    class Meta:
        model = FamilyMember
        fields = ["id", *FAMILY_FIELDS]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------
# Inputs: opening a case, editing the record and the child, family


class ChildInputSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    residence_commune = CommuneCodeField(required=False, allow_null=True)
    special_circumstances = _choices(SpecialCircumstance)

    class Meta:
        model = Child
        fields = list(CHILD_FIELDS)


class CaseRecordInputSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The record fields of Mẫu 01 (PATCH sends only those that change)."""

    incident_commune = CommuneCodeField(required=False, allow_null=True)
    abuse_forms = _choices(Case.AbuseForm)
    sexual_abuse_types = _choices(Case.SexualAbuseType)
    abuse_settings = _choices(Case.Setting)

    class Meta:
        model = Case
        fields = list(RECORD_FIELDS)


class CaseOpenSerializer(CaseRecordInputSerializer):
    """The commune officer opens a case from a report received at the commune (Mẫu 01)."""

    commune = CommuneCodeField(help_text="The responsible commune's official code.")
    child = ChildInputSerializer()
    received_at = BoundedDateTimeField(
        required=False, help_text="When the report was received; now if left out."
    )
    protection_level = choice_input(
        Case.ProtectionLevel,
        help_text="Left out: from the target group (abused: intervention; otherwise support).",
    )

    class Meta(CaseRecordInputSerializer.Meta):
        fields = ["commune", "child", "received_at", *RECORD_FIELDS]


class FamilyMemberInputSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = FamilyMember
        fields = list(FAMILY_FIELDS)


# ---------------------------------------------------------------------------------------------
# Assessments, decisions, meetings, plans


class AssessmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    assessor = UserRefSerializer(read_only=True)
    tally = serializers.SerializerMethodField(
        help_text="How many factors are rated high, medium and low (the forms' «Tổng số»)."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "kind",
            "assessed_at",
            "assessor",
            *Assessment.RATING_FIELDS,
            *Assessment.PROTECTION_FIELDS,
            "tally",
            "summary",
            "emergency_required",
            "safety_measures",
            *SPECIFIC_TEXT_FIELDS,
            "carer_safe",
            "no_remaining_risk",
            "child_stable",
            "recommendation",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {level: {"type": "integer"} for level in RiskLevel.values},
            "required": list(RiskLevel.values),
        }
    )
    def get_tally(self, assessment: Assessment) -> dict[str, int]:
        return assessment.tally()


class SeparationExtensionSerializer(serializers.ModelSerializer):
    decided_by = UserRefSerializer(read_only=True)

    class Meta:
        model = SeparationExtension
        fields = [
            "previous_ends_at",
            "new_ends_at",
            "reason",
            "authority_reference",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class EmergencyDecisionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    decided_by = UserRefSerializer(read_only=True)
    extensions = SeparationExtensionSerializer(many=True, read_only=True)
    is_active_separation = serializers.BooleanField(read_only=True)

    class Meta:
        model = EmergencyDecision
        fields = [
            "id",
            "kind",
            "decision_number",
            "decided_at",
            "decided_by",
            "measures",
            "separated_from",
            "ground",
            "safe_place",
            "alternative_care",
            "starts_at",
            "ends_at",
            "ended_at",
            "end_reason",
            "is_active_separation",
            "extensions",
        ]
        read_only_fields = fields


class NeedsMeetingSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = NeedsMeeting
        fields = ["held_at", "chaired_by", "attendees", "minutes", "recorded_by", "recorded_at"]
        read_only_fields = fields


class PlanActivitySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlanActivity
        fields = [
            "id",
            "measure",
            "description",
            "organisation",
            "person_responsible",
            "starts_on",
            "ends_on",
            "resources",
            "cost",
            "status",
        ]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    drafted_by = UserRefSerializer(read_only=True)
    approved_by = UserRefSerializer(read_only=True, allow_null=True)
    activities = PlanActivitySerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "version",
            "status",
            "objectives",
            "monitoring",
            "review_on",
            "drafted_by",
            "drafted_at",
            "submitted_at",
            "submission_count",
            "approved_by",
            "approved_at",
            "decision_number",
            "decision_date",
            "activities",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------
# History, steps, deadlines


class TransitionSerializer(serializers.ModelSerializer):
    step = serializers.CharField(source="name", read_only=True)
    step_label = serializers.SerializerMethodField()
    actor = UserRefSerializer(read_only=True)
    details = serializers.DictField(read_only=True)

    class Meta:
        model = CaseTransition
        fields = [
            "step",
            "step_label",
            "from_status",
            "to_status",
            "actor",
            "at",
            "reason",
            "details",
        ]
        read_only_fields = fields

    def get_step_label(self, transition: CaseTransition) -> str:
        step = STEPS.get(transition.name)
        return str(step.label) if step else transition.name


class StepSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    requires = serializers.CharField(read_only=True)
    form = serializers.CharField(read_only=True, help_text="The Decree 56 form it produces.")
    target = serializers.CharField(
        read_only=True, allow_null=True, help_text="The status it leads to; null: unchanged."
    )


class DeadlineSerializer(serializers.Serializer):
    rule = serializers.CharField(source="rule.code", read_only=True)
    name = serializers.CharField(source="rule.name", read_only=True)
    citation = serializers.CharField(source="rule.citation", read_only=True)
    starts_at = BoundedDateTimeField(source="deadline.starts_at", read_only=True)
    due_at = BoundedDateTimeField(source="deadline.due_at", read_only=True)
    met_at = BoundedDateTimeField(
        source="deadline.met_at",
        read_only=True,
        allow_null=True,
        help_text="When the law counts the clock met (a decision's own time or date).",
    )
    met_entered_at = BoundedDateTimeField(
        source="deadline.met_entered_at",
        read_only=True,
        allow_null=True,
        help_text="When what met the clock was entered in the system.",
    )
    waived_at = BoundedDateTimeField(source="deadline.waived_at", read_only=True, allow_null=True)
    note = serializers.CharField(source="deadline.note", read_only=True)
    state = serializers.ChoiceField(
        choices=["open", "overdue", "met", "met_late", "waived"], read_only=True
    )
    state_label = serializers.CharField(source="label", read_only=True)
    seconds_left = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Negative when overdue; null once met or waived."
    )


# ---------------------------------------------------------------------------------------------
# Notes and documents


class NoteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "text", "author", "created_at"]
        read_only_fields = fields


class NoteInputSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    uploaded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = CaseDocument
        fields = [
            "id",
            "kind",
            "description",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "uploaded_by",
        ]
        read_only_fields = fields


class DocumentInputSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service names the empty file
        help_text="PDF, JPEG, PNG or Word (.docx); the type is read from the content.",
    )
    kind = choice_input(CaseDocument.Kind)
    description = text_input(CaseDocument, "description")


# ---------------------------------------------------------------------------------------------
# Workflow steps: one input serializer per step


class StepInputSerializer(StrictFieldsMixin, serializers.Serializer):
    step = serializers.CharField(help_text="The name of the step.")


def _ratings() -> dict[str, serializers.ChoiceField]:
    return {
        name: choice_input(RiskLevel, help_text=str(Assessment._meta.get_field(name).verbose_name))
        for name in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS
    }


def _step_serializer(
    class_name: str, fields: dict[str, serializers.Field], doc: str = ""
) -> type[StepInputSerializer]:
    return type(class_name, (StepInputSerializer,), {**fields, "__doc__": doc or None})


def _reason(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


class RunningSeparationField(serializers.UUIDField):
    """A separation decision of the step's case, by its id (the service checks that it runs)."""

    default_error_messages = {"does_not_exist": _("There is no running separation to change.")}

    def to_internal_value(self, data: Any) -> EmergencyDecision:
        public_id = super().to_internal_value(data)
        decision = self.context["case"].emergency_decisions.filter(public_id=public_id).first()
        if decision is None:
            self.fail("does_not_exist")
        return decision


class VisibleCaseField(serializers.UUIDField):
    """Another case, by its id, that the acting user can see (else a field error: no oracle)."""

    default_error_messages = {"not_visible": _("Choose an open case that you can see.")}

    def to_internal_value(self, data: Any) -> Case:
        from cases.selectors import case_get_for

        public_id = super().to_internal_value(data)
        try:
            return case_get_for(user=self.context["actor"], public_id=public_id)
        except Http404:
            self.fail("not_visible")


class ActivityInputSerializer(StrictFieldsMixin, serializers.Serializer):
    measure = choice_input(Measure)
    description = text_input(PlanActivity, "description")
    organisation = PublicIdField(
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The responsible organisation's id, or null.",
    )
    person_responsible = text_input(PlanActivity, "person_responsible")
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    resources = text_input(PlanActivity, "resources")
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=0, required=False, allow_null=True, help_text="VND."
    )


AssessInitialStepSerializer = _step_serializer(
    "AssessInitialStepSerializer",
    {
        **_ratings(),
        "emergency_required": serializers.BooleanField(required=False),
        "safety_measures": text_input(Assessment, "safety_measures"),
        "summary": text_input(Assessment, "summary"),
        "assessed_at": BoundedDateTimeField(required=False),
    },
    "Initial risk assessment (Mẫu 02).",
)
RecordInterventionStepSerializer = _step_serializer(
    "RecordInterventionStepSerializer",
    {
        "measures": text_input(EmergencyDecision, "measures"),
        "intervened_at": BoundedDateTimeField(required=False, allow_null=True),
    },
    "The emergency intervention itself (Art. 31(3)–(4)), by the commune's officer: when and "
    "what was done. No decision number: only a separation needs the chairman's decision.",
)
DecideEmergencyStepSerializer = _step_serializer(
    "DecideEmergencyStepSerializer",
    {
        "kind": choice_input(EmergencyDecision.Kind),
        "decision_number": text_input(EmergencyDecision, "decision_number"),
        "decided_at": BoundedDateTimeField(required=False),
        "measures": text_input(EmergencyDecision, "measures"),
        "separated_from": text_input(EmergencyDecision, "separated_from"),
        "ground": choice_input(EmergencyDecision.Ground, allow_blank=True),
        "safe_place": text_input(EmergencyDecision, "safe_place"),
        "alternative_care": text_input(EmergencyDecision, "alternative_care"),
        "starts_at": BoundedDateTimeField(required=False, allow_null=True),
        "ends_at": BoundedDateTimeField(required=False, allow_null=True),
        "authority_reference": text_input(SeparationExtension, "authority_reference"),
    },
    "Emergency intervention or temporary separation (Mẫu 07).",
)
ExtendSeparationStepSerializer = _step_serializer(
    "ExtendSeparationStepSerializer",
    {
        "decision": RunningSeparationField(help_text="The separation decision's id."),
        "new_ends_at": BoundedDateTimeField(),
        "reason": _reason(),
        "authority_reference": text_input(SeparationExtension, "authority_reference", default=""),
    },
)
EndSeparationStepSerializer = _step_serializer(
    "EndSeparationStepSerializer",
    {
        "decision": RunningSeparationField(help_text="The separation decision's id."),
        "basis": serializers.ChoiceField(
            choices=["carer_safe", "court_decision"],
            default="carer_safe",
            help_text="carer_safe: a Mẫu 03 recorded since the separation began finds the carer "
            "safe (Art. 32(3)); court_decision: the court decided on a recorded petition.",
        ),
        "reason": _reason(),
    },
    "End or revoke a separation (Art. 32(3)).",
)
AssessSpecificStepSerializer = _step_serializer(
    "AssessSpecificStepSerializer",
    {
        **_ratings(),
        **{name: text_input(Assessment, name) for name in SPECIFIC_TEXT_FIELDS},
        "carer_safe": serializers.BooleanField(required=False, allow_null=True),
        "summary": text_input(Assessment, "summary"),
        "assessed_at": BoundedDateTimeField(required=False),
    },
    "Specific risk assessment (Mẫu 03, Art. 27(1) a–h).",
)
ReassessSpecificStepSerializer = _step_serializer(
    "ReassessSpecificStepSerializer",
    {
        **_ratings(),
        **{name: text_input(Assessment, name) for name in SPECIFIC_TEXT_FIELDS},
        "carer_safe": serializers.BooleanField(
            help_text="Whether the parents or carer keep the child safe now (Art. 32(3))."
        ),
        "summary": text_input(Assessment, "summary"),
        "assessed_at": BoundedDateTimeField(required=False),
    },
    "Mẫu 03 recorded again: the carer's safety (Art. 32(3)) and the reassessment of a "
    "separated child after 15 days (Circular 14/2020 Art. 14(3)).",
)
PetitionCourtStepSerializer = _step_serializer(
    "PetitionCourtStepSerializer",
    {
        "subject": choice_input(CourtPetition.Subject),
        "separation": RunningSeparationField(
            required=False,
            allow_null=True,
            default=None,
            help_text="The separation decision's id (required to continue a separation).",
        ),
        "court": text_input(CourtPetition, "court", default=""),
        "filed_on": serializers.DateField(required=False, allow_null=True, default=None),
        "reference": text_input(CourtPetition, "reference", default=""),
    },
    "The chairman's petition to the court (Law on Children Art. 52(3); since 1 July 2025 the "
    "regional court).",
)
HoldNeedsMeetingStepSerializer = _step_serializer(
    "HoldNeedsMeetingStepSerializer",
    {
        "held_at": BoundedDateTimeField(required=False),
        "chaired_by": text_input(NeedsMeeting, "chaired_by"),
        "attendees": text_input(NeedsMeeting, "attendees"),
        "minutes": text_input(NeedsMeeting, "minutes"),
    },
)
DraftPlanStepSerializer = _step_serializer(
    "DraftPlanStepSerializer",
    {
        "objectives": text_input(Plan, "objectives", default=""),
        "monitoring": text_input(Plan, "monitoring", default=""),
        "review_on": serializers.DateField(required=False, allow_null=True, default=None),
        "reason": _reason(help_text="Why the plan changes (needed during implementation)."),
        "activities": ActivityInputSerializer(many=True, required=False, default=list),
    },
    "The support-intervention plan (Mẫu 04).",
)
SubmitPlanStepSerializer = _step_serializer("SubmitPlanStepSerializer", {})
ReturnPlanStepSerializer = _step_serializer("ReturnPlanStepSerializer", {"reason": _reason()})
ApprovePlanStepSerializer = _step_serializer(
    "ApprovePlanStepSerializer",
    {
        "decision_number": text_input(Plan, "decision_number", default=""),
        "decision_date": serializers.DateField(required=False, allow_null=True, default=None),
    },
    "The chairman's approval decision (Mẫu 05).",
)
StartImplementationStepSerializer = _step_serializer("StartImplementationStepSerializer", {})
RecordReviewStepSerializer = _step_serializer(
    "RecordReviewStepSerializer",
    {
        **_ratings(),
        "no_remaining_risk": serializers.BooleanField(required=False),
        "child_stable": serializers.BooleanField(required=False),
        "recommendation": choice_input(Assessment.Recommendation),
        "summary": text_input(Assessment, "summary"),
        "assessed_at": BoundedDateTimeField(required=False),
    },
    "The review (Mẫu 06).",
)
CloseStepSerializer = _step_serializer("CloseStepSerializer", {"reason": _reason()})
EndOtherwiseStepSerializer = _step_serializer(
    "EndOtherwiseStepSerializer",
    {
        "ending": choice_input(Case.Ending),
        "ended_on": serializers.DateField(required=False, allow_null=True, default=None),
        "reason": _reason(),
    },
    "The case ends other than by an Art. 30 closure (the child turned 16, died, moved away, "
    "or continues under another authority).",
)
MarkNotSubstantiatedStepSerializer = _step_serializer(
    "MarkNotSubstantiatedStepSerializer", {"reason": _reason()}
)
TransferStepSerializer = _step_serializer(
    "TransferStepSerializer",
    {
        "commune": CommuneCodeField(required=False, allow_null=True, default=None),
        "reason": _reason(),
    },
)
MergeStepSerializer = _step_serializer(
    "MergeStepSerializer",
    {
        "into": VisibleCaseField(
            required=False,
            allow_null=True,
            default=None,
            help_text="The id of the case it duplicates.",
        ),
        "reason": _reason(),
    },
)

# The API's input of each step of the table in cases.workflow (a test holds them equal): each
# gives its step's service exactly its keyword inputs, resolving ids against the step's case
# and the acting user (context "case" and "actor").
STEP_INPUTS: dict[str, type[StepInputSerializer]] = {
    "assess_initial": AssessInitialStepSerializer,
    "record_intervention": RecordInterventionStepSerializer,
    "decide_emergency": DecideEmergencyStepSerializer,
    "extend_separation": ExtendSeparationStepSerializer,
    "end_separation": EndSeparationStepSerializer,
    "assess_specific": AssessSpecificStepSerializer,
    "reassess_specific": ReassessSpecificStepSerializer,
    "petition_court": PetitionCourtStepSerializer,
    "hold_needs_meeting": HoldNeedsMeetingStepSerializer,
    "draft_plan": DraftPlanStepSerializer,
    "submit_plan": SubmitPlanStepSerializer,
    "return_plan": ReturnPlanStepSerializer,
    "approve_plan": ApprovePlanStepSerializer,
    "start_implementation": StartImplementationStepSerializer,
    "record_review": RecordReviewStepSerializer,
    "close": CloseStepSerializer,
    "end_otherwise": EndOtherwiseStepSerializer,
    "mark_not_substantiated": MarkNotSubstantiatedStepSerializer,
    "transfer": TransferStepSerializer,
    "merge": MergeStepSerializer,
}


class StepChoiceSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(STEPS))


class TransitionResultSerializer(serializers.Serializer):
    case = CaseDetailSerializer(
        read_only=True,
        allow_null=True,
        help_text="The case after the step; null when the step took it out of your reach "
        "(a transfer to another commune).",
    )
    transition = TransitionSerializer(read_only=True, help_text="The history row it wrote.")
    related_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The id of the assessment, emergency decision or plan the step made or changed.",
    )


# ---------------------------------------------------------------------------------------------
# Alleged perpetrators (cases.perpetrators)

schema_enum_name(Perpetrator.Relation, "PerpetratorRelationEnum")
schema_enum_name(Perpetrator.AgeBand, "PerpetratorAgeBandEnum")


class PerpetratorSerializer(serializers.ModelSerializer):
    """An alleged perpetrator of the case: a family member or anyone else."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    family_member = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The family member's id within this case (family-members/), if linked.",
    )
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Perpetrator
        fields = [
            "id",
            "relation",
            "sex",
            "age_band",
            "is_family_member",
            "family_member",
            "description",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class PerpetratorInputSerializer(StrictFieldsMixin, serializers.Serializer):
    relation = choice_input(
        Perpetrator.Relation,
        help_text="Left out with a family member given: from the family member's relation.",
    )
    sex = choice_input(Sex, help_text="Left out: from the family member given, else unknown.")
    age_band = choice_input(
        Perpetrator.AgeBand, help_text="Left out: from the family member's age, else unknown."
    )
    is_family_member = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Left out or null: true for a parent, step-parent or relative, or a family "
        "member given; false otherwise.",
    )
    family_member = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The family member's id within this case (family-members/).",
    )
    description = text_input(Perpetrator, "description")


# ---------------------------------------------------------------------------------------------
# Carrying out the approved plan (cases.activities): who received it, each activity's progress

schema_enum_name(DecisionDistribution.Method, "DistributionMethodEnum")


class DistributionSerializer(serializers.ModelSerializer):
    """One recipient of the approved decision and plan (Decree 56 Art. 28(5))."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    plan_version = serializers.IntegerField(source="plan.version", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    method_label = serializers.CharField(
        source="get_method_display", read_only=True, help_text="In the user's language."
    )
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = DecisionDistribution
        fields = [
            "id",
            "plan_version",
            "recipient",
            "organisation",
            "is_carer",
            "sent_on",
            "method",
            "method_label",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class DistributionInputSerializer(StrictFieldsMixin, serializers.Serializer):
    recipient = text_input(
        DecisionDistribution, "recipient", help_text="Who received it (required)."
    )
    organisation = PublicIdField(
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The organisation that received it, if it carries out an activity; or null.",
    )
    is_carer = serializers.BooleanField(
        required=False, default=False, help_text="The recipient is the parents or carer."
    )
    sent_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="When it was sent (required): not in the future, not before the decision.",
    )
    method = choice_input(DecisionDistribution.Method, help_text="How it was sent (required).")


class ActivityProgressSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="In the user's language."
    )
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = ActivityProgress
        fields = ["status", "status_label", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    """A plan activity with its status now and the history of its progress."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    plan_version = serializers.IntegerField(source="plan.version", read_only=True)
    plan_status = serializers.ChoiceField(
        source="plan.status", choices=Plan.Status.choices, read_only=True
    )
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="In the user's language."
    )
    progress = ActivityProgressSerializer(many=True, read_only=True)

    class Meta:
        model = PlanActivity
        fields = [
            "id",
            "plan_version",
            "plan_status",
            "measure",
            "description",
            "organisation",
            "person_responsible",
            "starts_on",
            "ends_on",
            "resources",
            "cost",
            "status",
            "status_label",
            "progress",
        ]
        read_only_fields = fields


class ActivityProgressInputSerializer(StrictFieldsMixin, serializers.Serializer):
    status = choice_input(PlanActivity.Status, help_text="The activity's status now (required).")
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="What was done or found; required when the activity is dropped (why).",
    )
