"""
The auditor's search of the trail, as a form (the page) and as the rules it shares with the
API's filter serializer (audit.serializers): how a case is named, how a time is read, what a
period is. Times without an offset are Vietnam's local time; the trail keeps UTC.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from audit.models import AuditEntry
from audit.selectors import AuditSearch, CaseFilter, case_id_for_number

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
CASE_MAX_LENGTH = 64
USER_MAX_LENGTH = 150

MESSAGES = {
    "moment": _("Give a date (2026-01-31) or a date and time (2026-01-31 08:30)."),
    "range": _("Give a date between 2000 and 2100."),
    "period": _("The end of the period is before its start."),
    "organisation": _("No organisation has this id."),
    "choice": _("Choose one of the values offered."),
}
CASE_HELP = _("A case number (e.g. 2026-000042) or a case id.")
MOMENT_HELP = _("A date, or a date and time, in Vietnam time.")


def label(field_name: str) -> Any:
    """The label of a filter: the name the trail gives the field it filters."""
    return capfirst(AuditEntry._meta.get_field(field_name).verbose_name)


def text_value(value: str, limit: int) -> str:
    """Text typed into a filter, at most `limit` characters."""
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(
            gettext("At most %(limit)s characters.") % {"limit": limit}, code="max_length"
        )
    return value


def case_filter(value: str) -> CaseFilter | None:
    """
    Read the case asked for: a case id (any spelling of a UUID) names itself; anything else is
    a case number, looked up without any access to the case. A number no case has names none.
    """
    value = text_value(value, CASE_MAX_LENGTH)
    if not value:
        return None
    try:
        case_id = str(uuid.UUID(value))
    except ValueError:
        return CaseFilter(asked=value, case_id=case_id_for_number(value))
    return CaseFilter(asked=case_id, case_id=case_id)


def parse_moment(value: Any, *, end_of_day: bool = False) -> datetime.datetime | None:
    """
    Read a date or a date and time. A date alone is its first moment (or, for the end of a
    period, its last); a time without an offset is local time. Raise ValidationError otherwise.
    """
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return None
    text = str(value)
    try:
        date = parse_date(text)
        moment = None if date is not None else parse_datetime(text)
    except ValueError:  # well formed but impossible: 2026-02-30
        raise ValidationError(MESSAGES["moment"], code="invalid") from None
    if date is None and moment is None:
        raise ValidationError(MESSAGES["moment"], code="invalid")
    year = date.year if date is not None else moment.year
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError(MESSAGES["range"], code="out_of_range")
    if date is not None:
        moment = datetime.datetime.combine(
            date, datetime.time.max if end_of_day else datetime.time.min
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def organisation_id(value: str) -> str:
    """The public id (text) of an existing organisation, or a ValidationError."""
    value = value.strip()
    if not value:
        return ""
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        raise ValidationError(MESSAGES["organisation"], code="invalid_choice") from None
    if not Organisation.objects.filter(public_id=public_id).exists():
        raise ValidationError(MESSAGES["organisation"], code="invalid_choice")
    return str(public_id)


def check_period(
    since: datetime.datetime | None, until: datetime.datetime | None
) -> dict[str, ValidationError]:
    """The errors of a period: its end may not come before its start."""
    if since is not None and until is not None and until < since:
        return {"until": ValidationError(MESSAGES["period"], code="period")}
    return {}


def choice(choices: Any, field_name: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label(field_name),
        choices=[("", "—"), *choices],
        required=False,
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )


class OrganisationChoiceField(forms.ModelChoiceField):
    """An organisation by its public id; a malformed id is the same error as an unknown one."""

    def to_python(self, value: Any) -> Organisation | None:
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(MESSAGES["organisation"], code="invalid_choice") from None

    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} · {obj.area.name}" if obj.area_id else obj.name


class AuditSearchForm(forms.Form):
    """The filters of the audit page. Every field is optional; given ones are combined."""

    # Lengths are checked by the shared rules, in the same words as the API's.
    case = forms.CharField(label=label("case_id"), required=False, help_text=CASE_HELP)
    user = forms.CharField(label=label("actor_username"), required=False)
    organisation = OrganisationChoiceField(
        label=label("organisation"),
        # Every organisation, active or not: entries outlive what they were made for.
        queryset=Organisation.objects.select_related("area").order_by("name", "pk"),
        to_field_name="public_id",
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": MESSAGES["organisation"]},
    )
    action = choice(AuditEntry.Action.choices, "action")
    outcome = choice(AuditEntry.Outcome.choices, "outcome")
    since = forms.CharField(label=_("From"), required=False, help_text=MOMENT_HELP)
    until = forms.CharField(label=_("To"), required=False, help_text=MOMENT_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("since", "until"):
            self.fields[name].widget.attrs.update({"placeholder": "2026-01-31 08:30"})

    def clean_case(self) -> CaseFilter | None:
        return case_filter(self.cleaned_data["case"])

    def clean_user(self) -> str:
        return text_value(self.cleaned_data["user"], USER_MAX_LENGTH)

    def clean_since(self) -> datetime.datetime | None:
        return parse_moment(self.cleaned_data["since"])

    def clean_until(self) -> datetime.datetime | None:
        return parse_moment(self.cleaned_data["until"], end_of_day=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, error in check_period(data.get("since"), data.get("until")).items():
            self.add_error(name, error)
        return data

    def search(self) -> AuditSearch:
        """The search the valid form asks for."""
        data = self.cleaned_data
        organisation = data.get("organisation")
        return AuditSearch(
            case=data.get("case"),
            user=data.get("user", ""),
            organisation_id=str(organisation.public_id) if organisation else "",
            action=data.get("action", ""),
            outcome=data.get("outcome", ""),
            since=data.get("since"),
            until=data.get("until"),
        )
