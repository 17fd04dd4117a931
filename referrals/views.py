"""
The referral pages: sending a case to an organisation's inbox (and recording the consent some
kinds need), the receiving organisation's inbox, and one page per referral for both sides.

Every view starts from a door: cases.selectors.case_get_for for a case and
referrals.selectors.referral_get_for for a referral (404 for what the user may not see, the
same page as what does not exist), calls one service, and redirects. Failures come back as
pages: a role that may not act gets 403, a state that rules the action out the page again with
why (409), bad input the form with each message next to its field (400); nothing is saved.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import roles_of
from cases import services as case_services
from cases.access import VIEW_CASE, case_permissions
from cases.activities import activities_in_force
from cases.models import Case, ConsentRecord
from cases.selectors import case_get_for
from cases.workflow import OPEN_STATES
from referrals import lifecycle, services
from referrals.allowlists import case_summary
from referrals.forms import (
    KIND_LABELS,
    CompleteForm,
    ConsentForm,
    KindPickForm,
    ReasonForm,
    ReferralSendForm,
    UpdateForm,
    WithdrawConsentForm,
    WrittenNoticeForm,
    receiving_kind,
)
from referrals.models import Referral, SharingRule
from referrals.sections import inbox_groups
from referrals.selectors import referral_get_for

# Status codes of the refusals a page can give back (as on the case pages).
INVALID = 400  # the form has errors; nothing was saved
CONFLICT = 409  # the referral's (or the case's) state rules the action out

DECLINE_LABEL = gettext_lazy("Why do you decline? (the sender sees this)")
REVOKE_LABEL = gettext_lazy("Why is the referral revoked? (the organisation sees this)")


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a page of the signed-in area (the header's badge: cases.context_processors)."""
    return render(request, template, context, status=status)


def _require_refer(case: Case, request: HttpRequest) -> set[str]:
    permissions = case_permissions(request.user, case)
    if "refer_case" not in permissions:
        raise services.ReferralNotPermitted(_("Your role may not refer this case."))
    return permissions


# ---------------------------------------------------------------------------------------------
# Sending


def _consents_covering(case: Case, kind: str) -> list[ConsentRecord]:
    return [c for c in case.consents.all() if c.covers(kind)]


@never_cache
@login_required
def send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET ?kind=…: the form for that kind of organisation. POST: refer the case."""
    case = case_get_for(user=request.user, public_id=public_id)
    _require_refer(case, request)
    kind = receiving_kind(request.POST.get("kind") if request.method == "POST" else None)
    kind = kind or receiving_kind(request.GET.get("kind"))
    picker = KindPickForm(initial={"kind": kind or ""})
    context: dict[str, Any] = {"case": case, "picker": picker, "kind": kind, "refusal": ""}
    # A referral sent from a plan activity's page keeps the activity through the kind picker.
    context["activity_asked"] = (request.GET.get("activity") or "")[:36]
    status = 200
    if case.status not in OPEN_STATES:
        context["refusal"] = _("Only an open case can be referred.")
        return _page(request, "referrals/send.html", context, CONFLICT)
    if kind is None:
        # First the kind: each kind's sharing rule is shown so the choice is informed.
        context["rules"] = list(SharingRule.objects.all())
        status = INVALID if request.method == "POST" else 200
        return _page(request, "referrals/send.html", context, status)
    rule = services.sharing_rule_for(kind)
    consent_required = bool(rule and rule.consent_required)
    form = ReferralSendForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        organisations=services.recipients_near(case=case, kind=kind),
        consents=_consents_covering(case, kind) if consent_required else [],
        consent_required=consent_required,
        defaults=services.referral_defaults(),
        activities=list(activities_in_force(case)),
        initial_activity=request.GET.get("activity") or "",
        crime_report=case.crime_report,
    )
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                referral = services.referral_send(
                    actor=request.user, case=case, **form.service_kwargs()
                )
            except services.ReferralStateError as error:
                context["refusal"], status = error.message, CONFLICT
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("The case was referred to %(organisation)s.")
                    % {"organisation": referral.organisation.name},
                )
                return redirect("referrals:detail", referral.public_id)
    context.update(
        {
            "form": form,
            "rule": rule,
            "consent_required": consent_required,
            "consent_url": reverse("referrals:consent", args=[case.public_id])
            + "?"
            + urlencode({"kind": kind}),
        }
    )
    return _page(request, "referrals/send.html", context, status)


# ---------------------------------------------------------------------------------------------
# Consent


def _require_change(case: Case, request: HttpRequest) -> None:
    if "change_case" not in case_permissions(request.user, case):
        raise case_services.StepNotPermitted(_("Your role may not do this on this case."))


def _consent_page(
    request: HttpRequest, case: Case, form: ConsentForm, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    consents = list(
        case.consents.select_related("recorded_by").prefetch_related("referrals__organisation")
    )
    for record in consents:
        record.kind_labels = [str(KIND_LABELS.get(k, k)) for k in record.recipient_kinds]
    context = {"case": case, "form": form, "consents": consents, "refusal": refusal}
    return _page(request, "referrals/consent.html", context, status)


@never_cache
@login_required
def consent(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record consent to share the case with kinds of organisation; list and withdraw them."""
    case = case_get_for(user=request.user, public_id=public_id)
    _require_change(case, request)
    kind = receiving_kind(request.GET.get("kind"))
    initial = {"recipient_kinds": [kind]} if kind else None
    form = ConsentForm(
        request.POST if request.method == "POST" else None, case=case, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                case_services.consent_record(actor=request.user, case=case, **form.service_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The consent is recorded."))
                if kind and "refer_case" in case_permissions(request.user, case):
                    # Back to the referral being written, for the kind the consent was for.
                    target = reverse("referrals:send", args=[case.public_id])
                    return redirect(target + "?" + urlencode({"kind": kind}))
                return redirect("referrals:consent", case.public_id)
    return _consent_page(request, case, form, status=status)


@never_cache
@login_required
@require_POST
def consent_withdraw(
    request: HttpRequest, public_id: uuid.UUID, consent_id: uuid.UUID
) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    record = case.consents.filter(public_id=consent_id).first()
    if record is None:
        raise Http404
    _require_change(case, request)
    form = WithdrawConsentForm(request.POST)
    form.is_valid()
    try:
        case_services.consent_withdraw(
            actor=request.user, consent=record, note=form.cleaned_data.get("note", "")
        )
    except case_services.StepNotAvailable as error:
        return _consent_page(
            request, case, ConsentForm(case=case), refusal=error.message, status=CONFLICT
        )
    messages.success(
        request, _("The consent is withdrawn. Referrals that relied on it are revoked.")
    )
    return redirect("referrals:consent", case.public_id)


# ---------------------------------------------------------------------------------------------
# The receiving inbox


@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The referrals sent to the user's organisations, by what they wait for."""
    if Role.SECTOR_STAFF not in roles_of(user=request.user):
        # A page the user's role does not use answers like one that does not exist.
        raise Http404
    groups = inbox_groups(request.user)
    organisations = {r.organisation_id for g in groups for r in g.referrals}
    context = {
        "groups": groups,
        "total": sum(len(g.referrals) for g in groups),
        "several_organisations": len(organisations) > 1,
    }
    return _page(request, "referrals/inbox.html", context)


# ---------------------------------------------------------------------------------------------
# One referral, for the sender's side and the receiving side


def _detail(
    request: HttpRequest,
    referral: Referral,
    *,
    forms: dict[str, Any] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    permissions = case_permissions(user, referral.case)
    full_view = VIEW_CASE in permissions
    recipient = not full_view and lifecycle.answers_summary(user, referral)
    context: dict[str, Any] = {
        "referral": referral,
        "case": referral.case,
        "full_view": full_view,
        "recipient": recipient,
        # After the end the receiving side keeps the referral's own record, no case content.
        "record_only": not full_view and not recipient,
        "refusal": refusal,
        "sender_actions": "refer_case" in permissions and referral.is_open,
        # Which actions the referral's state allows (referrals.lifecycle), for each side.
        "allowed": lifecycle.allowed_now(
            referral, lifecycle.RECIPIENT if recipient else lifecycle.SENDER
        ),
        "updates": list(referral.updates.select_related("author"))
        if full_view or recipient
        else [],
    }
    if recipient or (full_view and referral.is_open):
        context["summary"] = [
            (label, value)
            for _key, label, value in case_summary(referral.case, referral.organisation.kind)
        ]
    forms = forms or {}
    if recipient:
        context["decline_form"] = forms.get("decline") or ReasonForm(label=DECLINE_LABEL)
        context["update_form"] = forms.get("update") or UpdateForm()
    # A crime report passed to the police is confirmed in writing by the sender (CPC 146(4)).
    context["written_notice_due"] = (
        referral.is_crime_report and not referral.written_reference and "refer_case" in permissions
    )
    if context["written_notice_due"]:
        context["written_form"] = forms.get("written") or WrittenNoticeForm()
    if context["sender_actions"]:
        context["revoke_form"] = forms.get("revoke") or ReasonForm(label=REVOKE_LABEL)
        context["complete_form"] = forms.get("complete") or CompleteForm()
    return _page(request, "referrals/detail.html", context, status)


@never_cache
@login_required
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for(user=request.user, public_id=public_id)
    return _detail(request, referral)


def _act(
    request: HttpRequest,
    public_id: uuid.UUID,
    action: str,
    done: Any,
    form: Any = None,
    call: Any = None,
) -> HttpResponse:
    """Take one action through its service; the page again with why when it cannot be taken."""
    referral = referral_get_for(user=request.user, public_id=public_id)
    if form is not None and not form.is_valid():
        return _detail(request, referral, forms={action: form}, status=INVALID)
    try:
        call(referral)
    except services.ReferralStateError as error:
        return _detail(request, referral, refusal=error.message, status=CONFLICT)
    except ValidationError as error:
        if form is None:
            raise
        form.add_service_errors(error)
        return _detail(request, referral, forms={action: form}, status=INVALID)
    messages.success(request, done)
    return redirect("referrals:detail", referral.public_id)


@never_cache
@login_required
@require_POST
def acknowledge(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(
        request,
        public_id,
        "acknowledge",
        _("Receipt acknowledged. The receipt number is on this page."),
        call=lambda r: services.referral_acknowledge(actor=request.user, referral=r),
    )


@never_cache
@login_required
@require_POST
def accept(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(
        request,
        public_id,
        "accept",
        _("Referral accepted. Record what you do and your feedback here."),
        call=lambda r: services.referral_accept(actor=request.user, referral=r),
    )


@never_cache
@login_required
@require_POST
def decline(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = ReasonForm(request.POST, label=DECLINE_LABEL)
    return _act(
        request,
        public_id,
        "decline",
        _("Referral declined. Your organisation no longer sees the case."),
        form,
        lambda r: services.referral_decline(
            actor=request.user, referral=r, reason=form.cleaned_data["reason"]
        ),
    )


@never_cache
@login_required
@require_POST
def update_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = UpdateForm(request.POST)
    return _act(
        request,
        public_id,
        "update",
        _("Saved."),
        form,
        lambda r: services.referral_update_add(
            actor=request.user,
            referral=r,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
        ),
    )


@never_cache
@login_required
@require_POST
def complete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = CompleteForm(request.POST)
    return _act(
        request,
        public_id,
        "complete",
        _("Referral completed. The organisation no longer sees the case."),
        form,
        lambda r: services.referral_complete(
            actor=request.user, referral=r, note=form.cleaned_data["note"]
        ),
    )


@never_cache
@login_required
@require_POST
def revoke(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = ReasonForm(request.POST, label=REVOKE_LABEL)
    return _act(
        request,
        public_id,
        "revoke",
        _("Referral revoked. The organisation no longer sees the case."),
        form,
        lambda r: services.referral_revoke(
            actor=request.user, referral=r, reason=form.cleaned_data["reason"]
        ),
    )


@never_cache
@login_required
@require_POST
def written_notice(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = WrittenNoticeForm(request.POST)
    return _act(
        request,
        public_id,
        "written",
        _("The written notice to the police is recorded."),
        form,
        lambda r: services.referral_record_written_notice(
            actor=request.user,
            referral=r,
            reference=form.cleaned_data["reference"],
            written_on=form.cleaned_data["written_on"],
        ),
    )
