"""
The print pages. Every print starts from a door (printing.selectors: 404 for what the user may
not see, 403 for what they see but may not print), asks for its purpose (GET: the form, with
what will be printed), and on POST renders the PDF, records it and hands it out as an
attachment that no cache keeps. Refusals are pages: a form whose record does not exist yet
(409), a missing purpose (400), a document too long (422) or too slow to produce (503).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cases.models import Case
from printing import documents, services
from printing.documents import Document, SourceMissing
from printing.forms import PurposeForm, VerifyForm
from printing.render import RenderRefused
from printing.selectors import (
    case_for_printing,
    may_verify,
    print_record_find,
    print_records_of,
    referral_for_printing,
)

INVALID = 400
CONFLICT = 409
UPLOAD_CHUNK = 64 * 1024
REGISTER_SHOWN = 500


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


def _verify_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("printing:verify"))


def _pdf_response(issued: services.IssuedDocument) -> HttpResponse:
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Document-Id"] = str(issued.record.public_id)
    return response


def _print(
    request: HttpRequest,
    *,
    case: Case,
    build: Callable[[], Document],
    back_url: str,
) -> HttpResponse:
    """Ask for the purpose; on a valid POST render, record and return the PDF."""
    try:
        document = build()
    except SourceMissing as missing:
        context = {"case": case, "message": missing.message, "back_url": back_url}
        return _page(request, "printing/refused.html", context, CONFLICT)
    form = PurposeForm(request.POST or None)
    refusal = ""
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                issued = services.document_print(
                    actor=request.user,
                    document=document,
                    case=case,
                    purpose=form.cleaned_data["purpose"],
                    verify_url=_verify_url(request),
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            except RenderRefused as refused:
                refusal, status = refused.message, refused.status
            else:
                return _pdf_response(issued)
    context = {
        "case": case,
        "document": document,
        "form": form,
        "refusal": refusal,
        "back_url": back_url,
    }
    return _page(request, "printing/purpose.html", context, status)


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id]) + "#print"


@never_cache
@login_required
def case_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_for_printing(user=request.user, public_id=public_id)
    return _print(
        request, case=case, build=lambda: documents.case_file(case), back_url=_case_url(case)
    )


@never_cache
@login_required
def form(request: HttpRequest, public_id: uuid.UUID, number: str) -> HttpResponse:
    if number not in documents.FORM_NUMBERS:
        raise Http404
    case = case_for_printing(user=request.user, public_id=public_id)
    return _print(
        request,
        case=case,
        build=lambda: documents.form(case, number),
        back_url=_case_url(case),
    )


@never_cache
@login_required
def referral_summary(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    referral = referral_for_printing(user=request.user, public_id=public_id)
    return _print(
        request,
        case=referral.case,
        build=lambda: documents.referral_summary(referral),
        back_url=reverse("referrals:detail", args=[referral.public_id]),
    )


@never_cache
@login_required
def register(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Who printed what of this case, when and why: for those who may print it."""
    case = case_for_printing(user=request.user, public_id=public_id)
    records = print_records_of(user=request.user, case=case)
    context = {
        "case": case,
        "records": list(records[:REGISTER_SHOWN]),
        "record_count": records.count(),
    }
    return _page(request, "printing/register.html", context)


def _upload_sha256(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(UPLOAD_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """
    Was this document issued? By its id (GET ?id=), its SHA-256 (GET ?sha256=) or the file
    itself (POST an upload): the answer names the kind, case number, who printed it, when and
    its pages, never the case's content. Given an id and a hash (or file), both must match.
    """
    if not may_verify(user=request.user):
        raise PermissionDenied(_("Only people with a role in the system can verify documents."))
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    else:
        form = VerifyForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "checked": False}
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            sha256 = _upload_sha256(data["file"]) if data.get("file") else data.get("sha256")
            public_id = data.get("id")
            if not public_id and not sha256:
                form.add_error(None, _("Give the document id, its SHA-256, or the PDF file."))
                status = INVALID
            else:
                record = print_record_find(public_id=public_id, sha256=sha256)
                context.update(
                    {
                        "checked": True,
                        "record": record,
                        "by_content": bool(sha256),
                        "sha256": sha256,
                        "public_id": public_id,
                    }
                )
        else:
            status = INVALID
    return _page(request, "printing/verify.html", context, status)
