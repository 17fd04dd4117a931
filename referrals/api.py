"""
The referrals API (issue #5) under /api/v1/referrals/: the sender's side and the receiving
organisations' inboxes, the life cycle (acknowledge, accept, decline, updates, complete,
revoke), and the organisations a case may be referred to, with the sharing rule of each kind.

Every lookup goes through referrals.selectors (a referral the user may not see answers 404, the
same as one that does not exist); every change through referrals.services, which decide whether
the user may act (403) and whether the referral's state allows it (409). The API asks the same
questions first, in that order, so that a refused action is refused before its fields are
examined; the service asks again under its lock. Bad input is a 400 naming the field, in the
one error shape of config.api.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
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
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import Organisation, User
from cases.access import case_permissions, cases_visible_to, full_file_ids
from cases.activities import ACTIVITY_NOT_IN_FORCE, activity_of_case
from cases.api import CaseMetadata
from cases.models import Case, ConsentRecord, PlanActivity
from cases.selectors import case_get_for
from cases.workflow import OPEN_STATES
from config.api import Conflict, SafeJSONRenderer, error_responses
from referrals import lifecycle, selectors, services
from referrals.allowlists import allowed_fields
from referrals.models import Referral, ReferralUpdate, SharingRule
from referrals.serializers import (
    BOX_INBOX,
    BOX_SENT,
    AnswerInputSerializer,
    CompleteInputSerializer,
    DeclineInputSerializer,
    Nearness,
    ReceivedReferralSerializer,
    RecipientFilterSerializer,
    RecipientSerializer,
    ReferralCaseInputSerializer,
    ReferralCreateSerializer,
    ReferralFilterSerializer,
    ReferralUpdateSerializer,
    RevokeInputSerializer,
    SentReferralSerializer,
    UpdateInputSerializer,
    WrittenNoticeInputSerializer,
)

REFERRAL_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The referral's id."
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The new referral's URL.",
)
REFERRAL = PolymorphicProxySerializer(
    component_name="Referral",
    serializers={"sent": SentReferralSerializer, "received": ReceivedReferralSerializer},
    resource_type_field_name="view",
)
REFERRAL_LIST = PolymorphicProxySerializer(
    component_name="Referral",
    serializers={"sent": SentReferralSerializer, "received": ReceivedReferralSerializer},
    resource_type_field_name="view",
    many=True,
)

# ---------------------------------------------------------------------------------------------
# Reading


def _with_details(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """
    Everything either side's answer reads, in a fixed number of queries for any page (the
    `overdue` field reads the `is_overdue` annotation: with_overdue before this).
    """
    return referrals.select_related(
        "case",
        "case__child",
        "case__child__residence_commune",
        "case__incident_commune",
        "organisation",
        "organisation__area",
        "sent_by",
        "consent",
        "activity",
    ).prefetch_related(
        Prefetch("updates", queryset=ReferralUpdate.objects.select_related("author")),
        "case__child__family_members",
    )


def referral_data(user: User, referrals: list[Referral]) -> list[dict[str, Any]]:
    """
    Each referral as this user may read it: the sender's side where the user reads the case's
    whole file (its commune and province, or a share such as the hotline's), the receiving
    organisation's side otherwise. The referrals carry `is_overdue` (Referral.objects.with_overdue).
    """
    full = full_file_ids(user, [referral.case for referral in referrals])
    # One serializer per side for the whole page (binding a serializer's fields costs far
    # more than a row's values: at 50 rows a serializer per row cost ~100 ms).
    sent = [r for r in referrals if r.case_id in full]
    received = [r for r in referrals if r.case_id not in full]
    # The alleged perpetrators' records, for the sectors whose allow-list has them (one query).
    prefetch_related_objects(
        [r.case for r in received if "perpetrators" in allowed_fields(r.organisation.kind)],
        "perpetrators",
    )
    rows = dict(
        zip(
            [r.pk for r in sent] + [r.pk for r in received],
            [
                *(SentReferralSerializer(sent, many=True).data if sent else []),
                *(ReceivedReferralSerializer(received, many=True).data if received else []),
            ],
            strict=True,
        )
    )
    return [rows[referral.pk] for referral in referrals]


def _referral_for(user: User, public_id: Any) -> Referral:
    """The referral the user may see (the selector decides), with what its answer reads."""
    referral = selectors.referral_get_for(user=user, public_id=public_id)
    return _with_details(Referral.objects.filter(pk=referral.pk).with_overdue()).get()


def _overdue(
    referrals: QuerySet[Referral], overdue: bool | None, now: datetime.datetime
) -> QuerySet[Referral]:
    """
    The `?overdue=` filter and the `overdue` field from one expression at one moment
    (Referral.objects.with_overdue): a row listed by `?overdue=0` never says `overdue: true`.
    """
    if overdue is None:
        return referrals.with_overdue(now)
    return referrals.overdue(now) if overdue else referrals.not_overdue(now)


# ---------------------------------------------------------------------------------------------
# Prechecks: the role (403), then the state (409), before the fields (400)


def _precheck(user: User, referral: Referral, action: str) -> None:
    """The life-cycle table's answer (referrals.lifecycle): the side (403), then the state (409)."""
    services.raise_refusal(lifecycle.action_refusal(user, referral, action))


def _body(request: Request) -> Any:
    """The JSON body; an empty body is an empty object."""
    return request.data if request.data not in (None, "") else {}


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------------------------------------
# The base view


class ReferralAPIView(GenericAPIView):
    """
    A view of the referrals API: JSON in, JSON out, never cached; the services' exceptions
    become the API's error shape (config.api).
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    renderer_classes = [SafeJSONRenderer]
    pagination_class = None
    metadata_class = CaseMetadata

    def referral(self) -> Referral:
        return _referral_for(self.request.user, self.kwargs["id"])

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.ReferralStateError):
            exc = Conflict(detail=exc.message, code="referral_state")
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # Cache-Control: no-store (children's data)
        return response

    def answer(self, referral: Referral, status_code: int = 200) -> Response:
        """The referral as this user reads it now (after an end, the recipient's view shrinks)."""
        referral = _referral_for(self.request.user, referral.public_id)
        return Response(referral_data(self.request.user, [referral])[0], status=status_code)


# ---------------------------------------------------------------------------------------------
# The list, sending, one referral


def _case_to_refer(user: User, public_id: uuid.UUID) -> Case:
    """
    A case named in the body is a field like any other: one the user may not see gets the
    same 400 as one that does not exist (no existence oracle).
    """
    case = cases_visible_to(user).filter(public_id=public_id).first()
    if case is None:
        raise exceptions.ValidationError({"case": [_("No case that you may refer has this id.")]})
    return case


def _organisation(public_id: uuid.UUID) -> Organisation:
    organisation = Organisation.objects.filter(public_id=public_id).first()
    if organisation is None:
        raise exceptions.ValidationError({"organisation": [_("No organisation has this id.")]})
    return organisation


def _consent(case: Case, public_id: uuid.UUID | None) -> ConsentRecord | None:
    if public_id is None:
        return None
    consent = ConsentRecord.objects.filter(case=case, public_id=public_id).first()
    if consent is None:
        raise exceptions.ValidationError(
            {"consent": [_("This case has no consent record with this id.")]}
        )
    return consent


def _activity(case: Case, public_id: uuid.UUID | None) -> PlanActivity | None:
    """The plan activity a new referral carries out: one of this case's (the service checks)."""
    if public_id is None:
        return None
    activity = activity_of_case(case, public_id)
    if activity is None:
        raise exceptions.ValidationError({"activity": [str(ACTIVITY_NOT_IN_FORCE)]})
    return activity


@extend_schema(tags=["referrals"])
class ReferralListView(ReferralAPIView):
    """The referrals the user may see, and sending a case to an organisation's inbox."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="referrals_list",
        parameters=[ReferralFilterSerializer],
        responses={200: REFERRAL_LIST, **error_responses(400, 401)},
        description=(
            "Each row is the sender's view (`view: sent`: the case's number, the receipt, "
            "every update) for those who hold the case, and the receiving organisation's view "
            "(`view: received`: the allow-listed case summary while the referral is open) for "
            "its staff."
        ),
    )
    def get(self, request: Request) -> Response:
        filters = _valid(ReferralFilterSerializer, request.query_params)
        box = filters.get("box")
        if box == BOX_INBOX:
            referrals = selectors.referral_inbox_for(user=request.user)
        else:
            referrals = selectors.referrals_visible_to(user=request.user).order_by(
                "-sent_at", "-id"
            )
            if box == BOX_SENT:
                # The sender's side: the referrals of the cases the user holds.
                referrals = referrals.filter(case__in=selectors._held_cases(request.user))
        if "status" in filters:
            referrals = referrals.filter(status=filters["status"])
        if filters.get("case") is not None:
            referrals = referrals.filter(case__public_id=filters["case"])
        referrals = _overdue(referrals, filters.get("overdue"), timezone.now())
        page = self.paginate_queryset(_with_details(referrals))
        return self.get_paginated_response(referral_data(request.user, page))

    @extend_schema(
        operation_id="referrals_create",
        parameters=[LOCATION],
        request=ReferralCreateSerializer,
        responses={
            201: OpenApiResponse(SentReferralSerializer, description="The referral as sent."),
            **error_responses(400, 401, 403, 409),
        },
        description=(
            "Refer a case to an organisation's inbox (not to a person). The organisation must "
            "be near the case (see GET …/recipients/); where the sharing rule of its kind asks "
            "for consent (NGOs), `consent` must name a consent record of this case that covers "
            "that kind (400 naming `consent` otherwise). Dates default to the deadline rules "
            "(acknowledgement 1 working day, feedback 5). 403: your role may not refer this "
            "case; 409: the case is not open."
        ),
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        if not isinstance(body, Mapping):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send a JSON object with the referral's fields.")]}
            )
        case = _case_to_refer(
            request.user, _valid(ReferralCaseInputSerializer, {"case": body.get("case")})["case"]
        )
        if "refer_case" not in case_permissions(request.user, case):
            raise services.ReferralNotPermitted(_("Your role may not refer this case."))
        if case.status not in OPEN_STATES:
            raise services.ReferralStateError(_("Only an open case can be referred."))
        data = _valid(ReferralCreateSerializer, body)
        referral = services.referral_send(
            actor=request.user,
            case=case,
            organisation=_organisation(data["organisation"]),
            purpose=data["purpose"],
            message=data["message"],
            acknowledge_due_at=data.get("acknowledge_due_at"),
            feedback_due_at=data.get("feedback_due_at"),
            consent=_consent(case, data.get("consent")),
            activity=_activity(case, data.get("activity")),
            phoned_at=data.get("phoned_at"),
        )
        response = self.answer(referral, status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{referral.public_id}/"
        return response


@extend_schema(tags=["referrals"], parameters=[REFERRAL_ID])
class ReferralDetailView(ReferralAPIView):
    @extend_schema(
        operation_id="referrals_retrieve",
        responses={200: REFERRAL, **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(referral_data(request.user, [self.referral()])[0])


# ---------------------------------------------------------------------------------------------
# The life cycle


def _action_schema(
    name: str, request: Any, description: str, codes: tuple[int, ...] = (400, 401, 403, 404, 409)
) -> Any:
    return extend_schema(
        operation_id=f"referrals_{name}",
        tags=["referrals"],
        parameters=[REFERRAL_ID],
        request=request,
        responses={200: REFERRAL, **error_responses(*codes)},
        description=description,
    )


class AcknowledgeView(ReferralAPIView):
    @_action_schema(
        "acknowledge",
        AnswerInputSerializer,
        "The receiving organisation acknowledges the referral: the answer carries the receipt "
        "(number, time, and a hash of what was received). 403: you do not work for the "
        "receiving organisation; 409: it is no longer waiting for acknowledgement.",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "acknowledge")
        _valid(AnswerInputSerializer, _body(request))
        referral = services.referral_acknowledge(actor=request.user, referral=referral)
        return self.answer(referral)


class AcceptView(ReferralAPIView):
    @_action_schema(
        "accept",
        AnswerInputSerializer,
        "The receiving organisation takes the referral on (after acknowledging it).",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "accept")
        _valid(AnswerInputSerializer, _body(request))
        referral = services.referral_accept(actor=request.user, referral=referral)
        return self.answer(referral)


class DeclineView(ReferralAPIView):
    @_action_schema(
        "decline",
        DeclineInputSerializer,
        "The receiving organisation declines, with the reason (400 naming `reason` without "
        "one). Its sight of the case ends at once; the referral's own record stays.",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "decline")
        data = _valid(DeclineInputSerializer, _body(request))
        referral = services.referral_decline(
            actor=request.user, referral=referral, reason=data["reason"]
        )
        return self.answer(referral)


@extend_schema(tags=["referrals"], parameters=[REFERRAL_ID])
class UpdateListView(ReferralAPIView):
    """Actions taken and feedback given by the receiving organisation."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="referrals_updates_list",
        responses={200: ReferralUpdateSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        referral = self.referral()
        page = self.paginate_queryset(referral.updates.select_related("author"))
        return self.get_paginated_response(ReferralUpdateSerializer(page, many=True).data)

    @extend_schema(
        operation_id="referrals_updates_create",
        request=UpdateInputSerializer,
        responses={201: ReferralUpdateSerializer, **error_responses(400, 401, 403, 404, 409)},
        description=(
            "The receiving organisation records an action taken or feedback given, once it has "
            "accepted the referral; the first feedback meets the feedback deadline."
        ),
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "update")
        data = _valid(UpdateInputSerializer, _body(request))
        update = services.referral_update_add(
            actor=request.user, referral=referral, kind=data["kind"], text=data["text"]
        )
        return Response(ReferralUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class CompleteView(ReferralAPIView):
    @_action_schema(
        "complete",
        CompleteInputSerializer,
        "The case's commune closes an accepted referral once its purpose is served; the "
        "organisation's sight of the case ends at once. 403: your role may not; 409: the "
        "referral is not accepted.",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "complete")
        data = _valid(CompleteInputSerializer, _body(request))
        referral = services.referral_complete(
            actor=request.user, referral=referral, note=data["note"]
        )
        return self.answer(referral)


class WrittenNoticeView(ReferralAPIView):
    @_action_schema(
        "written_notice",
        WrittenNoticeInputSerializer,
        "The case's commune records the written notice that confirms a crime report passed "
        "to the police (Criminal Procedure Code Art. 146(4): by phone in an emergency, then in "
        "writing): its number and date. 403: your role may not; 409: the referral is no crime "
        "report.",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        data = _valid(WrittenNoticeInputSerializer, _body(request))
        referral = services.referral_record_written_notice(
            actor=request.user,
            referral=referral,
            reference=data["reference"],
            written_on=data["written_on"],
        )
        return self.answer(referral)


class RevokeView(ReferralAPIView):
    @_action_schema(
        "revoke",
        RevokeInputSerializer,
        "The case's commune withdraws an open referral, with the reason; the organisation's "
        "sight of the case ends at once. 409: the referral has already ended.",
    )
    def post(self, request: Request, id: str) -> Response:
        referral = self.referral()
        _precheck(request.user, referral, "revoke")
        data = _valid(RevokeInputSerializer, _body(request))
        referral = services.referral_revoke(
            actor=request.user, referral=referral, reason=data["reason"]
        )
        return self.answer(referral)


# ---------------------------------------------------------------------------------------------
# Where a case may be referred


def _nearness(organisation: Organisation, case: Case) -> str:
    if organisation.area_id == case.commune_id:
        return Nearness.COMMUNE
    if organisation.area_id == case.province_id:
        return Nearness.PROVINCE
    return Nearness.OTHER_COMMUNE


@extend_schema(tags=["referrals"])
class RecipientListView(ReferralAPIView):
    """The organisations near a case that may receive its referral, and each kind's rule."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="referrals_recipients_list",
        parameters=[RecipientFilterSerializer],
        responses={200: RecipientSerializer(many=True), **error_responses(400, 401, 404)},
        description=(
            "Organisations that may receive a referral of the case, nearest first (the case's "
            "commune, provincial bodies, other communes of the province), each with the sharing "
            "rule of its kind: whether a recorded consent is needed, why, and the legal basis. "
            "404 unless you may refer the case."
        ),
    )
    def get(self, request: Request) -> Response:
        filters = _valid(RecipientFilterSerializer, request.query_params)
        case = case_get_for(user=request.user, public_id=filters["case"])
        if "refer_case" not in case_permissions(request.user, case):
            raise Http404
        organisations = services.recipients_near(case=case, kind=filters.get("kind"))
        rules = {rule.organisation_kind: rule for rule in SharingRule.objects.all()}
        page = self.paginate_queryset(organisations)
        rows = [
            {
                "public_id": organisation.public_id,
                "name": organisation.name,
                "kind": organisation.kind,
                "area": organisation.area,
                "nearness": _nearness(organisation, case),
                "sharing_rule": rules.get(organisation.kind),
            }
            for organisation in page
        ]
        return self.get_paginated_response(RecipientSerializer(rows, many=True).data)
