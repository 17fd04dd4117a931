"""
The intake pages: the operator's call screen, the triage of calls and collaborator reports, the
inboxes, and the collaborator's short report form.

Every view reads through hotline.selectors (what the user may not see answers 404, the same
page as what does not exist; so does a page the user's role does not use), writes through
hotline.services, and redirects. Failures come back as pages: a role that may not act gets the
403 page, an item already triaged the page again with why (409), bad input the form with each
message next to its field (400), and nothing saved.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from cases.access import cases_visible_to
from cases.forms import current_communes_of, current_provinces, parse_id
from cases.models import Case
from cases.workflow import OPEN_STATES
from hotline import services, triage
from hotline.forms import (
    CallFilterForm,
    CallForm,
    CloseForm,
    LinkForm,
    OpenCaseForm,
    ReportForm,
    call_form_initial,
    duration_text,
    redisplay_initial,
)
from hotline.models import Call, CloseReason, CollaboratorReport, IntakeStatus, TelephonyCall
from hotline.phones import caller_number_display
from hotline.selectors import (
    call_get_for,
    call_inbox_for,
    calls_visible_to,
    intake_suggestions_for,
    report_get_for,
    report_inbox_for,
    reports_visible_to,
)
from hotline.telephony import telephony_calls_waiting

# Status codes of the refusals a page can give back (as on the case pages).
INVALID = 400  # the form has errors; nothing was saved
CONFLICT = 409  # the item was already triaged; the first decision stands

CALLS_PER_PAGE = 25
REPORTS_PER_PAGE = 25
INBOX_SHOWN = 50
RECENTLY_TRIAGED_SHOWN = 20
WAITING_SHOWN = 10
# A ringing call may be logged a while after it ended; older than this it is no longer offered.
TELEPHONY_LOG_WINDOW = datetime.timedelta(hours=24)

REASON_LABELS = {
    "number": gettext_lazy("Same caller's number"),
    "name": gettext_lazy("Same child's name"),
    "commune": gettext_lazy("Same commune"),
}


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a page of the signed-in area (the header's badge: cases.context_processors)."""
    return render(request, template, context, status=status)


def _operator_or_404(request: HttpRequest) -> None:
    """The hotline's pages do not exist for anyone else."""
    if not services.hotline_organisations_of(request.user):
        raise Http404


def _visible_case_ids(request: HttpRequest, case_ids: set[int]) -> set[int]:
    """Which of these cases the user may open (one query, through the one door)."""
    case_ids.discard(None)
    if not case_ids:
        return set()
    return set(cases_visible_to(request.user).filter(pk__in=case_ids).values_list("pk", flat=True))


def _number(call: Call) -> str:
    return caller_number_display(call.caller_number, call.caller_number_kind)


def telephony_number(call: TelephonyCall) -> str:
    """The number the call centre presented, as people read it."""
    if call.caller_number_kind == "invalid":
        return call.caller_number or "—"
    return caller_number_display(call.caller_number, call.caller_number_kind)


def waiting_rows(limit: int = WAITING_SHOWN) -> list[dict[str, Any]]:
    """The calls the call centre announced that nobody has logged yet, newest first."""
    return [
        {"call": waiting, "number": telephony_number(waiting)}
        for waiting in telephony_calls_waiting()[:limit]
    ]


# ---------------------------------------------------------------------------------------------
# The operator's call screen


def _ringing_call(call_id: str, *, within: datetime.timedelta) -> TelephonyCall | None:
    call_id = call_id.strip()
    if not call_id or len(call_id) > 100:
        return None
    return telephony_calls_waiting(within=within).filter(call_id=call_id).first()


@never_cache
@login_required
def call_new(request: HttpRequest) -> HttpResponse:
    """One screen to log a call fast; a report call goes on to its triage."""
    _operator_or_404(request)
    status = 200
    source = request.POST if request.method == "POST" else request.GET
    ringing_id = source.get("telephony", "")
    telephony = _ringing_call(ringing_id, within=TELEPHONY_LOG_WINDOW) if ringing_id else None
    if request.method == "POST" and "pick" in request.POST:
        # Only a province was chosen: show its communes, keep what was typed, save nothing.
        form = CallForm(initial=redisplay_initial(CallForm(), request.POST))
    elif request.method == "POST":
        status = INVALID
        form = CallForm(request.POST)
        if form.is_valid():
            if ringing_id and telephony is None:
                form.add_error(None, _("This call was already logged."))
            else:
                call = _log_call(request, form, telephony)
                if call is not None:
                    return _after_logging(request, call)
    else:
        if ringing_id and telephony is None:
            messages.warning(request, _("This call is no longer waiting: it was logged."))
        form = CallForm(initial=call_form_initial(telephony, timezone.now()))
    context = {
        "form": form,
        "telephony": telephony,
        "telephony_number": telephony_number(telephony) if telephony is not None else "",
        "waiting": waiting_rows(),
        "report_type": Call.CallType.REPORT,
    }
    return _page(request, "hotline/call_form.html", context, status)


def _log_call(request: HttpRequest, form: CallForm, telephony: TelephonyCall | None) -> Call | None:
    try:
        with transaction.atomic():
            return services.call_log(actor=request.user, **form.service_kwargs(telephony))
    except ValidationError as error:
        form.add_service_errors(error)
    except IntegrityError:
        # Two operators logging the same ringing call at once: the one-to-one key refuses the
        # second (the service's check and its insert are not under one lock).
        if telephony is None:
            raise
        form.add_error(None, _("This call was already logged."))
    return None


def _after_logging(request: HttpRequest, call: Call) -> HttpResponse:
    if call.call_type == Call.CallType.REPORT:
        messages.success(request, _("The call is logged. Decide what happens to it now."))
        return redirect("hotline:call-detail", call.public_id)
    messages.success(
        request,
        _("Counted: %(type)s. It does not become a case.") % {"type": call.get_call_type_display()},
    )
    return redirect("hotline:call-new")


# ---------------------------------------------------------------------------------------------
# Triage: the same three decisions on a call or a collaborator report


def _may_triage(request: HttpRequest, item: Call | CollaboratorReport) -> bool:
    """Who triages what: the table's answer (hotline.triage)."""
    return triage.role_refusal(request.user, item) is None


def _open_cases_for_link(request: HttpRequest, item: Call | CollaboratorReport) -> QuerySet[Case]:
    """The open cases the item may be linked to: those the user already sees (docs/DESIGN.md §4)."""
    return cases_visible_to(request.user).filter(status__in=OPEN_STATES)


def _override_communes(request: HttpRequest, item: Call | CollaboratorReport) -> tuple[Any, ...]:
    """
    Where a call's case may be opened instead of the commune where it happened: the communes of
    a province (GET ?province=, as on the case transfer page), and that default commune.
    """
    if not isinstance(item, Call):
        return None, None, None, None
    default = item.incident_commune or item.residence_commune
    provinces = current_provinces()
    province = None
    chosen = parse_id(request.GET.get("province"))
    if chosen is not None:
        province = provinces.filter(pk=chosen).first()
    if province is None and default is not None:
        province = default.parent
    return provinces, province, current_communes_of(province), default


def _suggestion_rows(request: HttpRequest, item: Call | CollaboratorReport) -> list[dict[str, Any]]:
    suggestions = intake_suggestions_for(user=request.user, item=item)
    # The communes of suggested calls in one query, not one per row.
    prefetch_related_objects([s.obj for s in suggestions if s.kind == "call"], "incident_commune")
    visible = _visible_case_ids(request, {s.obj.pk for s in suggestions if s.kind == "case"})
    rows = []
    for suggestion in suggestions:
        obj = suggestion.obj
        row: dict[str, Any] = {
            "kind": suggestion.kind,
            "obj": obj,
            "reasons": [REASON_LABELS.get(r, r) for r in suggestion.reason_list],
            "reason_codes": " ".join(suggestion.reason_list),
        }
        if suggestion.kind == "case":
            row["url"] = reverse("cases:detail", args=[obj.public_id]) if obj.pk in visible else ""
        elif suggestion.kind == "call":
            row["url"] = reverse("hotline:call-detail", args=[obj.public_id])
        else:
            row["url"] = reverse("hotline:report-detail", args=[obj.public_id])
        rows.append(row)
    return rows


def _triage(
    request: HttpRequest,
    item: Call | CollaboratorReport,
    reload: Callable[[], Call | CollaboratorReport],
    template: str,
    extra: dict[str, Any],
) -> HttpResponse:
    """GET: the item, its suggestions and the three decisions. POST `action`: take one."""
    may_triage = _may_triage(request, item)
    provinces, province, communes, default = _override_communes(request, item)
    open_cases = _open_cases_for_link(request, item)
    open_initial = {"commune": default.pk} if default is not None else {}
    forms: dict[str, Any] = {
        "open": OpenCaseForm(prefix="open", communes=communes, initial=open_initial),
        "link": LinkForm(prefix="link", open_cases=open_cases),
        "close": CloseForm(prefix="close"),
    }
    refusal = ""
    status = 200
    if request.method == "POST":
        services.raise_refusal(triage.role_refusal(request.user, item))
        action = request.POST.get("action", "")
        state = triage.state_refusal(item)
        if action not in triage.DECISIONS:
            refusal, status = _("Choose what to do with it."), INVALID
        elif state is not None:
            refusal, status = state.message, CONFLICT
        else:
            status = INVALID
            if action == "open":
                form = OpenCaseForm(request.POST, prefix="open", communes=communes)
            elif action == "link":
                form = LinkForm(request.POST, prefix="link", open_cases=open_cases)
            else:
                form = CloseForm(request.POST, prefix="close")
            forms[action] = form
            if form.is_valid():
                try:
                    done = _decide(request, item, action, form)
                except services.IntakeAlreadyTriaged as error:
                    refusal, status = error.message, CONFLICT
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(request, done)
                    return redirect(request.path)
        if status == CONFLICT:
            item = reload()  # show the decision that stands
    triageable = may_triage and triage.state_refusal(item) is None
    context: dict[str, Any] = {
        "item": item,
        "may_triage": may_triage,
        "triageable": triageable,
        "refusal": refusal,
        "forms": forms,
        "suggestions": _suggestion_rows(request, item) if triageable else [],
        "case_url": (
            reverse("cases:detail", args=[item.case.public_id])
            if item.case_id and _visible_case_ids(request, {item.case_id})
            else ""
        ),
        "provinces": provinces,
        "province": province,
        **extra,
    }
    return _page(request, template, context, status)


def _decide(request: HttpRequest, item: Call | CollaboratorReport, action: str, form: Any) -> str:
    """Take the decision through its service; return what to tell the person."""
    actor = request.user
    data = form.cleaned_data
    if action == "open":
        case = services.intake_open_case(actor=actor, item=item, **form.service_kwargs())
        return _("Case %(number)s is open in %(commune)s; its clocks run from the receipt.") % {
            "number": case.number,
            "commune": case.commune.name,
        }
    if action == "link":
        services.intake_link_case(actor=actor, item=item, case=data["case"], note=data["note"])
        return _("Linked to case %(number)s.") % {"number": data["case"].number}
    services.intake_close(actor=actor, item=item, reason=data["reason"], note=data["note"])
    return _("Closed: %(reason)s.") % {"reason": CloseReason(data["reason"]).label}


@never_cache
@login_required
def call_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    call = call_get_for(user=request.user, public_id=public_id)
    return _triage(
        request,
        call,
        lambda: call_get_for(user=request.user, public_id=public_id),
        "hotline/call_detail.html",
        {"number": _number(call), "duration": duration_text(call.duration_seconds)},
    )


@never_cache
@login_required
def report_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    report = report_get_for(user=request.user, public_id=public_id)
    if not _may_triage(request, report):
        # The collaborator who sent it: what they wrote and its status, nothing of any case.
        if request.method == "POST":
            raise services.IntakeNotPermitted(
                _("Only the commune's child-protection officer triages reports.")
            )
        return _page(request, "hotline/report_own.html", {"report": report})
    return _triage(
        request,
        report,
        lambda: report_get_for(user=request.user, public_id=public_id),
        "hotline/report_detail.html",
        {},
    )


# ---------------------------------------------------------------------------------------------
# Inboxes


def _start_of_today() -> datetime.datetime:
    now = timezone.localtime()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@never_cache
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """Report calls awaiting triage, today's counts per call type, and the log of all calls."""
    _operator_or_404(request)
    user = request.user
    inbox = call_inbox_for(user=user)
    visible = calls_visible_to(user=user)
    counted = dict(
        visible.filter(started_at__gte=_start_of_today())
        .order_by()
        .values_list("call_type")
        .annotate(n=Count("pk"))
    )
    today = [
        {"type": value, "label": label, "count": counted.get(value, 0)}
        for value, label in Call.CallType.choices
    ]
    filters = CallFilterForm(request.GET or None)
    calls = visible
    status = 200
    if filters.is_bound:
        if filters.is_valid():
            if filters.cleaned_data["call_type"]:
                calls = calls.filter(call_type=filters.cleaned_data["call_type"])
            if filters.cleaned_data["status"]:
                calls = calls.filter(status=filters.cleaned_data["status"])
        else:
            status = INVALID
    page = Paginator(calls, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    inbox_shown = list(inbox[:INBOX_SHOWN])
    context = {
        "inbox": [{"call": c, "number": _number(c)} for c in inbox_shown],
        "inbox_count": inbox.count(),
        "today": today,
        "today_total": sum(row["count"] for row in today),
        "filters": filters,
        "page": page,
        "rows": [{"call": c, "number": _number(c)} for c in page.object_list],
        "query": query.urlencode(),
    }
    return _page(request, "hotline/call_list.html", context, status)


@never_cache
@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The commune officer's intake inbox: reports awaiting triage, and the recently triaged."""
    communes = services.officer_communes_of(request.user)
    if not communes:
        raise Http404
    inbox = report_inbox_for(user=request.user)
    recent = list(
        reports_visible_to(user=request.user)
        .filter(commune__in=communes)
        .exclude(status=IntakeStatus.RECEIVED)
        .select_related("triaged_by")
        .order_by("-triaged_at", "-id")[:RECENTLY_TRIAGED_SHOWN]
    )
    visible = _visible_case_ids(request, {r.case_id for r in recent})
    inbox_shown = list(inbox[:INBOX_SHOWN])
    context = {
        "inbox": inbox_shown,
        "inbox_count": inbox.count(),
        "recent": [
            {
                "report": r,
                "case_url": reverse("cases:detail", args=[r.case.public_id])
                if r.case_id in visible
                else "",
            }
            for r in recent
        ],
    }
    return _page(request, "hotline/report_list.html", context)


# ---------------------------------------------------------------------------------------------
# The collaborator


@never_cache
@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    """A short form from a phone: the child, where, what is happening, how urgent."""
    communes = services.collaborator_communes_of(request.user)
    if not communes:
        raise Http404
    form = ReportForm(request.POST or None, communes=communes)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                services.report_submit(actor=request.user, **form.service_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Thank you. Your report was sent to the commune's child-protection officer."),
                )
                return redirect("hotline:my-reports")
    return _page(request, "hotline/report_form.html", {"form": form}, status)


@never_cache
@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """The collaborator's own reports and what became of each, nothing of any case."""
    if not services.collaborator_communes_of(request.user):
        raise Http404
    reports = (
        reports_visible_to(user=request.user)
        .filter(collaborator=request.user)
        .order_by("-created_at", "-id")
    )
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return _page(request, "hotline/my_reports.html", {"page": page})
