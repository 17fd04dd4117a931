"""
The intake API (issue #4): hotline calls, collaborator reports and their triage under
/api/v1/calls/ and /api/v1/reports/, and the call centre's signed webhook under
/api/v1/telephony/.

Every lookup goes through hotline.selectors (an item the user may not see answers 404, the
same as one that does not exist); every change through hotline.services, which decide whether
the user's role may act (403) and refuse a second triage (409). Bad input is a 400 naming the
field, in the one error shape of config.api.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import User
from cases.access import cases_visible_to
from cases.models import Case
from cases.workflow import OPEN_STATES
from config.api import Conflict, SafeJSONRenderer, error_responses
from hotline import services, triage
from hotline.idempotency import HEADER as IDEMPOTENCY_HEADER
from hotline.idempotency import idempotent
from hotline.models import Call, CollaboratorReport
from hotline.selectors import (
    call_get_for,
    call_inbox_for,
    calls_visible_to,
    intake_suggestions_for,
    report_get_for,
    report_inbox_for,
    reports_visible_to,
)
from hotline.serializers import (
    CallFilterSerializer,
    CallInputSerializer,
    CallSerializer,
    CallSuggestionSerializer,
    CaseSuggestionSerializer,
    CloseInputSerializer,
    LinkInputSerializer,
    OpenCaseInputSerializer,
    OpenCaseResultSerializer,
    OwnReportSerializer,
    ReportFilterSerializer,
    ReportInputSerializer,
    ReportSuggestionSerializer,
    TelephonyAckSerializer,
    TelephonyEventSerializer,
    TriageReportSerializer,
    WaitingCallSerializer,
    suggestion_data,
)
from hotline.telephony import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefused,
    signature_verify,
    telephony_calls_waiting,
    telephony_event_apply,
)

logger = logging.getLogger(__name__)

CALL_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The call's id."
)
REPORT_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The report's id."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (1 to 255 characters, e.g. a UUID) a retrying client repeats: a "
        "retry with the same key and body returns the first answer (with "
        "`Idempotent-Replayed: true`) and creates nothing; the same key with another body is "
        "refused (422). A failed request (4xx) does not use up its key."
    ),
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="`true` when this is the stored answer to an earlier request with the same key.",
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The new item's URL (absent on a replayed answer).",
)

REPORT_VIEWS = PolymorphicProxySerializer(
    component_name="Report",
    serializers={"own": OwnReportSerializer, "triage": TriageReportSerializer},
    resource_type_field_name="view",
)
REPORT_VIEWS_LIST = PolymorphicProxySerializer(
    component_name="Report",
    serializers={"own": OwnReportSerializer, "triage": TriageReportSerializer},
    resource_type_field_name="view",
    many=True,
)
SUGGESTIONS = PolymorphicProxySerializer(
    component_name="Suggestion",
    serializers={
        "call": CallSuggestionSerializer,
        "report": ReportSuggestionSerializer,
        "case": CaseSuggestionSerializer,
    },
    resource_type_field_name="kind",
    many=True,
)


def _error(http_status: int, code: str, message: str) -> Response:
    return Response(
        {"error": {"status": http_status, "code": code, "message": message, "fields": {}}},
        status=http_status,
    )


# ---------------------------------------------------------------------------------------------
# The base view


class IntakeAPIView(GenericAPIView):
    """
    A view of the intake API: JSON in, JSON out, never cached; the services' exceptions become
    the API's error shape (config.api).
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    pagination_class = None

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.IntakeAlreadyTriaged):
            exc = Conflict(detail=exc.message, code="already_triaged")
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(detail=_message_dict(exc))
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # Cache-Control: no-store (children's data)
        return response


def _message_dict(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"non_field_errors": error.messages}


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _body(request: Request) -> Any:
    """The JSON body; an empty body is an empty object (every action's fields may be optional)."""
    return request.data if request.data not in (None, "") else {}


# ---------------------------------------------------------------------------------------------
# Triage, shared by calls and reports


def _may_triage(user: User, item: Call | CollaboratorReport) -> None:
    """Who triages what (hotline.triage): the role alone, 403 (e.g. for the suggestions)."""
    services.raise_refusal(triage.role_refusal(user, item))


def _triage_precheck(user: User, item: Call | CollaboratorReport) -> None:
    """The table's answer before the fields are examined: the role (403), then the state (409)."""
    services.raise_refusal(triage.triage_refusal(user, item))


def _open_case_for_link(user: User, item: Call | CollaboratorReport, public_id: Any) -> Case:
    """
    The open case to link to: one the user can already see (need to know, docs/DESIGN.md §4). A case
    that does not exist, is closed, or may not be seen gets the same answer.
    """
    case = cases_visible_to(user).filter(status__in=OPEN_STATES, public_id=public_id).first()
    if case is None:
        raise exceptions.ValidationError(
            {"case": [_("No open case that you may choose has this id.")]}
        )
    return case


class _ItemMixin:
    """What the triage views of calls and of reports differ in."""

    kind: str  # "call" or "report"

    def item(self) -> Call | CollaboratorReport:
        user, public_id = self.request.user, self.kwargs["id"]
        if self.kind == "call":
            return call_get_for(user=user, public_id=public_id)
        return report_get_for(user=user, public_id=public_id)

    def item_data(self, item: Call | CollaboratorReport) -> dict[str, Any]:
        if isinstance(item, Call):
            return CallSerializer(item).data
        return _report_data(self.request.user, [item])[0]


class OpenCaseView(_ItemMixin, IntakeAPIView):
    def post(self, request: Request, id: str) -> Response:
        item = self.item()
        _triage_precheck(request.user, item)
        data = _valid(OpenCaseInputSerializer, _body(request))
        case = services.intake_open_case(actor=request.user, item=item, commune=data.get("commune"))
        body = OpenCaseResultSerializer({"case": case.public_id, "number": case.number}).data
        return Response(body, status=status.HTTP_201_CREATED)


class LinkView(_ItemMixin, IntakeAPIView):
    def post(self, request: Request, id: str) -> Response:
        item = self.item()
        _triage_precheck(request.user, item)
        data = _valid(LinkInputSerializer, _body(request))
        case = _open_case_for_link(request.user, item, data["case"])
        services.intake_link_case(
            actor=request.user, item=item, case=case, note=data.get("note", "")
        )
        return Response(self.item_data(self.item()))


class CloseView(_ItemMixin, IntakeAPIView):
    def post(self, request: Request, id: str) -> Response:
        item = self.item()
        _triage_precheck(request.user, item)
        data = _valid(CloseInputSerializer, _body(request))
        services.intake_close(
            actor=request.user, item=item, reason=data["reason"], note=data.get("note", "")
        )
        return Response(self.item_data(self.item()))


class SuggestionsView(_ItemMixin, IntakeAPIView):
    def get(self, request: Request, id: str) -> Response:
        item = self.item()
        _may_triage(request.user, item)
        suggestions = intake_suggestions_for(user=request.user, item=item)
        return Response([suggestion_data(s.kind, s.obj, s.reason_list) for s in suggestions])


def _own(method: Any) -> Any:
    """A fresh function calling `method`: extend_schema marks the function it decorates."""

    def view_method(self: Any, request: Request, id: str) -> Response:
        return method(self, request, id)

    view_method.__name__ = method.__name__
    return view_method


def _triage_views(kind: str, item_id: OpenApiParameter, item_response: Any) -> dict[str, type]:
    """The four triage views of calls or reports, each with its own schema."""
    noun = "call" if kind == "call" else "report"
    prefix = f"{kind}s"
    common = {"kind": kind, "__module__": __name__}
    tags = [f"{kind}s"]

    open_case = extend_schema(
        operation_id=f"{prefix}_open_case",
        tags=tags,
        parameters=[item_id],
        request=OpenCaseInputSerializer,
        responses={
            201: OpenApiResponse(OpenCaseResultSerializer, description="The new case."),
            **error_responses(400, 401, 403, 404, 409),
        },
        description=(
            f"Turn the {noun} into a case of the commune that must act; the case's receipt time "
            f"is the {noun}'s time (the 12-hour clock starts there). 403: your role may not "
            "triage it; 409: it was already triaged."
        ),
    )(_own(OpenCaseView.post))
    link = extend_schema(
        operation_id=f"{prefix}_link",
        tags=tags,
        parameters=[item_id],
        request=LinkInputSerializer,
        responses={200: item_response, **error_responses(400, 401, 403, 404, 409)},
        description=(
            f"Attach the {noun} to an open case (a repeat caller, a duplicate). 400 naming "
            "`case` if no open case you may choose has that id."
        ),
    )(_own(LinkView.post))
    close = extend_schema(
        operation_id=f"{prefix}_close",
        tags=tags,
        parameters=[item_id],
        request=CloseInputSerializer,
        responses={200: item_response, **error_responses(400, 401, 403, 404, 409)},
        description=f"Close the {noun} without a case, with the reason.",
    )(_own(CloseView.post))
    suggestions = extend_schema(
        operation_id=f"{prefix}_suggestions",
        tags=tags,
        parameters=[item_id],
        responses={200: SUGGESTIONS, **error_responses(401, 403, 404)},
        description=(
            "Recent calls, reports and open cases sharing the caller's number, the child's name "
            "(without diacritics or case) or the commune, most reasons first. Cases show their "
            "id, number, commune, status and receipt time only."
        ),
    )(_own(SuggestionsView.get))
    title = kind.title()
    return {
        "open_case": type(f"{title}OpenCaseView", (OpenCaseView,), {**common, "post": open_case}),
        "link": type(f"{title}LinkView", (LinkView,), {**common, "post": link}),
        "close": type(f"{title}CloseView", (CloseView,), {**common, "post": close}),
        "suggestions": type(
            f"{title}SuggestionsView", (SuggestionsView,), {**common, "get": suggestions}
        ),
    }


# ---------------------------------------------------------------------------------------------
# Calls


def _calls(queryset: QuerySet[Call]) -> QuerySet[Call]:
    return queryset.select_related("telephony", "triaged_by")


@extend_schema(tags=["calls"])
class CallListView(IntakeAPIView):
    """Calls to hotline 111: the hotline's operators see them all; nobody else sees any."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="calls_list",
        parameters=[CallFilterSerializer],
        responses={200: CallSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        filters = _valid(CallFilterSerializer, request.query_params)
        if filters.get("inbox"):
            calls = call_inbox_for(user=request.user)
        else:
            calls = calls_visible_to(user=request.user)
        if "status" in filters:
            calls = calls.filter(status=filters["status"])
        if "call_type" in filters:
            calls = calls.filter(call_type=filters["call_type"])
        page = self.paginate_queryset(_calls(calls))
        return self.get_paginated_response(CallSerializer(page, many=True).data)

    @extend_schema(
        operation_id="calls_create",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, LOCATION],
        request=CallInputSerializer,
        responses={
            201: OpenApiResponse(CallSerializer, description="The logged call."),
            **error_responses(400, 401, 403, 422),
        },
        description=(
            "An operator logs a call. Only `report` calls wait for triage and may become cases; "
            "the other types are counted. A caller who does not agree to be identified leaves "
            "no name, address or number (a keyed hash still recognises a repeat caller)."
        ),
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, "calls.create", lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        if not services.hotline_organisations_of(request.user):
            # Before the fields: a user who may not log calls learns nothing from a 400.
            raise services.IntakeNotPermitted(_("Only hotline operators log calls."))
        data = _valid(CallInputSerializer, request.data)
        telephony = data.get("telephony")
        if telephony is not None:
            # The ringing call fills what the operator did not give.
            if "started_at" not in data and telephony.started_at:
                data["started_at"] = telephony.started_at
            if "duration_seconds" not in data and telephony.duration_seconds is not None:
                data["duration_seconds"] = telephony.duration_seconds
            if "caller_number" not in data and telephony.caller_number_kind in (
                "number",
                "short",
                "withheld",
            ):
                data["caller_number"] = telephony.caller_number
        try:
            with transaction.atomic():
                call = services.call_log(actor=request.user, **data)
        except IntegrityError:
            # Two operators logging the same ringing call at once: the service's check and
            # its insert are not under one lock; the one-to-one key refuses the second.
            if telephony is None:
                raise
            raise exceptions.ValidationError(
                {"telephony": [_("This call was already logged.")]}
            ) from None
        call = call_get_for(user=request.user, public_id=call.public_id)
        response = Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{call.public_id}/"
        return response


@extend_schema(tags=["calls"], parameters=[CALL_ID])
class CallDetailView(IntakeAPIView):
    @extend_schema(
        operation_id="calls_retrieve",
        responses={200: CallSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        call = call_get_for(user=request.user, public_id=id)
        return Response(CallSerializer(call).data)


CALL_TRIAGE = _triage_views("call", CALL_ID, CallSerializer)


# ---------------------------------------------------------------------------------------------
# Collaborator reports


def _report_data(user: User, reports: list[CollaboratorReport]) -> list[dict[str, Any]]:
    """
    Each report as this user may read it: the commune's officer sees the triage; the
    collaborator who sent it sees what they wrote and its status, nothing of any case.
    """
    communes = {commune.pk for commune in services.officer_communes_of(user)}
    return [
        TriageReportSerializer(report).data
        if report.commune_id in communes
        else OwnReportSerializer(report).data
        for report in reports
    ]


def _reports(queryset: QuerySet[CollaboratorReport]) -> QuerySet[CollaboratorReport]:
    return queryset.select_related("commune", "collaborator", "case", "triaged_by")


@extend_schema(tags=["reports"])
class ReportListView(IntakeAPIView):
    """
    Collaborator reports: a collaborator sees their own, the commune's child-protection officer
    the commune's.
    """

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="reports_list",
        parameters=[ReportFilterSerializer],
        responses={200: REPORT_VIEWS_LIST, **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        filters = _valid(ReportFilterSerializer, request.query_params)
        if filters.get("inbox"):
            reports = report_inbox_for(user=request.user)
        else:
            reports = reports_visible_to(user=request.user)
        if "status" in filters:
            reports = reports.filter(status=filters["status"])
        page = self.paginate_queryset(_reports(reports))
        return self.get_paginated_response(_report_data(request.user, page))

    @extend_schema(
        operation_id="reports_create",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, LOCATION],
        request=ReportInputSerializer,
        responses={
            201: OpenApiResponse(OwnReportSerializer, description="The report as sent."),
            **error_responses(400, 401, 403, 422),
        },
        description=(
            "A collaborator reports a child at risk; it lands in the commune's intake inbox. "
            "`narrative` (what is happening) is required."
        ),
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, "reports.create", lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        if not services.collaborator_communes_of(request.user):
            raise services.IntakeNotPermitted(_("Only collaborators send reports."))
        data = _valid(ReportInputSerializer, request.data)
        report = services.report_submit(actor=request.user, **data)
        response = Response(OwnReportSerializer(report).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{report.public_id}/"
        return response


@extend_schema(tags=["reports"], parameters=[REPORT_ID])
class ReportDetailView(IntakeAPIView):
    @extend_schema(
        operation_id="reports_retrieve",
        responses={200: REPORT_VIEWS, **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        report = report_get_for(user=request.user, public_id=id)
        return Response(_report_data(request.user, [report])[0])


REPORT_TRIAGE = _triage_views("report", REPORT_ID, REPORT_VIEWS)


# ---------------------------------------------------------------------------------------------
# The call centre


def _event_precheck(body: bytes) -> dict[str, list[str]] | None:
    """
    What hotline.telephony's parser lets through to a 500: a well-formed but impossible
    `occurred_at` (month 13) makes Django's parse_datetime raise ValueError, and a NUL character
    in an id cannot be stored by PostgreSQL. Name the field instead.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # the service names the body
    if not isinstance(data, dict):
        return None
    errors: dict[str, list[str]] = {}
    value = data.get("occurred_at")
    if isinstance(value, str):
        try:
            parse_datetime(value)
        except ValueError:
            errors["occurred_at"] = [_("Give an ISO 8601 time with its offset.")]
    for name in ("event_id", "call_id"):
        if isinstance(data.get(name), str) and "\x00" in data[name]:
            errors[name] = [_("Null characters are not allowed.")]
    return errors or None


def _timestamp_header(value: str | None) -> str | None:
    """
    hotline.telephony subtracts the timestamp from a float: a number of more than ~308 digits
    overflows (a 500 for anyone). Any number that long is far outside the window: pass one that
    the service refuses as stale, as it would refuse the real one.
    """
    if value is not None and len(value.strip()) > 18:
        try:
            int(value)
        except ValueError:
            return value  # not a number: the service says bad_timestamp
        return "0"
    return value


def _signature_header(value: str | None) -> str | None:
    """
    hmac.compare_digest refuses str with non-ASCII characters (TypeError, a 500 for anyone):
    such a header can never match, so pass one that cannot match either.
    """
    if value is not None and not value.isascii():
        return "sha256=not-ascii"
    return value


@method_decorator(csrf_exempt, name="dispatch")
class TelephonyEventView(GenericAPIView):
    """
    The call centre's signed webhook. No session or token: the HMAC signature over the raw body
    and the timestamp is the authentication, checked before anything is parsed.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]  # for the schema only: the view reads the raw body
    renderer_classes = [SafeJSONRenderer]
    throttle_classes: list = []
    pagination_class = None

    @extend_schema(
        operation_id="telephony_events_create",
        tags=["telephony"],
        auth=[],
        parameters=[
            OpenApiParameter(
                TIMESTAMP_HEADER,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix time in seconds when the request was signed.",
            ),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<raw body>` with the shared "
                    "secret (TELEPHONY_WEBHOOK_SECRET)."
                ),
            ),
        ],
        request=TelephonyEventSerializer,
        responses={
            202: OpenApiResponse(TelephonyAckSerializer, description="A new event, applied."),
            200: OpenApiResponse(
                TelephonyAckSerializer,
                description="The same event was delivered before; nothing changed.",
            ),
            **error_responses(400, 401, 413),
        },
        description=(
            "Call events from the call-centre system (call.started, call.answered, call.ended). "
            "401 codes: missing_signature, bad_timestamp, stale_signature (outside the window), "
            "bad_signature, replayed_signature (each signed request is accepted once: re-sign a "
            "retry with a fresh timestamp), not_configured. Events may arrive in any order."
        ),
    )
    def post(self, request: Request) -> Response:
        try:
            body = request.body  # the raw bytes, exactly as signed; never DRF's parsed data
        except RequestDataTooBig:
            return _error(413, "too_large", _("The request body is too large."))
        try:
            with transaction.atomic():
                signature_verify(
                    body=body,
                    timestamp=_timestamp_header(request.headers.get(TIMESTAMP_HEADER)),
                    signature=_signature_header(request.headers.get(SIGNATURE_HEADER)),
                )
                # Signed: now parse. A refused event leaves its signature unused.
                errors = _event_precheck(body)
                if errors:
                    raise exceptions.ValidationError(errors)
                result = telephony_event_apply(body=body)
        except SignatureRefused as refused:
            logger.warning("Telephony webhook refused: %s", refused.code)
            response = _error(status.HTTP_401_UNAUTHORIZED, refused.code, refused.message)
            response["WWW-Authenticate"] = f'{SIGNATURE_HEADER} realm="telephony"'
            return response
        except DjangoValidationError as error:
            raise exceptions.ValidationError(detail=_message_dict(error)) from None
        if result.created:
            return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)
        return Response({"status": "duplicate"}, status=status.HTTP_200_OK)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


@extend_schema(tags=["telephony"])
class TelephonyWaitingView(IntakeAPIView):
    """
    Calls the call centre announced that no operator has logged yet, newest first: the
    operator's call screen opens pre-filled from one. Only the hotline's operators see them.
    """

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="telephony_waiting_list",
        responses={200: WaitingCallSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        if services.hotline_organisations_of(request.user):
            waiting = telephony_calls_waiting()
        else:
            waiting = telephony_calls_waiting().none()
        page = self.paginate_queryset(waiting)
        return self.get_paginated_response(WaitingCallSerializer(page, many=True).data)
