"""
The cases API (issue #3): the record, its parts, the Decree 56 workflow, deadlines, notes and
documents, under /api/v1/cases/.

Every lookup starts from cases.selectors.case_get_for (a case the user may not see answers 404,
the same as one that does not exist); every write goes through cases.services, which decide
whether the user's role may act (403). The parts of the file beyond its summary (assessments,
plans, history, notes, documents...) need `view_case`: a user who holds only the summary gets
404 there too, as they may not learn more than the summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
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
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import User
from cases import perpetrators, services
from cases.access import VIEW_CASE, case_permissions, full_file_ids
from cases.activities import (
    NOT_IN_FORCE,
    PLAN_PERMISSION,
    activities_of_case,
    activity_of_case,
    activity_progress_record,
    distributions_shown,
    plan_distribution_record,
)
from cases.deadlines import deadline_view
from cases.downloads import document_response
from cases.hooks import summary_fields_for
from cases.models import (
    Case,
    CaseTransition,
    FamilyMember,
    PlanActivity,
    SeparationExtension,
)
from cases.selectors import (
    case_get_for,
    case_rows_for,
)
from cases.serializers import (
    STEP_INPUTS,
    ActivityProgressInputSerializer,
    ActivitySerializer,
    AssessmentSerializer,
    CaseDetailSerializer,
    CaseOpenSerializer,
    CaseRecordInputSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    ChildInputSerializer,
    ChildSerializer,
    DeadlineSerializer,
    DistributionInputSerializer,
    DistributionSerializer,
    DocumentInputSerializer,
    DocumentSerializer,
    EmergencyDecisionSerializer,
    FamilyMemberInputSerializer,
    FamilyMemberSerializer,
    NeedsMeetingSerializer,
    NoteInputSerializer,
    NoteSerializer,
    PerpetratorInputSerializer,
    PerpetratorSerializer,
    PlanSerializer,
    StepChoiceSerializer,
    StepSerializer,
    TransitionResultSerializer,
    TransitionSerializer,
)
from cases.workflow import STEPS, step_refusal, steps_available
from config.api import (
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    SafeJSONRenderer,
    error_responses,
)
from config.pagination import KeysetPagination

CASE_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The case's public id."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version being edited, e.g. "3" (from the last GET).',
)


def etag_header(*codes: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=list(codes),
        description='The case\'s version, e.g. "3": send it back in If-Match to edit.',
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def full_file_case_for(*, user: User, public_id: Any) -> tuple[Case, set[str]]:
    """
    Return a case whose whole file the user may read, with the user's permissions on it.

    A case the user may not see, or sees only in summary, answers 404: the parts of the file
    beyond the summary do not exist for them.
    """
    case = case_get_for(user=user, public_id=public_id)
    permissions = case_permissions(user, case)
    if VIEW_CASE not in permissions:
        raise Http404
    return case, permissions


def etag(case: Case) -> str:
    return f'"{case.version}"'


def expected_version(request: Request, case: Case) -> int:
    """
    Read If-Match: missing (or `*`) is 428, a version other than the case's is 412.

    The service checks the version again inside its transaction, so an edit that races this
    check still gets 412 and saves nothing.
    """
    header = (request.headers.get("If-Match") or "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    for tag in header.split(","):
        tag = tag.strip()
        tag = tag[2:] if tag.startswith("W/") else tag
        if tag.strip('"') == str(case.version):
            return case.version
    raise services.EditConflict()


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """A download is a file whatever the client accepts; its errors are JSON."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class CaseMetadata(SimpleMetadata):
    """OPTIONS names the methods, parsers and renderers; the fields are in the OpenAPI schema."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {}


# ---------------------------------------------------------------------------------------------
# The base view


@extend_schema(tags=["cases"])
class CaseAPIView(GenericAPIView):
    """
    A view under /api/v1/cases/: JSON in, JSON out, never cached; the services' exceptions
    become the API's error shape (config.api).
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    # JSON only: no browsable-API pages with a child's record in their forms (the schema and
    # its UI are at /api/schema/ and /api/docs/).
    renderer_classes = [SafeJSONRenderer]
    pagination_class = None
    metadata_class = CaseMetadata

    def full_file_case(self) -> tuple[Case, set[str]]:
        return full_file_case_for(user=self.request.user, public_id=self.kwargs["id"])

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.StepNotAvailable):
            exc = Conflict(detail=exc.message, code="step_not_available")
        elif isinstance(exc, services.EditConflict):
            exc = PreconditionFailed(detail=exc.message, code="edit_conflict")
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # Cache-Control: no-store (children's data)
        return response


def _paginated(view: GenericAPIView, queryset: QuerySet, serializer: type) -> Response:
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(serializer(page, many=True).data)


def _detail_response(
    case: Case, permissions: set[str], status_code: int = 200, *, user: User | None = None
) -> Response:
    if VIEW_CASE in permissions:
        data = CaseDetailSerializer(case, context={"permissions": permissions}).data
    else:
        # The one-case answer of a summary-only viewer carries the fields the granting app
        # (a referral's allow-list) lets this user see; list rows do not (bounded queries).
        fields = summary_fields_for(user, case) if user is not None else None
        data = CaseSummarySerializer(case, context={"summary_fields": fields}).data
    return Response(data, status=status_code, headers={"ETag": etag(case)})


def _reload(user: User, case: Case) -> Case:
    return case_get_for(user=user, public_id=case.public_id)


CASE_OR_SUMMARY = PolymorphicProxySerializer(
    component_name="CaseOrSummary",
    serializers={"full": CaseDetailSerializer, "summary": CaseSummarySerializer},
    resource_type_field_name="view",
)


# ---------------------------------------------------------------------------------------------
# The case


class CaseListView(CaseAPIView):
    """The cases the signed-in user may see, and opening a new one."""

    pagination_class = KeysetPagination

    @extend_schema(
        operation_id="cases_list",
        responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403)},
        description=(
            "Newest first. Follow `next` for older cases: each page starts after the last row "
            "of the one before, so a deep page costs what the first does. `count` stops at "
            "1,000 (`count_capped`: there are more)."
        ),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(case_rows_for(user=request.user))
        serializer = CaseSerializer(
            page, many=True, context={"full_ids": full_file_ids(request.user, page)}
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="cases_create",
        parameters=[etag_header(201)],
        request=CaseOpenSerializer,
        responses={
            201: OpenApiResponse(CaseDetailSerializer, description="The new case."),
            **error_responses(400, 401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CaseOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            case = services.case_open(
                actor=request.user,
                commune=data.pop("commune"),
                child=dict(data.pop("child")),
                received_at=data.pop("received_at", None),
                **data,
            )
        except DjangoValidationError as exc:
            # The service names the child's fields bare; here they sit under `child`.
            if not hasattr(exc, "error_dict"):
                raise
            raise DjangoValidationError(
                {
                    (f"child.{name}" if name in services.CHILD_FIELDS else name): errors
                    for name, errors in exc.error_dict.items()
                }
            ) from None
        case = _reload(request.user, case)
        response = _detail_response(case, case_permissions(request.user, case), 201)
        response["Location"] = f"{request.path}{case.public_id}/"
        return response


@extend_schema(parameters=[CASE_ID])
class CaseDetailView(CaseAPIView):
    """One case: the whole record, or its summary for those who hold only that."""

    @extend_schema(
        operation_id="cases_retrieve",
        parameters=[etag_header(200)],
        responses={
            200: CASE_OR_SUMMARY,
            **error_responses(401, 404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        case = case_get_for(user=request.user, public_id=id)
        return _detail_response(case, case_permissions(request.user, case), user=request.user)

    @extend_schema(
        operation_id="cases_partial_update",
        parameters=[IF_MATCH, etag_header(200)],
        request=CaseRecordInputSerializer,
        responses={
            200: CaseDetailSerializer,
            **error_responses(400, 401, 403, 404, 412, 428),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        case = case_get_for(user=request.user, public_id=id)
        _require_change(request.user, case)
        version = expected_version(request, case)
        serializer = CaseRecordInputSerializer(case, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.case_update_record(
            actor=request.user,
            case=case,
            expected_version=version,
            changes=dict(serializer.validated_data),
        )
        case = _reload(request.user, case)
        return _detail_response(case, case_permissions(request.user, case), user=request.user)


def _require_change(user: User, case: Case) -> None:
    # The service decides too; asking first answers 403 before the If-Match and field checks.
    if "change_case" not in case_permissions(user, case):
        raise services.StepNotPermitted(_("Your role may not do this on this case."))


# ---------------------------------------------------------------------------------------------
# The child and the family


@extend_schema(parameters=[CASE_ID])
class ChildView(CaseAPIView):
    @extend_schema(
        operation_id="cases_child_retrieve",
        parameters=[etag_header(200)],
        responses={200: ChildSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return Response(ChildSerializer(case.child).data, headers={"ETag": etag(case)})

    @extend_schema(
        operation_id="cases_child_partial_update",
        parameters=[IF_MATCH, etag_header(200)],
        request=ChildInputSerializer,
        responses={200: ChildSerializer, **error_responses(400, 401, 403, 404, 412, 428)},
    )
    def patch(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        _require_change(request.user, case)
        version = expected_version(request, case)
        serializer = ChildInputSerializer(case.child, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        case = services.case_update_child(
            actor=request.user,
            case=case,
            expected_version=version,
            changes=dict(serializer.validated_data),
        )
        return Response(ChildSerializer(case.child).data, headers={"ETag": etag(case)})


@extend_schema(parameters=[CASE_ID])
class FamilyMemberListView(CaseAPIView):
    @extend_schema(
        operation_id="cases_family_members_list",
        responses={200: FamilyMemberSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        members = FamilyMember.objects.filter(child_id=case.child_id)
        return Response(FamilyMemberSerializer(members, many=True).data)

    @extend_schema(
        operation_id="cases_family_members_create",
        parameters=[etag_header(201)],
        request=FamilyMemberInputSerializer,
        responses={201: FamilyMemberSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        serializer = FamilyMemberInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.family_member_add(
            actor=request.user, case=case, data=dict(serializer.validated_data)
        )
        case.refresh_from_db(fields=["version"])
        return Response(
            FamilyMemberSerializer(member).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(case)},
        )


@extend_schema(
    parameters=[
        CASE_ID,
        OpenApiParameter(
            "member_id",
            OpenApiTypes.INT,
            OpenApiParameter.PATH,
            description="The family member's id within this case.",
        ),
    ]
)
class FamilyMemberDetailView(CaseAPIView):
    @extend_schema(
        operation_id="cases_family_members_destroy",
        parameters=[etag_header(204)],
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str, member_id: str) -> Response:
        case, _permissions = self.full_file_case()
        # Scoped to this child: another case's member id is simply not found here.
        if not member_id.isdigit():
            raise Http404
        member = FamilyMember.objects.filter(child_id=case.child_id, pk=int(member_id)).first()
        if member is None:
            raise Http404
        services.family_member_remove(actor=request.user, case=case, member=member)
        case.refresh_from_db(fields=["version"])
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(case)})


# ---------------------------------------------------------------------------------------------
# Assessments, plans, emergency decisions, needs meetings (read; written by workflow steps)


def _list_view(
    name: str, serializer: type, rows: Callable[[Case], QuerySet], doc: str
) -> type[CaseAPIView]:
    @extend_schema(
        operation_id=f"cases_{name}_list",
        parameters=[CASE_ID],
        responses={200: serializer(many=True), **error_responses(401, 404)},
    )
    def get(self: CaseAPIView, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return Response(serializer(rows(case), many=True).data)

    class_name = "".join(part.title() for part in name.split("_")) + "View"
    return type(class_name, (CaseAPIView,), {"get": get, "__doc__": doc, "__module__": __name__})


AssessmentListView = _list_view(
    "assessments",
    AssessmentSerializer,
    lambda case: case.assessments.select_related("assessor"),
    "Every assessment of the case (Mẫu 02, 03, 06) with its ratings and their tally.",
)
PlanListView = _list_view(
    "plans",
    PlanSerializer,
    lambda case: case.plans.select_related("drafted_by", "approved_by").prefetch_related(
        Prefetch("activities", queryset=PlanActivity.objects.select_related("organisation"))
    ),
    "Every version of the plan (Mẫu 04/05) with its activities, superseded ones included.",
)
EmergencyDecisionListView = _list_view(
    "emergency_decisions",
    EmergencyDecisionSerializer,
    lambda case: case.emergency_decisions.select_related("decided_by").prefetch_related(
        Prefetch("extensions", queryset=SeparationExtension.objects.select_related("decided_by"))
    ),
    "Emergency interventions and temporary separations (Mẫu 07) with their extensions.",
)
NeedsMeetingListView = _list_view(
    "needs_meetings",
    NeedsMeetingSerializer,
    lambda case: case.needs_meetings.select_related("recorded_by"),
    "The needs meetings (Art. 27(2)) and their minutes.",
)


# ---------------------------------------------------------------------------------------------
# The workflow: history, steps available, taking a step


def _related_id(made: Any) -> uuid.UUID | None:
    """What a step made or changed: an assessment, a decision (an extension's), or a plan."""
    if isinstance(made, Case):
        return None
    if isinstance(made, SeparationExtension):
        made = made.decision
    return getattr(made, "public_id", None)


TRANSITION_REQUEST = PolymorphicProxySerializer(
    component_name="TransitionRequest",
    serializers=STEP_INPUTS,
    resource_type_field_name="step",
)


def _workflow_visible(permissions: set[str]) -> None:
    """
    The workflow of a case is part of its whole file; one who sees only the summary reaches it
    only for the steps such a viewer may take (the police unit's intervention): else 404.
    """
    if VIEW_CASE not in permissions and not any(
        step.summary_viewers and step.permission in permissions for step in STEPS.values()
    ):
        raise Http404


@extend_schema(parameters=[CASE_ID])
class TransitionListView(CaseAPIView):
    """The history of the case, and taking the next step of the Decree 56 workflow."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="cases_transitions_list",
        responses={200: TransitionSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return _paginated(self, case.transitions.select_related("actor"), TransitionSerializer)

    @extend_schema(
        operation_id="cases_transitions_create",
        request=TRANSITION_REQUEST,
        responses={
            201: TransitionResultSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        description=(
            "Take a workflow step: `step` names it, the other fields are what it requires "
            "(see GET …/steps/). 403: your role may not take it; 409: the case's status does "
            "not allow it; 400: a field is missing or invalid (fields named as "
            "`activities[0].ends_on`)."
        ),
    )
    def post(self, request: Request, id: str) -> Response:
        # A summary viewer may take the steps the table lets them take (the police unit's
        # intervention); the table refuses them every other step as their role's.
        case = case_get_for(user=request.user, public_id=id)
        permissions = case_permissions(request.user, case)
        _workflow_visible(permissions)
        if not isinstance(request.data, Mapping):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send a JSON object with the step and its fields.")]}
            )
        choice = StepChoiceSerializer(data={"step": request.data.get("step")})
        choice.is_valid(raise_exception=True)
        name = choice.validated_data["step"]
        step = STEPS[name]
        # The table's answer first, as the service gives it under its lock: the role (403),
        # then the state (409), so a refused step is refused before its fields are examined.
        services.raise_refusal(step_refusal(step, case=case, permissions=permissions))
        serializer = STEP_INPUTS[name](
            data=request.data, context={"case": case, "actor": request.user}
        )
        serializer.is_valid(raise_exception=True)
        inputs = dict(serializer.validated_data)
        inputs.pop("step", None)
        made = step.service(actor=request.user, case=case, **inputs)
        transition = (
            CaseTransition.objects.filter(case_id=case.pk, name=name, actor=request.user)
            .select_related("actor")
            .order_by("-id")
            .first()
        )
        try:
            # A transfer may take the case out of the user's reach: then `case` is null.
            case = _reload(request.user, case)
            permissions = case_permissions(request.user, case)
            if VIEW_CASE not in permissions:
                raise Http404  # the summary viewer's answer names the step, not the file
            case_data = CaseDetailSerializer(case, context={"permissions": permissions}).data
            headers = {"ETag": etag(case)}
        except Http404:
            case_data, headers = None, {}
        related = _related_id(made)
        body = {
            "case": case_data,
            "transition": TransitionSerializer(transition).data if transition else None,
            "related_id": str(related) if related else None,
        }
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


@extend_schema(parameters=[CASE_ID])
class StepListView(CaseAPIView):
    """The steps this user may take on the case now."""

    @extend_schema(
        operation_id="cases_steps_list",
        responses={200: StepSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case = case_get_for(user=request.user, public_id=id)
        permissions = case_permissions(request.user, case)
        _workflow_visible(permissions)
        steps = [
            {
                "name": step.name,
                "label": str(step.label),
                "requires": str(step.requires),
                "form": step.form,
                "target": step.target_for(case.status),
            }
            for step in steps_available(case=case, permissions=permissions)
        ]
        return Response(StepSerializer(steps, many=True).data)


@extend_schema(parameters=[CASE_ID])
class DeadlineListView(CaseAPIView):
    """Each statutory clock on the case, with its rule, citation and time left."""

    @extend_schema(
        operation_id="cases_deadlines_list",
        responses={200: DeadlineSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        now = timezone.now()
        views = [deadline_view(d, now) for d in case.deadlines.select_related("rule")]
        return Response(DeadlineSerializer(views, many=True).data)


# ---------------------------------------------------------------------------------------------
# Notes and documents


@extend_schema(parameters=[CASE_ID])
class NoteListView(CaseAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="cases_notes_list",
        responses={200: NoteSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return _paginated(self, case.notes.select_related("author"), NoteSerializer)

    @extend_schema(
        operation_id="cases_notes_create",
        request=NoteInputSerializer,
        responses={201: NoteSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.case_note_add(
            actor=request.user, case=case, text=serializer.validated_data["text"]
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[CASE_ID])
class DocumentListView(CaseAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="cases_documents_list",
        responses={200: DocumentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return _paginated(self, case.documents.select_related("uploaded_by"), DocumentSerializer)

    @extend_schema(
        operation_id="cases_documents_create",
        request={"multipart/form-data": DocumentInputSerializer},
        responses={201: DocumentSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        serializer = DocumentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.case_document_add(
            actor=request.user,
            case=case,
            upload=data["file"],
            kind=data.get("kind", "other"),
            description=data.get("description", ""),
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


DOWNLOAD_TYPES = sorted({content_type for content_type, _magic in services.DOCUMENT_TYPES.values()})


@extend_schema(
    parameters=[
        CASE_ID,
        OpenApiParameter(
            "document_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The document id."
        ),
    ]
)
class DocumentDownloadView(CaseAPIView):
    """The document's file, after the same access check as the case."""

    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        operation_id="cases_documents_download",
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in DOWNLOAD_TYPES},
            **error_responses(401, 404),
        },
    )
    def get(self, request: Request, id: str, document_id: str) -> FileResponse:
        case, _permissions = self.full_file_case()
        document = case.documents.filter(public_id=_uuid_or_404(document_id)).first()
        if document is None:
            raise Http404
        return document_response(user=request.user, case=case, document=document)


# ---------------------------------------------------------------------------------------------
# Alleged perpetrators (as the family members: cases.perpetrators)


@extend_schema(parameters=[CASE_ID])
class PerpetratorListView(CaseAPIView):
    """The case's alleged perpetrators: family members or anyone else (issue #13)."""

    @extend_schema(
        operation_id="cases_perpetrators_list",
        responses={200: PerpetratorSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        rows = case.perpetrators.select_related("recorded_by")
        return Response(PerpetratorSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="cases_perpetrators_create",
        parameters=[etag_header(201)],
        request=PerpetratorInputSerializer,
        responses={201: PerpetratorSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        _require_change(request.user, case)
        serializer = PerpetratorInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        member_id = data.pop("family_member", None)
        if member_id is not None:
            # Scoped to this child: another case's member id is simply not found here.
            data["family_member"] = case.child.family_members.filter(pk=member_id).first()
            if data["family_member"] is None:
                raise DjangoValidationError(
                    {"family_member": _("This person is not in this child's family.")}
                )
        perpetrator = perpetrators.perpetrator_add(actor=request.user, case=case, data=data)
        case.refresh_from_db(fields=["version"])
        return Response(
            PerpetratorSerializer(perpetrator).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(case)},
        )


@extend_schema(
    parameters=[
        CASE_ID,
        OpenApiParameter(
            "perpetrator_id",
            OpenApiTypes.UUID,
            OpenApiParameter.PATH,
            description="The alleged perpetrator's id.",
        ),
    ]
)
class PerpetratorDetailView(CaseAPIView):
    @extend_schema(
        operation_id="cases_perpetrators_destroy",
        parameters=[etag_header(204)],
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str, perpetrator_id: str) -> Response:
        case, _permissions = self.full_file_case()
        perpetrator = case.perpetrators.filter(public_id=_uuid_or_404(perpetrator_id)).first()
        if perpetrator is None:
            raise Http404
        perpetrators.perpetrator_remove(actor=request.user, case=case, perpetrator=perpetrator)
        case.refresh_from_db(fields=["version"])
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(case)})


# ---------------------------------------------------------------------------------------------
# Carrying out the approved plan (cases.activities): who received it, each activity's progress

PLAN_VERSION = OpenApiParameter(
    "version",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The plan's version within this case (1, 2, …; see GET …/plans/).",
)
ACTIVITY_ID = OpenApiParameter(
    "activity_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The plan activity's id (see GET …/activities/).",
)


def _may_plan(permissions: set[str]) -> None:
    # The service decides too; asking first answers 403 before the state and the fields.
    if PLAN_PERMISSION not in permissions:
        raise services.StepNotPermitted(_("Your role may not do this on this case."))


def _plan_of(case: Case, version: str):
    """The plan of this version of the case, or 404 (a malformed version too)."""
    if not version.isdigit() or len(version) > 5:
        raise Http404
    plan = (
        case.plans.filter(version=int(version))
        .prefetch_related(Prefetch("distributions", queryset=distributions_shown()))
        .first()
    )
    if plan is None:
        raise Http404
    return plan


@extend_schema(parameters=[CASE_ID, PLAN_VERSION])
class DistributionListView(CaseAPIView):
    """Who received the approved decision and plan (Decree 56 Art. 28(5)); recording one more."""

    @extend_schema(
        operation_id="cases_plans_distributions_list",
        responses={200: DistributionSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, id: str, version: str) -> Response:
        case, _permissions = self.full_file_case()
        plan = _plan_of(case, version)
        return Response(DistributionSerializer(plan.distributions.all(), many=True).data)

    @extend_schema(
        operation_id="cases_plans_distributions_create",
        request=DistributionInputSerializer,
        responses={201: DistributionSerializer, **error_responses(400, 401, 403, 404, 409)},
        description=(
            "Record that the approved decision and plan went to one recipient: an agency, "
            "organisation or person who carries out the plan, or the parents or carer "
            "(Decree 56 Art. 28(5)). 403: your role may not (the officer who drafts plans "
            "records it); 409: this version is not the approved plan in force; 400: a field "
            "is missing or invalid (`sent_on` not in the future nor before the decision date)."
        ),
    )
    def post(self, request: Request, id: str, version: str) -> Response:
        case, permissions = self.full_file_case()
        plan = _plan_of(case, version)
        _may_plan(permissions)
        if plan.status != plan.Status.APPROVED:
            raise services.StepNotAvailable(str(NOT_IN_FORCE))
        serializer = DistributionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        distribution = plan_distribution_record(
            actor=request.user,
            case=case,
            plan=plan,
            recipient=data.get("recipient", ""),
            organisation=data.get("organisation"),
            is_carer=data.get("is_carer", False),
            sent_on=data.get("sent_on"),
            method=data.get("method", ""),
        )
        return Response(DistributionSerializer(distribution).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[CASE_ID])
class ActivityListView(CaseAPIView):
    """Every activity of the case's plans with its status and the history of its progress."""

    @extend_schema(
        operation_id="cases_activities_list",
        responses={200: ActivitySerializer(many=True), **error_responses(401, 404)},
        description=(
            "Newest plan first; `plan_status: approved` marks the activities of the plan in "
            "force, the ones whose progress can be recorded."
        ),
    )
    def get(self, request: Request, id: str) -> Response:
        case, _permissions = self.full_file_case()
        return Response(ActivitySerializer(activities_of_case(case), many=True).data)


@extend_schema(parameters=[CASE_ID, ACTIVITY_ID])
class ActivityProgressView(CaseAPIView):
    """Recording how an activity of the approved plan is getting on."""

    @extend_schema(
        operation_id="cases_activities_progress_create",
        request=ActivityProgressInputSerializer,
        responses={201: ActivitySerializer, **error_responses(400, 401, 403, 404, 409)},
        description=(
            "Set the activity's status (planned, in progress, done, or cancelled: dropped) "
            "and add it to its history. A dropped activity needs a `note` saying why. 403: "
            "your role may not; 409: the case is not open, or the activity is not of the "
            "approved plan in force."
        ),
    )
    def post(self, request: Request, id: str, activity_id: str) -> Response:
        case, permissions = self.full_file_case()
        activity = activity_of_case(case, _uuid_or_404(activity_id))
        if activity is None:
            raise Http404
        _may_plan(permissions)
        serializer = ActivityProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        activity = activity_progress_record(
            actor=request.user,
            case=case,
            activity=activity,
            status=data.get("status", ""),
            note=data.get("note", ""),
        )
        activity = activities_of_case(case).get(pk=activity.pk)
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
