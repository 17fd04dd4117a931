"""
The audit API's filters and rows. The filters follow the same rules as the page's form
(audit.forms): a case by id or number, times in Vietnam time unless they carry an offset, a
period whose end is not before its start. A row carries no case content: the case's number and
id, and of the entry's detail only how and where it happened.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from audit.forms import (
    MESSAGES,
    USER_MAX_LENGTH,
    case_filter,
    check_period,
    organisation_id,
    parse_moment,
    text_value,
)
from audit.models import AuditEntry
from audit.selectors import AuditSearch
from config.api import schema_enum_name

schema_enum_name(AuditEntry.Action, "AuditActionEnum")
schema_enum_name(AuditEntry.Outcome, "AuditOutcomeEnum")


class MomentField(serializers.CharField):
    """A date, or a date and time; without an offset, Vietnam's local time."""

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return parse_moment(super().to_internal_value(data), end_of_day=self.end_of_day)


class AuditSearchSerializer(serializers.Serializer):
    """The filters of `GET /api/v1/audit/entries/`: all optional, combined."""

    case = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "A case number (e.g. 2026-000042) or a case's public id, at most 64 characters. "
            "A number no case has matches no entry."
        ),
    )
    user = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "The username of whoever acted, exact, in any letter case; at most 150 characters."
        ),
    )
    organisation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The public id of the organisation the user acted for.",
    )
    action = serializers.ChoiceField(
        choices=AuditEntry.Action.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    outcome = serializers.ChoiceField(
        choices=AuditEntry.Outcome.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    since = MomentField(
        help_text=(
            "From this date (its first moment) or date and time, e.g. 2026-01-31 or "
            "2026-01-31T08:30; Vietnam time (UTC+7) unless an offset is given."
        )
    )
    until = MomentField(
        end_of_day=True,
        help_text=(
            "Up to this date (its last moment) or date and time; Vietnam time (UTC+7) unless "
            "an offset is given. Not before `since`."
        ),
    )

    def validate_case(self, value: str) -> Any:
        return case_filter(value)

    def validate_user(self, value: str) -> str:
        return text_value(value, USER_MAX_LENGTH)

    def validate_organisation(self, value: str) -> str:
        return organisation_id(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = check_period(attrs.get("since"), attrs.get("until"))
        if errors:
            raise DjangoValidationError(errors)
        return attrs

    def search(self) -> AuditSearch:
        data = self.validated_data
        return AuditSearch(
            case=data.get("case"),
            user=data.get("user", ""),
            organisation_id=data.get("organisation", ""),
            action=data.get("action", ""),
            outcome=data.get("outcome", ""),
            since=data.get("since"),
            until=data.get("until"),
        )


class AuditDetailSerializer(serializers.Serializer):
    """How and where it happened; a key the entry does not have is left out."""

    via = serializers.JSONField(required=False, help_text="`page` or `api`.")
    view = serializers.JSONField(required=False, help_text="The name of the view that answered.")
    operation = serializers.JSONField(required=False, help_text="The service that wrote.")
    step = serializers.JSONField(required=False, help_text="The workflow step taken.")
    status = serializers.JSONField(required=False, help_text="The HTTP status of a refusal.")
    method = serializers.JSONField(required=False, help_text="The HTTP method of a refusal.")


class AuditEntrySerializer(serializers.Serializer):
    """One entry of the trail, as an auditor sees it."""

    # Serialises an audit.selectors.AuditRow: the entry, its case number, the detail shown.

    seq = serializers.IntegerField(source="entry.seq", help_text="Its place in the chain.")
    at = serializers.DateTimeField(
        source="entry.at", help_text="When, in Vietnam time (stored in UTC)."
    )
    user = serializers.CharField(source="entry.actor_username", help_text="Who acted.")
    organisation = serializers.CharField(
        source="entry.organisation", help_text="The organisation the user acted for."
    )
    organisation_id = serializers.CharField(
        source="entry.organisation_id", help_text="Its public id, when it was one organisation."
    )
    action = serializers.ChoiceField(source="entry.action", choices=AuditEntry.Action.choices)
    action_label = serializers.CharField(source="entry.get_action_display")
    object_type = serializers.CharField(source="entry.object_type")
    object_id = serializers.CharField(source="entry.object_id")
    case_id = serializers.CharField(
        source="entry.case_id", help_text="The public id of the case the entry is filed under."
    )
    case_number = serializers.CharField(
        allow_null=True, help_text="That case's number; null when no case has that id."
    )
    outcome = serializers.ChoiceField(source="entry.outcome", choices=AuditEntry.Outcome.choices)
    outcome_label = serializers.CharField(source="entry.get_outcome_display")
    ip = serializers.IPAddressField(source="entry.ip", allow_null=True)
    detail = AuditDetailSerializer()
