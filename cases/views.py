"""
The case pages. Every view starts from the one door (cases.selectors.case_get_for: 404 for what
the user may not see, the same page as a missing case), checks the workflow table, calls one
service, and redirects. Failures come back as pages: a refused step (409) shows why, a role that
may not act gets 403, a validation error shows each message next to its field and saves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import memberships_of
from audit.services import audit_transaction
from cases import forms as case_forms
from cases import perpetrators, services
from cases.access import VIEW_CASE, case_permissions
from cases.activities import (
    NOT_IN_FORCE,
    PLAN_PERMISSION,
    activity_of_case,
    activity_progress_record,
    activity_progress_shown,
    distributions_shown,
    plan_distribution_record,
    with_distributions,
)
from cases.crime import CRIME_RULES, crime_sign_names
from cases.deadlines import clock_of
from cases.downloads import document_response
from cases.hooks import (
    HISTORY_LABELS,
    activity_sections,
    case_sections,
    home_sections,
    summary_fields_for,
)
from cases.models import (
    Assessment,
    Case,
    Plan,
    PlanActivity,
    RiskLevel,
)
from cases.selectors import (
    case_get_for,
    case_list_for,
    case_readers,
    case_rows_for,
    cases_of_incident_for,
    deadlines_due_for,
    may_see_readers,
    notifications_shown_for,
    overdue_by_commune_for,
    plans_awaiting_approval_for,
)
from cases.workflow import OPEN_STATES, ROLE, STEPS, Step, step_refusal, steps_available
from config.keyset import InvalidCursor, first_rows_counted, keyset_page

CASES_PER_PAGE = 25
# Who decides for the commune: the chairman, and a deputy signing for him.
SIGNERS = frozenset({Role.CHAIRMAN, Role.DEPUTY_CHAIRMAN})
HOME_CASES_SHOWN = 10
HOME_DEADLINES_SHOWN = 20
HOME_ITEMS_SHOWN = 20
NOTIFICATIONS_SHOWN = 100
MERGE_CANDIDATES_SHOWN = 200

# Status codes of the refusals a page can give back.
INVALID = 400  # the form has errors; nothing was saved
CONFLICT = 409  # the case's state does not allow the step, or someone else saved first


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a page of the signed-in area (the header's badge: cases.context_processors)."""
    return render(request, template, context, status=status)


def _require(permissions: set[str], permission: str) -> None:
    """The user sees the case; without the permission they get the 403 page."""
    if permission not in permissions:
        raise PermissionDenied(_("Your role may not do this on this case."))


def _full_file_or_404(permissions: set[str]) -> None:
    """Content beyond the summary is something a summary-only viewer may not see at all."""
    if VIEW_CASE not in permissions:
        raise Http404


# ---------------------------------------------------------------------------------------------
# Home


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each role what it works on; roles with nothing yet get an honest empty state."""
    user = request.user
    memberships = memberships_of(user=user)
    roles = {m.role for m in memberships}
    cases = case_rows_for(user=user)
    shown_cases, case_count = first_rows_counted(cases, HOME_CASES_SHOWN)
    context: dict[str, Any] = {
        "memberships": memberships,
        "roles": roles,
        "Role": Role,
        "cases": shown_cases,
        "case_count": case_count,
        "works_cases": bool(roles & {Role.CP_OFFICER, *SIGNERS, Role.SUPERVISOR}),
    }
    if Role.CP_OFFICER in roles:
        now = timezone.now()
        due, context["clock_count"] = first_rows_counted(
            deadlines_due_for(user=user), HOME_DEADLINES_SHOWN
        )
        context["clocks"] = [clock_of(d, now) for d in due]
        context["can_open"] = True
    if roles & SIGNERS:
        context["awaiting"] = list(plans_awaiting_approval_for(user=user)[:HOME_ITEMS_SHOWN])
        for case in context["awaiting"]:
            # A submitted plan is decided on its step page; a review is read on the case page.
            case.approvable = case.status in STEPS["approve_plan"].sources
        context["emergencies"] = list(
            cases.filter(
                emergency_required=True,
                status__in=[Case.Status.RECEIVED, Case.Status.INITIAL_ASSESSED],
            ).order_by("received_at")[:HOME_ITEMS_SHOWN]
        )
    if Role.SUPERVISOR in roles:
        context["by_commune"] = overdue_by_commune_for(user=user)
    context["notifications"] = notifications_shown_for(
        user=user, limit=HOME_ITEMS_SHOWN, unread=True
    )
    context["extra_sections"] = home_sections(request, roles)
    return _page(request, "cases/home.html", context)


# ---------------------------------------------------------------------------------------------
# List, open, page


@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = case_rows_for(user=request.user)
    try:
        page = keyset_page(cases, cursor=request.GET.get("cursor"), size=CASES_PER_PAGE)
    except InvalidCursor:
        # A link mangled in transit: the newest cases, as any list starts.
        page = keyset_page(cases, cursor=None, size=CASES_PER_PAGE)
    return _page(request, "cases/case_list.html", {"page": page, "count": page.count(cases)})


@never_cache
@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    """The commune officer opens a case from a report received at the commune (Mẫu 01)."""
    communes = services.communes_where_user_opens_cases(user=request.user)
    if not communes:
        raise PermissionDenied(_("You may open cases only in your own commune."))
    form = case_forms.CaseOpenForm(request.POST or None, communes=communes)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                with audit_transaction():
                    case = services.case_open(actor=request.user, **form.service_kwargs())
                    for member in form.parents():
                        services.family_member_add(actor=request.user, case=case, data=member)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
                return redirect("cases:detail", case.public_id)
    return _page(request, "cases/case_form.html", {"form": form, "creating": True}, status)


LEVEL_LABELS = case_forms.LEVEL_LABELS
RATING_ROWS = (
    (case_forms.HARM_SECTION, Assessment.RATING_FIELDS),
    (case_forms.PROTECTION_SECTION, Assessment.PROTECTION_FIELDS),
)
YES_NO = {True: gettext_lazy("Yes"), False: gettext_lazy("No"), None: "—"}


def _display(obj: Any, name: str) -> Any:
    """Return a field's value as a person reads it (choice labels, Yes/No, lists of labels)."""
    value = getattr(obj, name)
    if name in case_forms.MULTI_CHOICE_FIELDS:
        choices = case_forms.MULTI_CHOICE_FIELDS[name]
        labels = dict(choices.choices)
        return ", ".join(str(labels.get(v, v)) for v in value or [])
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None:
        return display()
    if isinstance(value, bool) or value is None:
        return YES_NO[value] if isinstance(value, bool) else ""
    return value


def _facts(obj: Any, form_class: type, names: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(label, value) pairs, labelled as the form that fills them in labels them."""
    fields = form_class.base_fields
    return [(fields[name].label, _display(obj, name)) for name in names]


def _assessment_table(assessments: list[Assessment]) -> list[dict[str, Any]]:
    """One row per factor, one column per assessment: how the risk changed over time."""
    rows: list[dict[str, Any]] = []
    for section, names in RATING_ROWS:
        rows.append({"section": section})
        for name in names:
            rows.append(
                {
                    "label": case_forms.RATING_LABELS[name],
                    "cells": [
                        {"level": getattr(a, name), "text": LEVEL_LABELS.get(getattr(a, name), "")}
                        for a in assessments
                    ],
                }
            )
    tallies = [a.tally() for a in assessments]
    rows.append({"section": gettext_lazy("Total"), "tally": True})
    for level in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW):
        rows.append(
            {
                "label": LEVEL_LABELS[level],
                "cells": [{"level": level.value, "text": t[level.value]} for t in tallies],
                "tally": True,
            }
        )
    return rows


# The summary at the top already gives the child's name, age and sex.
CHILD_FACTS = tuple(n for n in case_forms.ChildFields.CHILD if n not in ("full_name", "sex"))


def _record_facts(case: Case) -> list[tuple[Any, Any]]:
    names = tuple(
        n for n in case_forms.RecordFields.RECORD if n not in case_forms.RecordFields.REPORTER
    )
    return _facts(case, case_forms.RecordFields, names)


@never_cache
@login_required
def case_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    permissions = case_permissions(request.user, case)
    context: dict[str, Any] = {
        "case": case,
        "full_file": VIEW_CASE in permissions,
        "permissions": permissions,
    }
    if VIEW_CASE not in permissions:
        # What the app that granted the summary allows this user (a referral's allow-list).
        context["summary_fields"] = summary_fields_for(request.user, case) or []
        # The steps such a viewer may take (the police unit's emergency intervention).
        context["steps"] = steps_available(case=case, permissions=permissions)
        return _page(request, "cases/case_detail.html", context)
    now = timezone.now()
    assessments = list(case.assessments.select_related("assessor"))
    plans = list(
        case.plans.select_related("drafted_by", "approved_by")
        .prefetch_related(
            Prefetch("activities", queryset=PlanActivity.objects.select_related("organisation"))
        )
        .order_by("-version")
    )
    with_distributions(plans)  # Art. 28(5): who received each approved plan
    transitions = list(case.transitions.select_related("actor"))
    for transition in transitions:
        step = STEPS.get(transition.name)
        transition.step_label = (
            step.label if step else HISTORY_LABELS.get(transition.name, transition.name)
        )
    context.update(
        {
            "steps": steps_available(case=case, permissions=permissions),
            "clocks": [clock_of(d, now) for d in case.deadlines.select_related("rule")],
            "record_facts": _record_facts(case),
            "child_facts": _facts(case.child, case_forms.ChildFields, CHILD_FACTS),
            "family": list(case.child.family_members.all()),
            "perpetrators": list(case.perpetrators.select_related("family_member")),
            "assessments": assessments,
            "assessment_rows": _assessment_table(assessments),
            "decisions": list(
                case.emergency_decisions.select_related("decided_by").prefetch_related(
                    "extensions__decided_by"
                )
            ),
            "meetings": list(case.needs_meetings.select_related("recorded_by")),
            "plans": plans,
            "notes": list(case.notes.select_related("author")),
            "documents": list(case.documents.select_related("uploaded_by")),
            "transitions": transitions,
            "can_change": "change_case" in permissions,
            "can_plan": PLAN_PERMISSION in permissions,
            "note_form": case_forms.NoteForm(),
            "document_form": case_forms.DocumentForm(max_bytes=settings.DOCUMENT_MAX_BYTES),
            "extra_sections": case_sections(request, case, permissions),
            "incident_cases": list(cases_of_incident_for(user=request.user, case=case)),
        }
    )
    context["may_see_readers"] = may_see_readers(user=request.user, case=case)
    if case.crime_report:
        # Shown above the file until the police have the report and its written notice.
        context["crime_signs"] = crime_sign_names(case)
        context["crime_clocks"] = [
            c for c in context["clocks"] if c.deadline.rule.code in CRIME_RULES
        ]
    return _page(request, "cases/case_detail.html", context)


READERS_PER_PAGE = 50


@never_cache
@login_required
def case_readers_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Who has read this case, from the audit trail: for those who hold it by jurisdiction."""
    case = case_get_for(user=request.user, public_id=public_id)
    if not may_see_readers(user=request.user, case=case):
        raise Http404
    readers, entries = case_readers(case=case)
    page = Paginator(entries, READERS_PER_PAGE).get_page(request.GET.get("page"))
    return _page(
        request, "cases/case_readers.html", {"case": case, "readers": readers, "page": page}
    )


# ---------------------------------------------------------------------------------------------
# Workflow steps: one form page per step of the table in cases.workflow


# The pages' input of each step of the table in cases.workflow (a test holds them equal); the
# step's service and whether it may be taken come from the table.
STEP_FORMS: dict[str, type[case_forms.StepForm]] = {
    "assess_initial": case_forms.AssessInitialForm,
    "record_intervention": case_forms.RecordInterventionForm,
    "decide_emergency": case_forms.DecideEmergencyForm,
    "extend_separation": case_forms.ExtendSeparationForm,
    "end_separation": case_forms.EndSeparationForm,
    "assess_specific": case_forms.AssessSpecificForm,
    "reassess_specific": case_forms.ReassessSpecificForm,
    "petition_court": case_forms.PetitionCourtForm,
    "hold_needs_meeting": case_forms.NeedsMeetingForm,
    "draft_plan": case_forms.DraftPlanForm,
    "submit_plan": case_forms.ConfirmForm,
    "return_plan": case_forms.ReasonForm,
    "approve_plan": case_forms.ApprovePlanForm,
    "start_implementation": case_forms.ConfirmForm,
    "record_review": case_forms.RecordReviewForm,
    "close": case_forms.CloseForm,
    "mark_not_substantiated": case_forms.ReasonForm,
    "transfer": case_forms.TransferForm,
    "merge": case_forms.MergeForm,
    "end_otherwise": case_forms.EndOtherwiseForm,
}

# What a step page shows above its form, so the person deciding sees what they decide on.
PLAN_STEPS = {"submit_plan", "return_plan", "approve_plan", "start_implementation"}
REVIEW_STEPS = {"close"}


def _step_form_kwargs(request: HttpRequest, step: Step, case: Case) -> dict[str, Any]:
    if step.name == "transfer":
        province = None
        if request.GET.get("province"):
            province = (
                case_forms.current_provinces().filter(pk=_int(request.GET["province"])).first()
            )
        return {"province": province}
    if step.name == "merge":
        return {"visible_cases": case_list_for(user=request.user).exclude(pk=case.pk)}
    return {}


def _int(text: str) -> int:
    return case_forms.parse_id(text) or 0


def _step_context(step: Step, case: Case) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if step.name in PLAN_STEPS:
        context["plan"] = (
            case.plans.exclude(status=Plan.Status.SUPERSEDED)
            .prefetch_related(
                Prefetch("activities", queryset=PlanActivity.objects.select_related("organisation"))
            )
            .order_by("-version")
            .first()
        )
    if step.name in REVIEW_STEPS:
        context["review"] = (
            case.assessments.filter(kind=Assessment.Kind.REVIEW)
            .order_by("-assessed_at", "-id")
            .first()
        )
    if step.name == "transfer":
        context["provinces"] = case_forms.current_provinces()
    return context


@never_cache
@login_required
def case_step(request: HttpRequest, public_id: uuid.UUID, step_name: str) -> HttpResponse:
    """GET: the step's form. POST: take the step through its service, then back to the case."""
    case = case_get_for(user=request.user, public_id=public_id)
    form_class = STEP_FORMS.get(step_name)
    if form_class is None:
        raise Http404
    step = STEPS[step_name]
    refused = step_refusal(step, case=case, permissions=case_permissions(request.user, case))
    if refused is not None and refused.kind == ROLE:
        services.raise_refusal(refused)
    data = request.POST if request.method == "POST" else None
    form = form_class(
        data=data,
        case=case,
        user=request.user,
        **_step_form_kwargs(request, step, case),
    )
    refusal = ""
    status = 200
    if refused is not None:
        refusal, status = refused.message, CONFLICT
    elif request.method == "POST" and not form.redisplay:
        status = INVALID
        if form.is_valid():
            try:
                step.service(actor=request.user, case=case, **form.service_kwargs())
            except services.StepNotAvailable as error:
                refusal, status = error.message, CONFLICT
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Done: %(step)s.") % {"step": step.label})
                if not case_list_for(user=request.user).filter(pk=case.pk).exists():
                    # A transfer hands the case to another commune: its page is theirs now.
                    return redirect("cases:list")
                return redirect("cases:detail", case.public_id)
    context = {"case": case, "step": step, "form": form, "refusal": refusal}
    context.update(_step_context(step, case))
    if step.name == "merge":
        context["merge_candidates"] = form.visible_cases.filter(status__in=OPEN_STATES).values_list(
            "number", flat=True
        )[:MERGE_CANDIDATES_SHOWN]
    return _page(request, "cases/step_form.html", context, status)


# ---------------------------------------------------------------------------------------------
# Editing the record and the child (lost-update check through the case's version)


def _edit(
    request: HttpRequest,
    public_id: uuid.UUID,
    form_class: type[case_forms.VersionedForm],
    names: tuple[str, ...],
    service: Callable[..., Case],
    template_context: dict[str, Any],
) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _require(case_permissions(request.user, case), "change_case")
    form = form_class(request.POST or None, case=case)
    conflict = ""
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                service(
                    actor=request.user,
                    case=case,
                    expected_version=form.cleaned_data["version"],
                    changes=form.changes(names),
                )
            except services.EditConflict as error:
                # Keep what this person typed; what the other person saved stays saved.
                conflict, status = error.message, CONFLICT
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:detail", case.public_id)
    context = {"case": case, "form": form, "conflict": conflict, **template_context}
    return _page(request, "cases/case_form.html", context, status)


@never_cache
@login_required
def case_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _edit(
        request,
        public_id,
        case_forms.RecordEditForm,
        case_forms.RecordFields.RECORD,
        services.case_update_record,
        {"editing": "record"},
    )


@never_cache
@login_required
def case_edit_child(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _edit(
        request,
        public_id,
        case_forms.ChildEditForm,
        case_forms.ChildFields.CHILD,
        services.case_update_child,
        {"editing": "child"},
    )


@never_cache
@login_required
def family_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _require(case_permissions(request.user, case), "change_case")
    form = case_forms.FamilyMemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                services.family_member_add(
                    actor=request.user, case=case, data=dict(form.cleaned_data)
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("cases:detail", args=[case.public_id]) + "#family")
    return _page(request, "cases/family_form.html", {"case": case, "form": form}, status)


@never_cache
@login_required
@require_POST
def family_remove(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _require(case_permissions(request.user, case), "change_case")
    member = case.child.family_members.filter(pk=_int(request.POST.get("member", ""))).first()
    if member is None:
        raise Http404
    services.family_member_remove(actor=request.user, case=case, member=member)
    messages.success(request, _("Removed."))
    return redirect(reverse("cases:detail", args=[case.public_id]) + "#family")


# ---------------------------------------------------------------------------------------------
# Notes and documents


@never_cache
@login_required
def note_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _full_file_or_404(case_permissions(request.user, case))
    form = case_forms.NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                services.case_note_add(
                    actor=request.user, case=case, text=form.cleaned_data["text"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Note added."))
                return redirect(reverse("cases:detail", args=[case.public_id]) + "#notes")
    context = {"case": case, "form": form, "title": gettext_lazy("Add a note")}
    return _page(request, "cases/small_form.html", context, status)


@never_cache
@login_required
def incident_link(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Link this case to another child's case harmed in the same incident (by its number)."""
    case = case_get_for(user=request.user, public_id=public_id)
    permissions = case_permissions(request.user, case)
    _full_file_or_404(permissions)
    _require(permissions, "change_case")
    form = case_forms.IncidentLinkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            number = form.cleaned_data["other_number"].strip()
            other = case_list_for(user=request.user).filter(number=number).first()
            try:
                services.case_link_incident(
                    actor=request.user,
                    case=case,
                    other=other,
                    title=form.cleaned_data.get("title", ""),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The cases are linked as one incident."))
                return redirect(reverse("cases:detail", args=[case.public_id]) + "#incident")
    context = {"case": case, "form": form, "title": gettext_lazy("Children harmed together")}
    return _page(request, "cases/small_form.html", context, status)


@never_cache
@login_required
def document_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _full_file_or_404(case_permissions(request.user, case))
    form = case_forms.DocumentForm(
        request.POST or None, request.FILES or None, max_bytes=settings.DOCUMENT_MAX_BYTES
    )
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.case_document_add(
                    actor=request.user,
                    case=case,
                    upload=data["file"],
                    kind=data["kind"],
                    description=data["description"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Document uploaded."))
                return redirect(reverse("cases:detail", args=[case.public_id]) + "#documents")
    context = {"case": case, "form": form, "title": gettext_lazy("Upload a document")}
    return _page(request, "cases/small_form.html", context, status)


@never_cache
@login_required
def document_download(
    request: HttpRequest, public_id: uuid.UUID, document_id: uuid.UUID
) -> FileResponse:
    """Send a document as an attachment, only after the access check, never cached."""
    case = case_get_for(user=request.user, public_id=public_id)
    _full_file_or_404(case_permissions(request.user, case))
    document = case.documents.filter(public_id=document_id).first()
    if document is None:
        raise Http404
    return document_response(user=request.user, case=case, document=document)


# ---------------------------------------------------------------------------------------------
# Notifications


@never_cache
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = notifications_shown_for(user=request.user, limit=NOTIFICATIONS_SHOWN)
    return _page(request, "cases/notifications.html", {"items": items})


@never_cache
@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`notification`) or all of them read."""
    one = request.POST.get("notification")
    services.notifications_mark_read(user=request.user, pk=_int(one) if one else None)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("cases:notifications")
    return redirect(target)


# ---------------------------------------------------------------------------------------------
# Alleged perpetrators (as the family: cases.perpetrators)


@never_cache
@login_required
def perpetrator_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _require(case_permissions(request.user, case), "change_case")
    form = case_forms.PerpetratorForm(request.POST or None, case=case)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                perpetrators.perpetrator_add(
                    actor=request.user, case=case, data=dict(form.cleaned_data)
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("cases:detail", args=[case.public_id]) + "#perpetrators")
    return _page(request, "cases/perpetrator_form.html", {"case": case, "form": form}, status)


@never_cache
@login_required
@require_POST
def perpetrator_remove(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    _require(case_permissions(request.user, case), "change_case")
    try:
        record = case.perpetrators.filter(public_id=request.POST.get("perpetrator", "")).first()
    except ValidationError:  # not a UUID
        record = None
    if record is None:
        raise Http404
    perpetrators.perpetrator_remove(actor=request.user, case=case, perpetrator=record)
    messages.success(request, _("Removed."))
    return redirect(reverse("cases:detail", args=[case.public_id]) + "#perpetrators")


# ---------------------------------------------------------------------------------------------
# Carrying out the approved plan (cases.activities): who received it, each activity's progress


@never_cache
@login_required
def distribution_add(request: HttpRequest, public_id: uuid.UUID, version: int) -> HttpResponse:
    """Record one more recipient of the approved decision and plan (Decree 56 Art. 28(5))."""
    case = case_get_for(user=request.user, public_id=public_id)
    permissions = case_permissions(request.user, case)
    _full_file_or_404(permissions)
    _require(permissions, PLAN_PERMISSION)
    plan = (
        case.plans.filter(version=version)
        .prefetch_related(Prefetch("distributions", queryset=distributions_shown()))
        .first()
    )
    if plan is None:
        raise Http404
    form = case_forms.DistributionForm(request.POST or None, case=case)
    refusal = ""
    status = 200
    if plan.status != Plan.Status.APPROVED:
        refusal, status = str(NOT_IN_FORCE), CONFLICT
    elif request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                distribution = plan_distribution_record(
                    actor=request.user, case=case, plan=plan, **form.service_kwargs()
                )
            except services.StepNotAvailable as error:
                refusal, status = error.message, CONFLICT
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Recorded: the decision and plan were sent to %(recipient)s.")
                    % {"recipient": distribution.recipient},
                )
                return redirect(
                    reverse("cases:detail", args=[case.public_id]) + f"#plan-v{plan.version}"
                )
    context = {"case": case, "plan": plan, "form": form, "refusal": refusal}
    return _page(request, "cases/distribution_form.html", context, status)


@never_cache
@login_required
def activity_detail(
    request: HttpRequest, public_id: uuid.UUID, activity_id: uuid.UUID
) -> HttpResponse:
    """A plan activity: what it is, its progress history, its referrals; record its progress."""
    case = case_get_for(user=request.user, public_id=public_id)
    permissions = case_permissions(request.user, case)
    _full_file_or_404(permissions)
    activity = activity_of_case(case, activity_id)
    if activity is None:
        raise Http404
    if request.method == "POST":
        _require(permissions, PLAN_PERMISSION)
    form = case_forms.ActivityProgressForm(
        request.POST if request.method == "POST" else None, activity=activity
    )
    refusal = ""
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                activity_progress_record(
                    actor=request.user, case=case, activity=activity, **form.service_kwargs()
                )
            except services.StepNotAvailable as error:
                refusal, status = error.message, CONFLICT
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The activity's progress is recorded."))
                return redirect("cases:activity", case.public_id, activity.public_id)
    in_force = activity.plan.status == Plan.Status.APPROVED and case.status in OPEN_STATES
    context = {
        "case": case,
        "activity": activity,
        "plan": activity.plan,
        "progress": activity_progress_shown(activity),
        "form": form,
        "refusal": refusal,
        "can_record": PLAN_PERMISSION in permissions and in_force,
        "extra_sections": activity_sections(request, case, activity, permissions),
    }
    return _page(request, "cases/activity.html", context, status)
