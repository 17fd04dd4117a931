"""
The auditor's page of the trail (/audit/): search, newest first, 50 entries a page. It exists
only for auditors (404 for everyone else, like anything a user may not see), shows no case
content, is never cached, and each search is itself an entry of the trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from audit.forms import AuditSearchForm
from audit.models import AuditEntry
from audit.selectors import AuditSearch, audit_entries_search, audit_rows, is_auditor
from audit.services import audit_record

ENTRIES_PER_PAGE = 50
INVALID = 400  # a filter has an error: the form shows it, and no entries


def auditor_or_404(user: Any) -> None:
    """The trail's pages and API do not exist for anyone but an auditor."""
    if not is_auditor(user=user):
        raise Http404


def record_search(*, user: Any, search: AuditSearch) -> AuditEntry:
    """Put the auditor's search into the trail it searched."""
    return audit_record(
        action=AuditEntry.Action.READ,
        actor=user,
        object_type="audit_trail",
        detail={"filters": search.as_strings()},
    )


@never_cache
@login_required
def search(request: HttpRequest) -> HttpResponse:
    auditor_or_404(request.user)
    form = AuditSearchForm(request.GET)
    context: dict[str, Any] = {"form": form, "page": None, "rows": []}
    if not form.is_valid():
        return render(request, "audit/search.html", context, status=INVALID)
    filters = form.search()
    paginator = Paginator(audit_entries_search(filters), ENTRIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "page": page,
            "rows": audit_rows(page.object_list),
            "query": query.urlencode(),
        }
    )
    record_search(user=request.user, search=filters)
    return render(request, "audit/search.html", context)
