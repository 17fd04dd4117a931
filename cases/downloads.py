"""The one answer that sends a case document, for the page and the API alike."""

from __future__ import annotations

from django.http import FileResponse, Http404

from accounts.models import User
from cases.models import Case, CaseDocument
from cases.selectors import audit_document_download


def document_response(*, user: User, case: Case, document: CaseDocument) -> FileResponse:
    """
    Send a document the caller has already let the user read: audited, as an attachment,
    never sniffed into another type and sandboxed (no script, no request) should a browser
    render it anyway. A document whose file is gone is a 404, like one that does not exist.
    """
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    audit_document_download(user=user, case=case, document=document)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
