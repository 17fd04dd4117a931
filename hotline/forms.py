"""
Forms for the intake pages. They turn what people type into values; hotline.services decides
what a call, a report or a triage decision needs, and its ValidationError is shown next to the
field it names (`add_service_errors`). Choice fields are not required here: the service says
what is missing, in its own words.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import AdministrativeUnit
from cases.forms import (
    ServiceFormMixin,
    current_communes_of,
    current_provinces,
    datetime_input,
    max_length,
    parse_id,
    text_area,
)
from cases.models import Case, Sex
from hotline.models import Call, CloseReason, CollaboratorReport, TelephonyCall, Urgency
from hotline.phones import caller_number_display

# Hotline 111's line opened in 2004: a call before 2000 is a typing mistake.
EARLIEST_YEAR = 2000
DURATION = re.compile(r"^(?:(\d{1,2}):)?(\d{1,4})(?::(\d{1,2}))?$")


def duration_text(seconds: int | None) -> str:
    """Write a number of seconds the way the duration field reads it: 7:05."""
    if seconds is None:
        return ""
    minutes, seconds = divmod(max(seconds, 0), 60)
    return f"{minutes}:{seconds:02d}"


def duration_seconds(text: str) -> int | None:
    """
    Read a duration typed as minutes (7), minutes:seconds (7:30) or hours:minutes:seconds
    (1:02:30). None when empty; ValueError when it is none of these.
    """
    text = text.strip().replace(" ", "")
    if not text:
        return None
    match = DURATION.match(text)
    if match is None:
        raise ValueError(text)
    hours, minutes, seconds = match.groups()
    if hours is not None and seconds is None:
        # "7:30" matched as hours=7, minutes=30: it means minutes:seconds.
        hours, minutes, seconds = None, hours, minutes
    if seconds is not None and int(seconds) >= 60:
        raise ValueError(text)
    if hours is not None and int(minutes) >= 60:
        raise ValueError(text)
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds or 0)


def choice(choices: Any, label: Any, *, radio: bool = False, **kwargs: Any) -> forms.ChoiceField:
    widget = forms.RadioSelect(attrs={"class": "pills"}) if radio else forms.Select()
    return forms.ChoiceField(
        label=label,
        choices=[("", "—"), *choices] if not radio else list(choices),
        required=False,
        widget=widget,
        **kwargs,
    )


class CommuneField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdministrativeUnit) -> str:
        return obj.name


class IntakeForm(ServiceFormMixin, forms.Form):
    """A form whose service errors may name a field under another name (`service_names`)."""

    # The service's name of a field -> this form's (None: above the form).
    service_names: dict[str, str | None] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            super().add_service_errors(error)
            return
        for field, messages in error.message_dict.items():
            target = self.service_names.get(field, field)
            if target not in self.fields or target in self.hidden_names:
                target = None
            for message in messages:
                self.add_error(target, message)


# ---------------------------------------------------------------------------------------------
# The operator's call screen


class PlacePicker:
    """A province select and the commune select of the chosen province, without JavaScript."""

    def __init__(self, form: forms.Form, prefix: str, fallback: Any = None) -> None:
        self.prefix = prefix
        province_field = form.fields[f"{prefix}_province"]
        commune_field = form.fields[f"{prefix}_commune"]
        provinces = current_provinces()
        province_field.queryset = provinces
        source = form.data if form.is_bound else form.initial
        chosen = parse_id(_pk(source.get(f"{prefix}_province")))
        if chosen is None and fallback is not None:
            chosen = parse_id(_pk(fallback))
            if chosen is not None:
                if form.is_bound:
                    form.data = form.data.copy()
                    form.data[f"{prefix}_province"] = str(chosen)
                else:
                    form.initial[f"{prefix}_province"] = chosen
        self.province_id = chosen
        commune_field.queryset = (
            current_communes_of(provinces.filter(pk=chosen).first())
            if chosen is not None
            else AdministrativeUnit.objects.none()
        )


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


class CallForm(IntakeForm):
    """One screen to log a call (Mẫu 01 where the call is a report about a child)."""

    telephony = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    started_at = forms.DateTimeField(
        label=_("Start time"),
        required=False,
        widget=datetime_input(),
        help_text=_("Now, unless you change it."),
    )
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "7:30"}),
        help_text=_("Minutes, or minutes:seconds (7 or 7:30)."),
    )
    caller_number = forms.CharField(
        label=_("Caller's number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Empty if the number was withheld. Short numbers such as 113 are accepted."),
    )
    channel = choice(Call.Channel.choices, _("Channel"), initial=Call.Channel.PHONE)
    call_type = choice(Call.CallType.choices, _("Call type"), radio=True)
    caller_relation = choice(
        Call.CallerRelation.choices,
        _("Caller's relation to the child"),
        initial=Call.CallerRelation.UNKNOWN,
    )
    caller_consents = forms.BooleanField(
        label=_("The caller agrees to be identified"),
        required=False,
        help_text=_("Without this agreement their name, number and address are not kept."),
    )
    caller_name = forms.CharField(
        label=_("Caller's name"), required=False, max_length=max_length(Call, "caller_name")
    )
    caller_address = forms.CharField(
        label=_("Caller's address"), required=False, max_length=max_length(Call, "caller_address")
    )
    child_name = forms.CharField(
        label=_("Child's name (as known)"),
        required=False,
        max_length=max_length(Call, "child_name"),
        help_text=_("A given name is enough."),
    )
    child_age = forms.IntegerField(
        label=_("Estimated age"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 17}),
    )
    child_sex = choice(Sex.choices, _("Sex"), radio=True, initial=Sex.UNKNOWN)
    incident_province = forms.ModelChoiceField(
        label=_("Province where it happened"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    incident_commune = CommuneField(
        label=_("Commune where it happened"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    place = forms.CharField(
        label=_("Place (village, street, school…)"),
        required=False,
        max_length=max_length(Call, "place"),
    )
    residence_province = forms.ModelChoiceField(
        label=_("Province where the child lives"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    residence_commune = CommuneField(
        label=_("Commune where the child lives"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    narrative = forms.CharField(label=_("What happened"), required=False, widget=text_area(4))
    urgency = choice(Urgency.choices, _("Urgency"), radio=True, initial=Urgency.NORMAL)
    child_condition = forms.CharField(
        label=_("Current condition of the child"), required=False, widget=text_area(2)
    )
    expected_consequence = forms.CharField(
        label=_("Likely consequence for the child without support or intervention"),
        required=False,
        widget=text_area(2),
    )
    family_situation = forms.CharField(
        label=_("Family situation"), required=False, widget=text_area(2)
    )
    current_carer = forms.CharField(
        label=_("Current carer of the child (if known)"),
        required=False,
        max_length=max_length(Call, "current_carer"),
    )
    prior_actions = forms.CharField(
        label=_("Support or intervention given to the child before the call"),
        required=False,
        widget=text_area(2),
    )

    required_fields = ("call_type",)
    service_names = {"duration_seconds": "duration", "telephony": None}
    CALL = ("caller_number", "started_at", "duration", "channel", "call_type")
    CALLER = ("caller_relation", "caller_consents", "caller_name", "caller_address")
    CHILD = ("child_name", "child_age", "child_sex")
    INCIDENT = ("incident_province", "incident_commune", "place")
    RESIDENCE = ("residence_province", "residence_commune")
    WHAT = ("narrative", "urgency")
    FORM_01 = (
        "child_condition",
        "expected_consequence",
        "family_situation",
        "current_carer",
        "prior_actions",
    )
    TEXTS = (
        "child_name",
        "place",
        "narrative",
        "caller_name",
        "caller_address",
        *FORM_01,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()
        self.incident = PlacePicker(self, "incident")
        source = self.data if self.is_bound else self.initial
        # The child usually lives where it happened: the same province until told otherwise.
        self.residence = PlacePicker(self, "residence", fallback=source.get("incident_province"))

    def group(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    @property
    def call_fields(self) -> list[forms.BoundField]:
        return self.group(self.CALL)

    @property
    def caller_fields(self) -> list[forms.BoundField]:
        return self.group(("caller_relation", "caller_consents"))

    @property
    def identity_fields(self) -> list[forms.BoundField]:
        return self.group(("caller_name", "caller_address"))

    @property
    def child_fields(self) -> list[forms.BoundField]:
        return self.group(self.CHILD)

    @property
    def what_fields(self) -> list[forms.BoundField]:
        return self.group(self.WHAT)

    @property
    def form01_fields(self) -> list[forms.BoundField]:
        return self.group(self.FORM_01)

    def clean_started_at(self) -> Any:
        value = self.cleaned_data["started_at"]
        if value is not None and value.year < EARLIEST_YEAR:
            # Year 1 would overflow when converted to UTC for the database (a 500, not a page).
            raise ValidationError(_("Give the real date and time of the call."), code="invalid")
        return value

    def clean_duration(self) -> int | None:
        try:
            return duration_seconds(self.cleaned_data["duration"])
        except ValueError:
            raise ValidationError(
                _("Give minutes, or minutes:seconds, e.g. 7 or 7:30."), code="invalid"
            ) from None

    def service_kwargs(self, telephony: TelephonyCall | None) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {name: data[name] for name in self.TEXTS}
        kwargs.update(
            call_type=data["call_type"],
            channel=data["channel"],
            caller_relation=data["caller_relation"],
            urgency=data["urgency"],
            child_sex=data["child_sex"],
            child_age=data["child_age"],
            started_at=data["started_at"],
            duration_seconds=data["duration"],
            caller_number=data["caller_number"],
            caller_consents=data["caller_consents"],
            incident_commune=data["incident_commune"],
            residence_commune=data["residence_commune"],
            telephony=telephony,
        )
        return kwargs


def call_form_initial(telephony: TelephonyCall | None, now: Any) -> dict[str, Any]:
    """A fresh call screen: now, or what the call centre said about the ringing call."""
    initial: dict[str, Any] = {"started_at": now, "channel": Call.Channel.PHONE}
    if telephony is None:
        return initial
    initial["telephony"] = telephony.call_id
    if telephony.started_at:
        initial["started_at"] = telephony.started_at
    initial["duration"] = duration_text(telephony.duration_seconds)
    if telephony.caller_number_kind == "number":
        # As people read it (0912 345 678); the service parses it back to E.164.
        initial["caller_number"] = caller_number_display(telephony.caller_number, "number")
    elif telephony.caller_number_kind == "short":
        initial["caller_number"] = telephony.caller_number
    return initial


def redisplay_initial(form: CallForm, data: Any) -> dict[str, Any]:
    """What the person typed, as the initial values of an unbound form (no errors shown yet)."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField):
            initial[name] = bool(data.get(name))
        else:
            initial[name] = data.get(name, "")
    return initial


# ---------------------------------------------------------------------------------------------
# The collaborator's report


class ReportForm(IntakeForm):
    """Four things, under a minute, from a phone: the child, where, what, how urgent."""

    child_name = forms.CharField(
        label=_("Name, if you know it"),
        required=False,
        max_length=max_length(CollaboratorReport, "child_name"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    child_age = forms.IntegerField(
        label=_("Age (about)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 17}),
    )
    place = forms.CharField(
        label=_("Village, hamlet or house"),
        required=False,
        max_length=max_length(CollaboratorReport, "place"),
    )
    narrative = forms.CharField(label=_("What is happening?"), required=False, widget=text_area(4))
    urgency = choice(Urgency.choices, _("How urgent is it?"), radio=True, initial=Urgency.NORMAL)
    commune = CommuneField(
        label=_("Commune"), queryset=AdministrativeUnit.objects.none(), required=False
    )

    required_fields = ("narrative",)

    def __init__(self, *args: Any, communes: list[AdministrativeUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()
        self.fields["commune"].queryset = AdministrativeUnit.objects.filter(
            pk__in=[c.pk for c in communes]
        ).order_by("name")
        if len(communes) < 2:
            # One commune: nothing to choose.
            del self.fields["commune"]
        else:
            self.initial.setdefault("commune", communes[0].pk)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            "child_name": data["child_name"],
            "child_age": data["child_age"],
            "place": data["place"],
            "narrative": data["narrative"],
            "urgency": data["urgency"] or Urgency.NORMAL,
        }
        if data.get("commune") is not None:
            kwargs["commune"] = data["commune"]
        return kwargs


# ---------------------------------------------------------------------------------------------
# Triage


class OpenCaseForm(IntakeForm):
    commune = CommuneField(
        label=_("Commune that must act"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        help_text=_("Leave as it is to use the commune where it happened."),
    )

    def __init__(
        self, *args: Any, communes: QuerySet[AdministrativeUnit] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if communes is None:
            del self.fields["commune"]
        else:
            self.fields["commune"].queryset = communes

    def service_kwargs(self) -> dict[str, Any]:
        return {"commune": self.cleaned_data.get("commune")}


class LinkForm(IntakeForm):
    case = forms.CharField(
        label=_("Number of the case"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=text_area(2))

    required_fields = ("case",)

    def __init__(self, *args: Any, open_cases: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_cases = open_cases
        self.mark_required()

    def clean_case(self) -> Case:
        number = self.cleaned_data["case"].strip()
        if not number:
            raise ValidationError(_("Give the number of the case."), code="required")
        case = self.open_cases.filter(number__iexact=number).first()
        if case is None:
            raise ValidationError(
                _("No open case that you may choose has this number."), code="invalid"
            )
        return case


class CloseForm(IntakeForm):
    reason = choice(CloseReason.choices, _("Reason for closing"), radio=True)
    note = forms.CharField(label=_("Note"), required=False, widget=text_area(2))

    required_fields = ("reason",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()


class CallFilterForm(forms.Form):
    call_type = choice(Call.CallType.choices, _("Call type"))
    status = choice(
        [(value, label) for value, label in Call._meta.get_field("status").choices],
        _("Status"),
    )
