"""
Forms for the case pages. They turn what people type into values (dates, choices, numbers);
cases.services decides what a step needs and says what is missing, and its ValidationError is
shown next to the field it names (`add_service_errors`). Labels follow the Decree 56 forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AdministrativeUnit, Organisation, User
from cases.models import (
    Assessment,
    Case,
    CaseDocument,
    Child,
    CourtPetition,
    DecisionDistribution,
    EmergencyDecision,
    EthnicGroup,
    FamilyMember,
    LawfulBasis,
    Measure,
    NeedsMeeting,
    Perpetrator,
    Plan,
    PlanActivity,
    RiskLevel,
    SeparationExtension,
    Sex,
    SpecialCircumstance,
    measures_for,
)
from cases.services import CHILD_FIELDS, RECORD_FIELDS, REPORTER_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def moment_field(label: Any, help_text: Any) -> forms.DateTimeField:
    """An optional date and time (a decision's, an intervention's), typed as the browser offers."""
    return forms.DateTimeField(
        label=label, required=False, widget=datetime_input(), help_text=help_text
    )


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def max_length(model: type, name: str) -> int:
    """Return the column's length, so nothing too long ever reaches the database."""
    return model._meta.get_field(name).max_length


def yes_no_field(label: Any, *, unknown: bool = False, help_text: Any = "") -> forms.Field:
    choices = [("yes", _("Yes")), ("no", _("No"))]
    if unknown:
        choices.append(("", _("Not assessed")))
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=help_text,
    )


def parse_id(text: Any) -> int | None:
    """Return a database id typed into a form or URL, or None (never an error the DB raises)."""
    text = str(text or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


class ServiceFormMixin:
    """Show a service's ValidationError next to the fields it names; the rest above the form."""

    # Fields the service insists on (it says what is missing); marked for the person filling in.
    required_fields: tuple[str, ...] = ()
    # (legend, field names) groups for the template; None: every field in one group.
    fieldsets: tuple[tuple[Any, tuple[str, ...]], ...] | None = None

    def mark_required(self) -> None:
        for name in self.required_fields:
            self.fields[name].show_required = True

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        else:
            for message in error.messages:
                self.add_error(None, message)

    def fieldset_list(self) -> list[tuple[Any, list[forms.BoundField]]]:
        if self.fieldsets is None:
            return [("", [self[name] for name in self.fields if name not in self.hidden_names])]
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]

    @property
    def hidden_names(self) -> set[str]:
        return {field.name for field in self.hidden_fields()}


class StepForm(ServiceFormMixin, forms.Form):
    """The form of one workflow step on one case."""

    # A form whose submit only changes what is shown (e.g. adds an activity row) sets this.
    redisplay = False

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)
        self.mark_required()

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# ---------------------------------------------------------------------------------------------
# Assessments (Mẫu 02, 03, 06): one rating per factor, Cao / Trung bình / Thấp


LEVEL_LABELS = {
    RiskLevel.HIGH: _("High"),
    RiskLevel.MEDIUM: _("Medium"),
    RiskLevel.LOW: _("Low"),
}

# The descriptors of Mẫu 06 table 1(a) (DECREE56-FORMS.md §2.6); the rows of 1(b) are not known.
RATING_DESCRIPTORS = {
    "harm_severity": (
        _("High: the harm is still very serious and affects the child's development"),
        _("Medium: the harm is now less serious"),
        _("Low: the harm is no longer serious"),
    ),
    "abuser_access": (
        _("High: still able to reach the child, and often"),
        _("Medium: has chances to reach the child, but not often"),
        _("Low: little or no chance to reach the child"),
    ),
    "care_obstacles": (
        _("High: there are still many significant obstacles"),
        _("Medium: there are some obstacles, but the child still has some protection"),
        _("Low: there are few or no obstacles"),
    ),
}

RATING_LABELS = {
    "harm_severity": _("1. Is the harm to the child still serious?"),
    "abuser_access": _("2. The abuser's access to the child"),
    "care_obstacles": _("3. Obstacles to the child's safety in the care environment"),
    "self_protection": _("1. Risk from the child's limited ability to protect themself"),
    "recovery": _("2. Risk from the child's limited ability to recover"),
}
HARM_SECTION = _("a) Assessment of the harm to the child")
PROTECTION_SECTION = _("b) Assessment of the child's ability to protect themself and recover")


def rating_field(name: str) -> forms.ChoiceField:
    levels = [RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW]
    descriptors = RATING_DESCRIPTORS.get(name)
    labels = descriptors if descriptors else [LEVEL_LABELS[level] for level in levels]
    return forms.ChoiceField(
        label=RATING_LABELS[name],
        choices=list(zip([level.value for level in levels], labels, strict=True)),
        required=False,
        widget=forms.RadioSelect(attrs={"class": "levels"}),
    )


class RatingsForm(StepForm):
    harm_severity = rating_field("harm_severity")
    abuser_access = rating_field("abuser_access")
    care_obstacles = rating_field("care_obstacles")
    self_protection = rating_field("self_protection")
    recovery = rating_field("recovery")
    assessed_at = moment_field(_("Date and time of the assessment"), _("Leave empty for now."))

    required_fields = Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS
    RATINGS = (
        (HARM_SECTION, Assessment.RATING_FIELDS),
        (PROTECTION_SECTION, Assessment.PROTECTION_FIELDS),
    )


class AssessInitialForm(RatingsForm):
    """Mẫu 02: initial risk assessment and the temporary safety measures taken."""

    emergency_required = yes_no_field(
        _("Must emergency measures be applied (Art. 26(3))?"),
        help_text=_(
            "Yes when the child's life, health or dignity is at serious risk: the chairman "
            "decides within 12 hours of receipt."
        ),
    )
    safety_measures = forms.CharField(
        label=_("Temporary safety measures taken"), required=False, widget=text_area()
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=text_area())

    required_fields = RatingsForm.required_fields + ("emergency_required",)
    fieldsets = RatingsForm.RATINGS + (
        (_("Conclusion"), ("emergency_required", "safety_measures", "summary", "assessed_at")),
    )


class AssessSpecificForm(RatingsForm):
    """Mẫu 03: the content of Art. 27(1) a–h, and whether the carer keeps the child safe."""

    physical_emotional_state = forms.CharField(
        label=_("a) Physical, psychological and emotional state of the child"),
        required=False,
        widget=text_area(),
    )
    family_capacity = forms.CharField(
        label=_(
            "b) Family circumstances, the child's relationships, and the capacity of the "
            "parents and family members to protect the child"
        ),
        required=False,
        widget=text_area(),
    )
    risk_factors = forms.CharField(
        label=_("c) Factors that could lead to abuse or to further abuse"),
        required=False,
        widget=text_area(),
    )
    learning_and_self_protection = forms.CharField(
        label=_("d) Learning conditions and ability, and the child's ability to protect themself"),
        required=False,
        widget=text_area(),
    )
    community_safety = forms.CharField(
        label=_("đ) Safety and support capacity of the community where the child lives"),
        required=False,
        widget=text_area(),
    )
    needs = forms.CharField(
        label=_(
            "e) Needs: medical care, social assistance, education and vocational training, "
            "legal aid, counselling, other child-protection services"
        ),
        required=False,
        widget=text_area(),
    )
    child_views = forms.CharField(
        label=_("g) Views and wishes of the child"), required=False, widget=text_area()
    )
    carer_views = forms.CharField(
        label=_("h) Views and wishes of the parents or carer (except where they caused the harm)"),
        required=False,
        widget=text_area(),
    )
    carer_safe = yes_no_field(
        _("Do the parents or carer now keep the child safe (Art. 32(3))?"), unknown=True
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=text_area())

    required_fields = RatingsForm.required_fields + (
        "physical_emotional_state",
        "family_capacity",
        "needs",
    )
    fieldsets = (
        (
            _("Information gathered (Art. 27(1))"),
            (
                "physical_emotional_state",
                "family_capacity",
                "risk_factors",
                "learning_and_self_protection",
                "community_safety",
                "needs",
                "child_views",
                "carer_views",
            ),
        ),
        *RatingsForm.RATINGS,
        (_("Conclusion"), ("carer_safe", "summary", "assessed_at")),
    )


class ReassessSpecificForm(AssessSpecificForm):
    """Mẫu 03 again (Art. 32(3), Circular 14/2020 Art. 14(3)): the carer's safety is the point."""

    carer_safe = yes_no_field(_("Do the parents or carer now keep the child safe (Art. 32(3))?"))
    required_fields = AssessSpecificForm.required_fields + ("carer_safe",)


class RecordReviewForm(RatingsForm):
    """Mẫu 06: the ratings at the closing stage and the two conditions of Art. 30(1)."""

    no_remaining_risk = yes_no_field(_("Is the child free of any remaining risk of abuse?"))
    child_stable = yes_no_field(
        _("Are the child's physical, psychological, cognitive and emotional states stable?")
    )
    recommendation = forms.ChoiceField(
        label=_("Proposal to the chairman"),
        choices=[
            (Assessment.Recommendation.CLOSE, _("End the plan and close the case")),
            (Assessment.Recommendation.NEW_PLAN, _("Make a new support-intervention plan")),
        ],
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Close only when both conditions hold; otherwise a new plan (Art. 30(1)(b), (c))."
        ),
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=text_area())

    required_fields = RatingsForm.required_fields + (
        "no_remaining_risk",
        "child_stable",
        "recommendation",
    )
    fieldsets = (
        *RatingsForm.RATINGS,
        (
            _("Conclusion (Art. 30(1))"),
            ("no_remaining_risk", "child_stable", "recommendation", "summary", "assessed_at"),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_at"].label = _("Date of the review")


# ---------------------------------------------------------------------------------------------
# Emergency protection and temporary separation (Arts. 31, 32; Mẫu 07)


class RecordInterventionForm(StepForm):
    intervened_at = moment_field(_("Intervened at"), _("Leave empty for now."))
    measures = forms.CharField(
        label=_("Measures taken"),
        required=False,
        widget=text_area(),
        help_text=_(
            "Who stopped the harm (with which police unit), the first aid or care given, the "
            "items and documents kept as evidence."
        ),
    )

    required_fields = ("measures",)


class DecideEmergencyForm(StepForm):
    kind = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (EmergencyDecision.Kind.INTERVENTION, _("Emergency intervention (Art. 31)")),
            (
                EmergencyDecision.Kind.SEPARATION,
                _("Temporary separation of the child from the parents or carer (Mẫu 07)"),
            ),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    decision_number = forms.CharField(
        label=_("Decision number"),
        max_length=max_length(EmergencyDecision, "decision_number"),
        required=False,
    )
    decided_at = moment_field(_("Decided at"), _("Leave empty for now."))
    measures = forms.CharField(label=_("Measures"), required=False, widget=text_area())
    separated_from = forms.CharField(
        label=_("Separated from (parent or carer)"),
        max_length=max_length(EmergencyDecision, "separated_from"),
        required=False,
    )
    ground = forms.ChoiceField(
        label=_("Ground (Art. 32(1))"),
        choices=[("", "—"), *EmergencyDecision.Ground.choices],
        required=False,
    )
    safe_place = forms.CharField(
        label=_("Safe temporary residence"),
        max_length=max_length(EmergencyDecision, "safe_place"),
        required=False,
    )
    alternative_care = forms.CharField(
        label=_("Alternative care"),
        max_length=max_length(EmergencyDecision, "alternative_care"),
        required=False,
    )
    starts_at = moment_field(_("Separation starts"), _("Leave empty: from the decision."))
    ends_at = moment_field(_("Separation ends"), _("At most 15 days (Art. 32(3))."))
    authority_reference = forms.CharField(
        label=_("Competent authority's request (only beyond 15 days)"),
        max_length=max_length(SeparationExtension, "authority_reference"),
        required=False,
    )

    required_fields = ("kind", "decision_number", "measures")
    fieldsets = (
        (_("Decision"), ("kind", "decision_number", "decided_at", "measures")),
        (
            _("Temporary separation (Mẫu 07) only"),
            (
                "separated_from",
                "ground",
                "safe_place",
                "alternative_care",
                "starts_at",
                "ends_at",
                "authority_reference",
            ),
        ),
    )


class SeparationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: EmergencyDecision) -> str:
        ends = timezone.localtime(obj.ends_at).strftime("%d/%m/%Y %H:%M") if obj.ends_at else ""
        return f"{obj.decision_number} → {ends}"


def running_separations(case: Case) -> QuerySet[EmergencyDecision]:
    return case.emergency_decisions.filter(
        kind=EmergencyDecision.Kind.SEPARATION, ended_at__isnull=True
    ).order_by("decided_at")


class ExtendSeparationForm(StepForm):
    decision = SeparationChoiceField(
        label=_("Separation decision (Mẫu 07)"), queryset=EmergencyDecision.objects.none()
    )
    new_ends_at = forms.DateTimeField(label=_("New end"), widget=datetime_input())
    reason = forms.CharField(label=_("Reason"), required=False, widget=text_area())
    authority_reference = forms.CharField(
        label=_("Competent authority's request (only beyond 15 days in all)"),
        max_length=max_length(SeparationExtension, "authority_reference"),
        required=False,
    )

    required_fields = ("reason",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].queryset = running_separations(self.case)


END_BASIS_CHOICES = [
    ("carer_safe", _("A Mẫu 03 recorded since the separation began finds the carer safe")),
    ("court_decision", _("The court decided on the petition about it")),
]


class EndSeparationForm(StepForm):
    decision = SeparationChoiceField(
        label=_("Separation decision (Mẫu 07)"), queryset=EmergencyDecision.objects.none()
    )
    basis = forms.ChoiceField(
        label=_("What the end rests on (Art. 32(3))"),
        choices=END_BASIS_CHOICES,
        initial="carer_safe",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=text_area(),
        help_text=_("For example: the carer is assessed safe (Mẫu 03 of that date)."),
    )

    required_fields = ("reason",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].queryset = running_separations(self.case)


class PetitionCourtForm(StepForm):
    """The chairman's petition to the court (Law on Children Art. 52(3))."""

    subject = forms.ChoiceField(
        label=_("What the petition asks"),
        choices=CourtPetition.Subject.choices,
        widget=forms.RadioSelect,
    )
    separation = SeparationChoiceField(
        label=_("The separation it is about (Mẫu 07)"),
        queryset=EmergencyDecision.objects.none(),
        required=False,
    )
    court = forms.CharField(
        label=_("Court"),
        max_length=max_length(CourtPetition, "court"),
        required=False,
        help_text=_("Since 1 July 2025: the regional court (Tòa án nhân dân khu vực …)."),
    )
    filed_on = forms.DateField(label=_("Filed on"), required=False, widget=DATE_INPUT)
    reference = forms.CharField(
        label=_("Reference (number)"),
        max_length=max_length(CourtPetition, "reference"),
        required=False,
    )

    required_fields = ("court", "filed_on", "reference")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["separation"].queryset = running_separations(self.case)


# ---------------------------------------------------------------------------------------------
# The needs meeting and the plan (Art. 27(2), 28; Mẫu 04, 05)


class NeedsMeetingForm(StepForm):
    held_at = moment_field(_("Held at"), _("Leave empty for now."))
    chaired_by = forms.CharField(
        label=_("Chaired by"),
        max_length=max_length(NeedsMeeting, "chaired_by"),
        required=False,
        help_text=_("The chairman of the commune People's Committee (Art. 27(2))."),
    )
    attendees = forms.CharField(label=_("Attendees"), required=False, widget=text_area())
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=text_area(6))

    required_fields = ("chaired_by", "attendees", "minutes")


def organisations_for_plan(case: Case) -> QuerySet[Organisation]:
    """The active organisations of the case's commune and province, and the hotline."""
    return (
        Organisation.objects.filter(is_active=True)
        .filter(
            Q(area_id=case.commune_id)
            | Q(area_id=case.province_id)
            | Q(kind=Organisation.Kind.HOTLINE)
        )
        .order_by("kind", "name")
    )


class ActivityForm(ServiceFormMixin, forms.Form):
    measure = forms.ChoiceField(
        label=_("Measure"), choices=[("", "—"), *Measure.choices], required=False
    )
    description = forms.CharField(label=_("Service or task"), required=False, widget=text_area(2))
    organisation = forms.ModelChoiceField(
        label=_("Organisation responsible"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    person_responsible = forms.CharField(
        label=_("Person responsible"),
        max_length=max_length(PlanActivity, "person_responsible"),
        required=False,
    )
    starts_on = forms.DateField(label=_("Start"), required=False, widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Expected end"), required=False, widget=DATE_INPUT)
    resources = forms.CharField(label=_("Resources"), required=False, widget=text_area(2))
    cost = forms.DecimalField(
        label=_("Estimated cost (VND)"),
        max_digits=14,
        decimal_places=0,
        required=False,
        widget=forms.NumberInput(attrs={"step": "1000", "inputmode": "numeric"}),
    )

    required_fields = ("measure", "description", "starts_on", "ends_on")
    FIELDS = (
        "measure",
        "description",
        "organisation",
        "person_responsible",
        "starts_on",
        "ends_on",
        "resources",
        "cost",
    )

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        measures: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if measures is not None:
            # Offer the measures of the case's protection level (Law on Children Arts. 49-50);
            # the service refuses another, naming the row's measure.
            self.fields["measure"].widget.choices = [
                ("", "—"),
                *((v, t) for v, t in Measure.choices if v in measures),
            ]
        self.mark_required()


ActivityFormSet = forms.formset_factory(ActivityForm, extra=2, can_delete=True)


class DraftPlanForm(StepForm):
    """Mẫu 04: objectives, monitoring, review date, and one row per activity (Art. 28(3))."""

    objectives = forms.CharField(
        label=_("Objectives of the plan"), required=False, widget=text_area()
    )
    monitoring = forms.CharField(
        label=_("Monitoring and evaluation"), required=False, widget=text_area()
    )
    review_on = forms.DateField(label=_("Review date (Mẫu 06)"), required=False, widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("Why the plan must change"),
        required=False,
        widget=text_area(2),
        help_text=_("Only when changing a plan already in implementation (Art. 29(1)(a))."),
    )

    required_fields = ("objectives", "review_on")

    def __init__(self, data: Any = None, *args: Any, case: Case, user: User, **kwargs: Any):
        draft = case.plans.filter(status=Plan.Status.DRAFT).order_by("-version").first()
        if draft is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "objectives": draft.objectives,
                "monitoring": draft.monitoring,
                "review_on": draft.review_on,
            }
        super().__init__(data, *args, case=case, user=user, **kwargs)
        rows = []
        if draft is not None:
            rows = [
                {name: getattr(a, name) for name in ActivityForm.FIELDS}
                for a in draft.activities.select_related("organisation")
            ]
        if data is not None and "add_row" in data:
            data = self._with_one_more_row(data)
        self.activities = ActivityFormSet(
            data,
            prefix="activities",
            initial=rows or None,
            form_kwargs={
                "organisations": organisations_for_plan(case),
                "measures": measures_for(case.protection_level),
            },
        )
        self.activity_errors: list[str] = []
        self._sent_rows: list[ActivityForm] = []

    def _with_one_more_row(self, data: Any) -> Any:
        self.redisplay = True
        data = data.copy()
        try:
            total = int(data.get("activities-TOTAL_FORMS", ""))
        except ValueError:
            return data
        data["activities-TOTAL_FORMS"] = str(min(total + 1, 50))
        return data

    def is_valid(self) -> bool:
        form_ok = super().is_valid()
        activities_ok = self.activities.is_valid()
        return form_ok and activities_ok

    def service_kwargs(self) -> dict[str, Any]:
        self._sent_rows = [
            form
            for form in self.activities.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and any(form.cleaned_data.get(name) not in (None, "") for name in ActivityForm.FIELDS)
        ]
        activities = [
            {name: form.cleaned_data.get(name) for name in ActivityForm.FIELDS}
            for form in self._sent_rows
        ]
        for row in activities:
            row["description"] = row["description"] or ""
            row["person_responsible"] = row["person_responsible"] or ""
            row["resources"] = row["resources"] or ""
        return {
            "objectives": self.cleaned_data["objectives"],
            "monitoring": self.cleaned_data["monitoring"],
            "review_on": self.cleaned_data["review_on"],
            "reason": self.cleaned_data["reason"],
            "activities": activities,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put `activities[2].ends_on` on the third row sent, `activities` above the rows."""
        if not hasattr(error, "error_dict"):
            super().add_service_errors(error)
            return
        own: dict[str, list[str]] = {}
        for key, messages in error.message_dict.items():
            if key == "activities":
                self.activity_errors.extend(messages)
            elif key.startswith("activities["):
                index_text, _sep, field = key[len("activities[") :].partition("].")
                row = self._row(index_text)
                for message in messages:
                    if row is None:
                        self.activity_errors.append(message)
                    else:
                        row.add_error(field if field in row.fields else None, message)
            else:
                own[key] = messages
        if own:
            super().add_service_errors(ValidationError(own))

    def _row(self, index_text: str) -> ActivityForm | None:
        try:
            return self._sent_rows[int(index_text)]
        except (ValueError, IndexError):
            return None


class ConfirmForm(StepForm):
    """A step that needs nothing but the decision to take it."""


class ReasonForm(StepForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=text_area())

    required_fields = ("reason",)


class CloseForm(StepForm):
    reason = forms.CharField(label=_("Note"), required=False, widget=text_area())


class EndOtherwiseForm(StepForm):
    ending = forms.ChoiceField(
        label=_("How the case ended"),
        choices=Case.Ending.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    ended_on = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)
    reason = forms.CharField(label=_("Note"), required=False, widget=text_area())

    required_fields = ("ending", "ended_on")


class ApprovePlanForm(StepForm):
    """Mẫu 05: the chairman's decision approving the plan."""

    decision_number = forms.CharField(
        label=_("Decision number"),
        max_length=max_length(Plan, "decision_number"),
        required=False,
        help_text=_("For example 12/QĐ-UBND."),
    )
    decision_date = forms.DateField(label=_("Decision date"), required=False, widget=DATE_INPUT)

    required_fields = ("decision_number", "decision_date")


# ---------------------------------------------------------------------------------------------
# Transfer and merge


def current_provinces() -> QuerySet[AdministrativeUnit]:
    return AdministrativeUnit.objects.filter(
        level=AdministrativeUnit.Level.PROVINCE, valid_to__isnull=True
    ).order_by("name")


def current_communes_of(province: AdministrativeUnit | None) -> QuerySet[AdministrativeUnit]:
    if province is None:
        return AdministrativeUnit.objects.none()
    return AdministrativeUnit.objects.filter(
        level=AdministrativeUnit.Level.COMMUNE, valid_to__isnull=True, parent=province
    ).order_by("name")


class TransferForm(StepForm):
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=AdministrativeUnit.objects.none(), required=False
    )
    commune = forms.ModelChoiceField(
        label=_("Receiving commune"), queryset=AdministrativeUnit.objects.none(), required=False
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=text_area())

    required_fields = ("commune", "reason")

    def __init__(self, *args: Any, province: AdministrativeUnit | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        provinces = current_provinces()
        self.fields["province"].queryset = provinces
        if self.is_bound:
            chosen = parse_id(self.data.get("province"))
            if chosen is not None:
                province = provinces.filter(pk=chosen).first() or province
        self.chosen_province = province or self.case.province
        self.initial.setdefault("province", self.chosen_province.pk)
        self.fields["commune"].queryset = current_communes_of(self.chosen_province).exclude(
            pk=self.case.commune_id
        )

    def service_kwargs(self) -> dict[str, Any]:
        return {"commune": self.cleaned_data["commune"], "reason": self.cleaned_data["reason"]}


class MergeForm(StepForm):
    into = forms.CharField(
        label=_("Number of the case it duplicates"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"list": "case-numbers", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=text_area())

    required_fields = ("into", "reason")

    def __init__(self, *args: Any, visible_cases: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible_cases = visible_cases

    def clean_into(self) -> Case | None:
        number = self.cleaned_data["into"].strip()
        if not number:
            return None
        target = self.visible_cases.filter(number=number).first()
        if target is None:
            raise ValidationError(_("No case with this number among the cases you can see."))
        return target


# ---------------------------------------------------------------------------------------------
# The record (Mẫu 01) and the child


MULTI_CHOICE_FIELDS = {
    "abuse_forms": Case.AbuseForm,
    "sexual_abuse_types": Case.SexualAbuseType,
    "abuse_settings": Case.Setting,
    "special_circumstances": SpecialCircumstance,
}


def multi_choice(label: Any, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def commune_choices(provinces: Iterable[int]) -> QuerySet[AdministrativeUnit]:
    return AdministrativeUnit.objects.filter(
        level=AdministrativeUnit.Level.COMMUNE, valid_to__isnull=True, parent_id__in=provinces
    ).order_by("name")


class RecordFields(forms.Form):
    """Mẫu 01 (report on receipt of information), section A."""

    source = forms.ChoiceField(label=_("Source of the information"), choices=Case.Source.choices)
    channel = forms.ChoiceField(
        label=_("Received through (phone, in person, reported by someone else)"),
        choices=Case.Channel.choices,
    )
    target_group = forms.ChoiceField(
        label=_("The child belongs to the group"), choices=Case.TargetGroup.choices
    )
    abuse_forms = multi_choice(_("Forms of abuse"), Case.AbuseForm)
    sexual_abuse_types = multi_choice(_("Forms of sexual abuse"), Case.SexualAbuseType)
    abuse_settings = multi_choice(_("Where the harm happened"), Case.Setting)
    protection_level = forms.ChoiceField(
        label=_("Level of protection"), choices=Case.ProtectionLevel.choices
    )
    incident_commune = forms.ModelChoiceField(
        label=_("Commune of the incident"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    incident_place = forms.CharField(
        label=_("Place of the incident"),
        max_length=max_length(Case, "incident_place"),
        required=False,
    )
    child_location = forms.CharField(
        label=_("Where the child is now"),
        max_length=max_length(Case, "child_location"),
        required=False,
    )
    child_condition = forms.CharField(
        label=_("Current condition of the child"), required=False, widget=text_area()
    )
    expected_consequence = forms.CharField(
        label=_("Likely consequence for the child without support or intervention"),
        required=False,
        widget=text_area(),
    )
    family_situation = forms.CharField(
        label=_("Family situation"), required=False, widget=text_area()
    )
    current_carer = forms.CharField(
        label=_("Current carer of the child (if known)"),
        max_length=max_length(Case, "current_carer"),
        required=False,
    )
    prior_actions = forms.CharField(
        label=_("Support or intervention given to the child before the information was received"),
        required=False,
        widget=text_area(),
    )
    reporter_consent = forms.BooleanField(
        label=_("The person who reported agrees to give their details"),
        required=False,
        help_text=_("Without this agreement their name, phone and address are not kept."),
    )
    reporter_name = forms.CharField(
        label=_("Reporter's full name"),
        max_length=max_length(Case, "reporter_name"),
        required=False,
    )
    reporter_phone = forms.CharField(
        label=_("Reporter's phone number"),
        max_length=max_length(Case, "reporter_phone"),
        required=False,
    )
    reporter_address = forms.CharField(
        label=_("Reporter's address"),
        max_length=max_length(Case, "reporter_address"),
        required=False,
    )
    additional_notes = forms.CharField(
        label=_("Additional notes"), required=False, widget=text_area()
    )

    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis for processing the child's data"),
        choices=LawfulBasis.choices,
        required=False,
        help_text=_(
            "Personal Data Protection Law 2025. Most cases rest on the statutory duty; choose "
            "consent only when a consent is recorded on the case."
        ),
    )
    lawful_basis_note = forms.CharField(
        label=_("Legal reference or explanation"),
        max_length=max_length(Case, "lawful_basis_note"),
        required=False,
    )

    RECORD = RECORD_FIELDS
    REPORTER = ("reporter_consent", *REPORTER_FIELDS)
    LAWFUL_BASIS = ("lawful_basis", "lawful_basis_note")


class ChildFields(forms.Form):
    full_name = forms.CharField(
        label=_("Child's full name"), max_length=max_length(Child, "full_name"), required=False
    )
    other_names = forms.CharField(
        label=_("Other names"), max_length=max_length(Child, "other_names"), required=False
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN, widget=forms.RadioSelect
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_INPUT)
    estimated_age = forms.IntegerField(
        label=_("or estimated age"), required=False, min_value=0, max_value=17
    )
    ethnic_group = forms.ChoiceField(
        label=_("Ethnic group"), choices=[("", "—"), *EthnicGroup.choices], required=False
    )
    residence_commune = forms.ModelChoiceField(
        label=_("Commune of residence"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    address = forms.CharField(
        label=_("Address"), max_length=max_length(Child, "address"), required=False
    )
    school_name = forms.CharField(
        label=_("School"), max_length=max_length(Child, "school_name"), required=False
    )
    special_circumstances = multi_choice(
        _("Special circumstances (Law on Children Art. 10)"), SpecialCircumstance
    )

    CHILD = CHILD_FIELDS


PARENT_FIELDS = {
    "father": (FamilyMember.Relation.FATHER, _("Father's full name")),
    "mother": (FamilyMember.Relation.MOTHER, _("Mother's full name")),
}
LEVEL_FROM_TARGET_GROUP = _("From the target group (abused: intervention; otherwise support)")


class CaseOpenForm(ServiceFormMixin, RecordFields, ChildFields):
    """Open a case from a report received at the commune (Mẫu 01)."""

    commune = forms.ModelChoiceField(
        label=_("Responsible commune"), queryset=AdministrativeUnit.objects.none()
    )
    received_at = moment_field(
        _("Time and date the information was received"),
        _("This starts the 12-hour clock (Art. 26(3)). Leave empty for now."),
    )
    father_name = forms.CharField(label=_("Father's full name"), max_length=200, required=False)
    father_age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    father_occupation = forms.CharField(label=_("Occupation"), max_length=120, required=False)
    mother_name = forms.CharField(label=_("Mother's full name"), max_length=200, required=False)
    mother_age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    mother_occupation = forms.CharField(label=_("Occupation"), max_length=120, required=False)

    fieldsets = (
        (_("1. Source of the information"), ("commune", "received_at", "source", "channel")),
        (
            _("2. About the child"),
            (
                "full_name",
                "other_names",
                "sex",
                "date_of_birth",
                "estimated_age",
                "ethnic_group",
                "residence_commune",
                "address",
                "school_name",
                "special_circumstances",
                "target_group",
                "abuse_forms",
                "sexual_abuse_types",
                "abuse_settings",
                "protection_level",
                "incident_commune",
                "incident_place",
                "child_location",
                "child_condition",
                "expected_consequence",
                "father_name",
                "father_age",
                "father_occupation",
                "mother_name",
                "mother_age",
                "mother_occupation",
                "family_situation",
                "current_carer",
                "prior_actions",
            ),
        ),
        (
            _("3. About the person who reported (if they agree to give it)"),
            RecordFields.REPORTER,
        ),
        (_("Other"), ("additional_notes",)),
        (_("4. Lawful basis for processing"), RecordFields.LAWFUL_BASIS),
    )

    def __init__(self, *args: Any, communes: list[AdministrativeUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = AdministrativeUnit.objects.filter(
            pk__in=[c.pk for c in communes]
        ).order_by("name")
        if communes:
            self.initial.setdefault("commune", communes[0].pk)
        nearby = commune_choices({c.parent_id for c in communes})
        self.fields["incident_commune"].queryset = nearby
        self.fields["residence_commune"].queryset = nearby
        for name in ("channel", "target_group", "lawful_basis"):
            self.initial.setdefault(name, Case._meta.get_field(name).default)
        self.initial.setdefault("source", Case.Source.COMMUNE)
        # Left to the target group, the service decides (abused: intervention; else support).
        level = self.fields["protection_level"]
        level.required = False
        level.choices = [("", LEVEL_FROM_TARGET_GROUP), *Case.ProtectionLevel.choices]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "commune": data["commune"],
            "received_at": data["received_at"],
            "child": {name: data[name] for name in ChildFields.CHILD},
            **{name: data[name] for name in RecordFields.RECORD},
        }

    def parents(self) -> list[dict[str, Any]]:
        """The father and mother rows of Mẫu 01, as family members to add."""
        data = self.cleaned_data
        members = []
        for key, (relation, _label) in PARENT_FIELDS.items():
            name, age, occupation = (
                data[f"{key}_name"],
                data[f"{key}_age"],
                data[f"{key}_occupation"],
            )
            if name or age is not None or occupation:
                members.append(
                    {"relation": relation, "full_name": name, "age": age, "occupation": occupation}
                )
        return members


class VersionedForm(ServiceFormMixin, forms.Form):
    """An edit that says which version of the case it started from (lost-update check)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def changes(self, names: Iterable[str]) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in names}


class RecordEditForm(VersionedForm, RecordFields):
    fieldsets = (
        (_("1. Source of the information"), ("source", "channel")),
        (
            _("2. About the child"),
            (
                "target_group",
                "abuse_forms",
                "sexual_abuse_types",
                "abuse_settings",
                "protection_level",
                "incident_commune",
                "incident_place",
                "child_location",
                "child_condition",
                "expected_consequence",
                "family_situation",
                "current_carer",
                "prior_actions",
            ),
        ),
        (
            _("3. About the person who reported (if they agree to give it)"),
            RecordFields.REPORTER,
        ),
        (_("Other"), ("additional_notes",)),
        (_("4. Lawful basis for processing"), RecordFields.LAWFUL_BASIS),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "version": case.version,
                **{name: getattr(case, name) for name in RecordFields.RECORD},
                "incident_commune": case.incident_commune_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["incident_commune"].queryset = commune_choices([case.province_id])


class ChildEditForm(VersionedForm, ChildFields):
    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        child = case.child
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "version": case.version,
                **{name: getattr(child, name) for name in ChildFields.CHILD},
                "residence_commune": child.residence_commune_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["residence_commune"].queryset = commune_choices([case.province_id])


class FamilyMemberForm(ServiceFormMixin, forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=max_length(FamilyMember, "full_name"), required=False
    )
    relation = forms.ChoiceField(
        label=_("Relation to the child"),
        choices=[("", "—"), *FamilyMember.Relation.choices],
        required=False,
    )
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    occupation = forms.CharField(
        label=_("Occupation"), max_length=max_length(FamilyMember, "occupation"), required=False
    )
    contact = forms.CharField(
        label=_("Contact"), max_length=max_length(FamilyMember, "contact"), required=False
    )
    is_caregiver = forms.BooleanField(label=_("Cares for the child now"), required=False)
    is_alleged_perpetrator = forms.BooleanField(
        label=_("Alleged to have caused the harm"), required=False
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=text_area(2))

    required_fields = ("relation",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()


class NoteForm(ServiceFormMixin, forms.Form):
    text = forms.CharField(label=_("Note"), required=False, widget=text_area(3))


class IncidentLinkForm(ServiceFormMixin, forms.Form):
    other_number = forms.CharField(
        label=_("Case number of another child harmed in the same incident"),
        max_length=20,
        error_messages={"required": _("Give the other case's number.")},
    )
    title = forms.CharField(
        label=_("Name of the incident (when it is new)"), max_length=200, required=False
    )

    def add_service_errors(self, error) -> None:
        # The service names the other case `other`; on this form it is its number.
        messages = getattr(error, "message_dict", {"__all__": error.messages})
        for field, texts in messages.items():
            target = "other_number" if field == "other" else field
            for text in texts:
                self.add_error(target if target in self.fields else None, text)


class DocumentForm(ServiceFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        error_messages={"required": _("Choose a file to upload.")},
        help_text=_("PDF, JPEG, PNG or Word (.docx), at most %(size)s MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CaseDocument.Kind.choices, initial=CaseDocument.Kind.OTHER
    )
    description = forms.CharField(
        label=_("Description"), max_length=max_length(CaseDocument, "description"), required=False
    )

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_text = self.fields["file"].help_text
        self.fields["file"].help_text = help_text % {"size": round(max_bytes / 1048576, 1)}


# ---------------------------------------------------------------------------------------------
# Carrying out the approved plan (cases.activities): who received it, each activity's progress


class DistributionForm(ServiceFormMixin, forms.Form):
    """One recipient of the approved decision and plan (Decree 56 Art. 28(5))."""

    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=max_length(DecisionDistribution, "recipient"),
        required=False,
        help_text=_("The person, or the office of the organisation, who received it."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation (if it carries out an activity)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    is_carer = forms.BooleanField(label=_("The parents or carer of the child"), required=False)
    sent_on = forms.DateField(label=_("Sent on"), required=False, widget=DATE_INPUT)
    method = forms.ChoiceField(
        label=_("How"), choices=[("", "—"), *DecisionDistribution.Method.choices], required=False
    )

    required_fields = ("recipient", "sent_on", "method")

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_for_plan(case)
        self.fields["sent_on"].initial = timezone.localdate()
        self.mark_required()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recipient": data.get("recipient") or "",
            "organisation": data.get("organisation"),
            "is_carer": bool(data.get("is_carer")),
            "sent_on": data.get("sent_on"),
            "method": data.get("method") or "",
        }


class ActivityProgressForm(ServiceFormMixin, forms.Form):
    """How a plan activity is getting on: its status now, and a note (why, when dropped)."""

    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *PlanActivity.Status.choices], required=False
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=text_area(3),
        help_text=_("What was done or found; required when the activity is dropped: say why."),
    )

    required_fields = ("status",)

    def __init__(self, *args: Any, activity: PlanActivity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].initial = activity.status
        self.mark_required()

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "status": self.cleaned_data.get("status") or "",
            "note": self.cleaned_data.get("note") or "",
        }


# ---------------------------------------------------------------------------------------------
# The alleged perpetrator (cases.perpetrators)


def _family_choice(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class PerpetratorForm(ServiceFormMixin, forms.Form):
    relation = forms.ChoiceField(
        label=_("Relation to the child"),
        choices=[("", "—"), *Perpetrator.Relation.choices],
        required=False,
        help_text=_("Left empty with a family member chosen: from their relation."),
    )
    family_member = forms.ModelChoiceField(
        label=_("Which family member (if the person is in the child's family)"),
        queryset=FamilyMember.objects.none(),
        required=False,
    )
    is_family_member = forms.TypedChoiceField(
        label=_("A member of the child's family"),
        choices=[
            ("", _("As the relation says (parent, step-parent, relative: yes)")),
            ("yes", _("Yes")),
            ("no", _("No")),
        ],
        coerce=_family_choice,
        empty_value=None,
        required=False,
    )
    # Left empty: from the family member chosen, else unknown.
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=[("", "—"), *Perpetrator.AgeBand.choices], required=False
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=max_length(Perpetrator, "description"),
        required=False,
        help_text=_("What is known of the person, as far as the case needs it."),
    )

    required_fields = ("relation",)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["family_member"].queryset = case.child.family_members.all()
        self.mark_required()
