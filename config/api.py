"""API conventions shared by every app: one error shape for every failure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class Conflict(exceptions.APIException):
    """The request is well formed but the resource's state does not allow it (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state of the record.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    """`If-Match` names a version that is no longer current (412): nothing was saved."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record has changed since you read it. Nothing was saved; read it again."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    """The edit must be conditional: send `If-Match` with the ETag you read (428)."""

    status_code = 428  # RFC 6585
    default_detail = gettext_lazy(
        "Send the If-Match header with the ETag of the version you are editing."
    )
    default_code = "precondition_required"


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """
    Flatten DRF's nested validation detail into {"field.sub": ["message", ...]}.

    List positions are written `name[0]` whether they come from a nested list serializer or a
    ListField (which reports {0: [...]}), the same names the services use
    (e.g. `activities[0].ends_on`).
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):
                name = f"{prefix}[{key}]" if prefix else str(key)
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_field_errors(value, name))
        return flat
    if isinstance(detail, list) and detail and all(not isinstance(d, (dict, list)) for d in detail):
        return {prefix or "non_field_errors": [str(d) for d in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_field_errors(value, f"{prefix}[{index}]" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """
    Answer every API failure as {"error": {"status", "code", "message", "fields"}}.

    Not-found and may-not-see share one answer (404, no existence oracle). A Django
    ValidationError raised by a service becomes a 400 whose fields are the service's field
    names; a PermissionDenied keeps the service's message.
    """
    # Imported here: rest_framework.views reads the renderer setting, which names this module,
    # so importing it at the top fails whenever this module is the first to be imported.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        message = str(exc)
        exc = exceptions.PermissionDenied(detail=message or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        message = _("The request has invalid fields.")
        code = "invalid"
    else:
        detail = getattr(exc, "detail", "")
        fields = {}
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {
        "error": {
            "status": response.status_code,
            "code": code,
            "message": message,
            "fields": fields,
        }
    }
    return response


# ---------------------------------------------------------------------------------------------
# The error shape in the OpenAPI schema


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(
        help_text="A stable machine-readable code, e.g. not_found, invalid, step_not_available."
    )
    message = serializers.CharField(help_text="A human-readable message in the user's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For 400: each invalid field (e.g. `activities[0].ends_on`) and its messages.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_responses(*codes: int) -> dict[int, type[serializers.Serializer]]:
    """The `responses` entries of extend_schema for the given failure status codes."""
    return {code: ErrorSerializer for code in codes}


# ---------------------------------------------------------------------------------------------
# One name per choice set in the OpenAPI schema

_ENUM_NAMES: dict[frozenset[str], str] = {}


def schema_enum_name(choices: type[models.Choices], name: str) -> None:
    """
    Give a choice set one component name in the schema, wherever a field uses it.

    drf-spectacular names enums after the field (`status`, `kind`), which collides when two
    models have a `status` with different values, and gives one set several names when
    several fields share it (the five risk ratings). This does what ENUM_NAME_OVERRIDES does,
    declared next to the serializers that use the choices.
    """
    _ENUM_NAMES[frozenset(str(value) for value in choices.values)] = name


def _enum_name(field: serializers.ChoiceField) -> str | None:
    values = frozenset(str(value) for value in field.choices if value not in ("", None))
    return _ENUM_NAMES.get(values)


class NamedEnumFieldExtension(OpenApiSerializerFieldExtension):
    """Render a choice field whose set has a declared name as a reference to that enum."""

    target_class = "rest_framework.fields.ChoiceField"
    match_subclasses = True

    @classmethod
    def _matches(cls, target: Any) -> bool:
        return (
            super()._matches(target)
            and isinstance(target, serializers.ChoiceField)
            and not isinstance(target, serializers.MultipleChoiceField)
            and _enum_name(target) is not None
        )

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        name = _enum_name(field)
        choices = [(k, v) for k, v in field.choices.items() if k not in ("", None)]
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={
                "type": "string",
                "enum": [k for k, _label in choices],
                "description": build_choice_description_list(choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class SafeJSONRenderer(JSONRenderer):
    """
    JSON as UTF-8; escaped (\\uXXXX) where the answer quotes a lone surrogate that a client sent
    (e.g. `"\\ud800" is not a valid choice.`), which UTF-8 cannot encode: a 400, never a 500.
    """

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return json.dumps(data, cls=self.encoder_class, ensure_ascii=True).encode()


class StrictFieldsMixin:
    """
    Refuse keys the serializer does not accept, naming each one (nothing is dropped silently):
    the one such rule for every API's input.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [key for key in data if key not in writable]
            if unknown:
                raise serializers.ValidationError(
                    {key: [gettext_lazy("This field is not accepted here.")] for key in unknown}
                )
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """
    A date and time this system can hold: a malformed, impossible or absurd one (year 1,
    year 9999) is a 400 naming the field, never an overflow deep in the time-zone code.
    """

    default_error_messages = {
        "out_of_range": _("Give a date between 2000 and 2100."),
    }

    def to_internal_value(self, value: Any) -> Any:
        try:
            result = super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("out_of_range")
        if result is not None and not 2000 <= result.year <= 2100:
            self.fail("out_of_range")
        return result
