"""
Forms for the referral pages. They turn what people type into values; referrals.services (and
cases.services for consent) decide what a referral needs, and their ValidationError is shown
next to the field it names (`add_service_errors`, as on the case pages).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from cases.forms import ServiceFormMixin, datetime_input, max_length, text_area, yes_no_field
from cases.models import Case, ConsentRecord, Measure, PlanActivity
from referrals.models import Referral, ReferralUpdate
from referrals.services import RECEIVING_KINDS

KIND_LABELS = dict(Organisation.Kind.choices)
RECEIVING_KIND_CHOICES = [(kind.value, KIND_LABELS[kind]) for kind in RECEIVING_KINDS]


def receiving_kind(value: Any) -> str | None:
    """Return a kind of organisation that receives referrals, or None for anything else."""
    value = str(value or "")
    return value if value in {k.value for k in RECEIVING_KINDS} else None


def local_input(value: Any) -> str:
    """A datetime as the datetime-local input shows it, in the local time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def consent_label(consent: ConsentRecord) -> str:
    given = timezone.localtime(consent.given_at).strftime("%d/%m/%Y")
    kinds = ", ".join(str(KIND_LABELS.get(k, k)) for k in consent.recipient_kinds)
    return f"{consent.representative_name} ({consent.representative_relation}) · {given} · {kinds}"


def activity_label(activity: PlanActivity) -> str:
    """An activity of the plan as a choice: what, and from when to when."""
    starts, ends = activity.starts_on.strftime("%d/%m/%Y"), activity.ends_on.strftime("%d/%m/%Y")
    return f"{activity.description[:80]} ({starts}–{ends})"


class KindPickForm(forms.Form):
    """The GET form that picks the kind of organisation (no JavaScript needed)."""

    kind = forms.ChoiceField(
        label=_("Kind of organisation"), choices=[("", "—"), *RECEIVING_KIND_CHOICES]
    )


class ReferralSendForm(ServiceFormMixin, forms.Form):
    """Refer a case to an organisation of one kind near it."""

    kind = forms.ChoiceField(choices=RECEIVING_KIND_CHOICES, widget=forms.HiddenInput)
    organisation = forms.ChoiceField(label=_("Receiving organisation"), required=False)
    purpose = forms.ChoiceField(
        label=_("Purpose (support or intervention measure)"),
        choices=[("", "—"), *Measure.choices],
        required=False,
    )
    message = forms.CharField(
        label=_("Message to the receiving organisation"),
        required=False,
        widget=text_area(4),
        help_text=_("Say what you ask of them. They also see the case summary their sector needs."),
    )
    acknowledge_due_at = forms.DateTimeField(
        label=_("Acknowledgement due by"),
        required=False,
        widget=datetime_input(),
        help_text=_("Filled in from the deadline rule (1 working day). Leave it or change it."),
    )
    feedback_due_at = forms.DateTimeField(
        label=_("Feedback due by"),
        required=False,
        widget=datetime_input(),
        help_text=_("Filled in from the deadline rule (5 working days). Leave it or change it."),
    )
    consent = forms.ChoiceField(label=_("Consent relied on"), required=False)
    phoned_at = forms.DateTimeField(
        label=_("Told the police by phone at"),
        required=False,
        widget=datetime_input(),
        help_text=_(
            "A crime report: if you told the police by phone first (Criminal Procedure Code "
            "Art. 146(4)), when. The report counts as passed on then; confirm it in writing after."
        ),
    )
    activity = forms.ChoiceField(
        label=_("Plan activity it carries out"),
        required=False,
        help_text=_(
            "Optional: the activity of the approved plan this referral carries out (Decree 56 "
            "Art. 28(3))."
        ),
    )

    required_fields = ("organisation", "purpose", "message")

    def __init__(
        self,
        *args: Any,
        kind: str,
        organisations: list[Organisation],
        consents: list[ConsentRecord],
        consent_required: bool,
        defaults: dict[str, Any],
        activities: list[PlanActivity] | None = None,
        initial_activity: str = "",
        crime_report: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.crime_report = crime_report and kind == Organisation.Kind.POLICE
        if not self.crime_report:
            del self.fields["phoned_at"]
        self.activities = {str(a.public_id): a for a in activities or []}
        if self.activities:
            self.fields["activity"].choices = [("", "—")] + [
                (key, activity_label(a)) for key, a in self.activities.items()
            ]
            if initial_activity in self.activities:
                self.fields["activity"].initial = initial_activity
        else:
            del self.fields["activity"]
        self.organisations = {str(o.public_id): o for o in organisations}
        self.consents = {str(c.public_id): c for c in consents}
        self.consent_required = consent_required
        self.fields["kind"].initial = kind
        self.fields["organisation"].choices = [("", "—")] + [
            (key, f"{o.name} · {o.area.name}" if o.area else o.name)
            for key, o in self.organisations.items()
        ]
        if len(self.organisations) == 1:
            self.fields["organisation"].initial = next(iter(self.organisations))
        self.fields["consent"].choices = [("", "—")] + [
            (key, consent_label(c)) for key, c in self.consents.items()
        ]
        self.fields["acknowledge_due_at"].initial = local_input(defaults["acknowledge_due_at"])
        self.fields["feedback_due_at"].initial = local_input(defaults["feedback_due_at"])
        if consent_required:
            self.fields["consent"].show_required = True
            self.fields["consent"].help_text = _(
                "Only the consents recorded for this case that cover this kind of organisation "
                "and have not been withdrawn are offered."
            )
        else:
            del self.fields["consent"]
        self.mark_required()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "organisation": self.organisations.get(data.get("organisation") or ""),
            "purpose": data.get("purpose") or "",
            "message": data.get("message") or "",
            "acknowledge_due_at": data.get("acknowledge_due_at"),
            "feedback_due_at": data.get("feedback_due_at"),
            "consent": self.consents.get(data.get("consent") or "")
            if self.consent_required
            else None,
            "activity": self.activities.get(data.get("activity") or ""),
            "phoned_at": data.get("phoned_at") if self.crime_report else None,
        }


class ConsentForm(ServiceFormMixin, forms.Form):
    """Record consent to share the case (Law on Children Art. 6(11), 33; PDPL 2025)."""

    recipient_kinds = forms.MultipleChoiceField(
        label=_("Kinds of organisation the consent covers"),
        choices=RECEIVING_KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    representative_name = forms.CharField(
        label=_("Parent or representative"),
        max_length=max_length(ConsentRecord, "representative_name"),
        required=False,
    )
    representative_relation = forms.CharField(
        label=_("Relation to the child"),
        max_length=max_length(ConsentRecord, "representative_relation"),
        required=False,
    )
    representative_consented = yes_no_field(_("Does the parent or representative consent?"))
    child_consented = yes_no_field(_("Does the child consent?"))
    method = forms.ChoiceField(
        label=_("How the consent was given"),
        choices=ConsentRecord.Method.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    witness = forms.CharField(
        label=_("Witness"),
        max_length=max_length(ConsentRecord, "witness"),
        required=False,
        help_text=_("Needed when the consent was given verbally."),
    )
    given_at = forms.DateTimeField(
        label=_("Given at"),
        required=False,
        widget=datetime_input(),
        help_text=_("Leave empty for now."),
    )

    required_fields = (
        "recipient_kinds",
        "representative_name",
        "representative_relation",
        "representative_consented",
        "method",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        age = case.child.age
        self.child_must_answer = age is None or age >= 7
        if self.child_must_answer:
            self.fields["child_consented"].show_required = True
            self.fields["child_consented"].help_text = _(
                "The child is aged 7 or more, or of unknown age: ask the child and record "
                "the answer."
            )
        else:
            self.fields["child_consented"].help_text = _(
                "The child is under 7: their answer is recorded if they gave one."
            )
        self.mark_required()

    def clean_representative_consented(self) -> bool | None:
        value = self.cleaned_data.get("representative_consented")
        if value is None:
            raise forms.ValidationError(_("Record the answer of the parent or representative."))
        return value

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recipient_kinds": list(data.get("recipient_kinds") or []),
            "representative_name": data.get("representative_name") or "",
            "representative_relation": data.get("representative_relation") or "",
            "representative_consented": bool(data.get("representative_consented")),
            "child_consented": data.get("child_consented"),
            "method": data.get("method") or "",
            "witness": data.get("witness") or "",
            "given_at": data.get("given_at"),
        }


class WithdrawConsentForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Why is the consent withdrawn?"),
        required=False,
        widget=text_area(2),
        help_text=_("Every open referral that relies on this consent is revoked at once."),
    )


class ReasonForm(ServiceFormMixin, forms.Form):
    """Declining and revoking need a reason (the service says so when it is missing)."""

    reason = forms.CharField(label=_("Reason"), required=False, widget=text_area(3))
    required_fields = ("reason",)

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["reason"].label = label
        self.mark_required()


class CompleteForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        widget=text_area(2),
        help_text=_("Optional: what the referral achieved."),
    )


class UpdateForm(ServiceFormMixin, forms.Form):
    """An action taken or feedback given by the receiving organisation."""

    kind = forms.ChoiceField(
        label=_("Kind of entry"),
        choices=ReferralUpdate.Kind.choices,
        initial=ReferralUpdate.Kind.FEEDBACK,
        required=False,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=_("What was done or found"), required=False, widget=text_area(4))
    required_fields = ("kind", "text")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()


class WrittenNoticeForm(ServiceFormMixin, forms.Form):
    """The written notice confirming a crime report to the police (CPC Art. 146(4))."""

    reference = forms.CharField(
        label=_("Number of the written notice"),
        max_length=max_length(Referral, "written_reference"),
        required=False,
    )
    written_on = forms.DateField(
        label=_("Date of the written notice"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    required_fields = ("reference", "written_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()
