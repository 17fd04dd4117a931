"""
Issuing a printed document: render it (in the worker pool), hash exactly the bytes handed out,
and enter it in the print register with who, what, when and why, in the same request.

The document id is printed on every page; the SHA-256 cannot be (it would change the bytes it
hashes), so it lives in the register, where the verification page looks it up.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditEntry
from audit.services import audit_record
from cases.models import Case
from printing.documents import Document, person
from printing.models import PrintRecord
from printing.render import RenderedPdf, font_url, html_to_pdf
from printing.selectors import PrintNotPermitted, may_print_case, may_print_referral

PURPOSE_MAX_LENGTH = 500

# The frame of every page: a fixed marking of the document (like the forms' legal wording), in
# the document's language.
FRAME_WORDS = {
    "vi": {
        "case": "Hồ sơ",
        "printed_by": "In bởi",
        "page": "Trang",
        "document_id": "Mã tài liệu",
        "verify": "Xác minh",
    },
    "en": {
        "case": "Case",
        "printed_by": "Printed by",
        "page": "Page",
        "document_id": "Document id",
        "verify": "Verify",
    },
}
MARK = "MẬT · CONFIDENTIAL"

FILE_NAMES = {
    PrintRecord.Kind.CASE_FILE: "ho-so",
    PrintRecord.Kind.REFERRAL_SUMMARY: "chuyen-gui",
}


@dataclass(frozen=True)
class IssuedDocument:
    record: PrintRecord
    pdf: bytes
    filename: str
    rendered: RenderedPdf


def _words(language: str) -> dict[str, str]:
    return FRAME_WORDS.get((language or "vi")[:2], FRAME_WORDS["vi"])


def document_frame(
    *,
    document: Document,
    case: Case,
    actor: User,
    public_id: uuid.UUID,
    printed_at: timezone.datetime,
    purpose: str,
    verify_url: str,
    language: str,
) -> dict[str, str]:
    """What every page carries: the mark, the case, who printed it and when, the id."""
    words = _words(language)
    when = formats.date_format(timezone.localtime(printed_at), "SHORT_DATETIME_FORMAT")
    printed_by = person(actor)
    link = f"{verify_url}?id={public_id}"
    return {
        "language": language,
        "title": document.title,
        "mark": MARK,
        "case_label": f"{words['case']} {case.number}",
        "printed": f"{words['printed_by']} {printed_by} · {when}",
        "printed_by": printed_by,
        "printed_at": when,
        "purpose": purpose,
        "page_word": words["page"],
        "doc_line": f"{words['document_id']}: {public_id}\n{words['verify']}: {link}",
        "public_id": str(public_id),
        "verify_url": link,
        "font_regular": font_url("DejaVuSans.ttf"),
        "font_bold": font_url("DejaVuSans-Bold.ttf"),
    }


def _clean_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": _("Say why you print this document.")})
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise ValidationError(
            {"purpose": _("Say it in at most %(n)s characters.") % {"n": PURPOSE_MAX_LENGTH}}
        )
    return purpose


def _filename(document: Document, case: Case) -> str:
    stem = FILE_NAMES.get(document.kind) or document.kind.replace("form_", "mau-")
    return f"{stem}-{case.number}.pdf"


def document_print(
    *, actor: User, document: Document, case: Case, purpose: str, verify_url: str
) -> IssuedDocument:
    """
    Render `document`, record the print, and return the PDF bytes to hand out.

    Raises PrintNotPermitted if the actor may not print it, ValidationError without a purpose,
    printing.render.RenderRefused when the document is too long or too slow to produce (nothing
    is recorded then: no document was issued).
    """
    allowed = (
        may_print_referral(user=actor, referral=document.referral)
        if document.kind == PrintRecord.Kind.REFERRAL_SUMMARY and document.referral
        else may_print_case(user=actor, case=case)
    )
    if not allowed:
        raise PrintNotPermitted(_("Your role may not print this document."))
    purpose = _clean_purpose(purpose)
    public_id = uuid.uuid4()
    printed_at = timezone.now()
    language = document.language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        frame = document_frame(
            document=document,
            case=case,
            actor=actor,
            public_id=public_id,
            printed_at=printed_at,
            purpose=purpose,
            verify_url=verify_url,
            language=language,
        )
        html = render_to_string(document.template, {**document.context, "frame": frame})
    # Rendering runs outside any transaction: no database lock is held while WeasyPrint works.
    rendered = html_to_pdf(html)
    with transaction.atomic():
        record = PrintRecord.objects.create(
            public_id=public_id,
            kind=document.kind,
            case=case,
            referral=document.referral,
            printed_by=actor,
            printed_at=printed_at,
            purpose=purpose,
            sha256=hashlib.sha256(rendered.pdf).hexdigest(),
            page_count=rendered.pages,
            size=len(rendered.pdf),
        )
        audit_record(
            action=AuditEntry.Action.PRINT,
            actor=actor,
            case=case,
            object_type="print_record",
            object_id=str(public_id),
            detail={"kind": document.kind, "pages": rendered.pages},
        )
    return IssuedDocument(
        record=record, pdf=rendered.pdf, filename=_filename(document, case), rendered=rendered
    )
