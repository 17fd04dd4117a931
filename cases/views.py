from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cases.access import VIEW_CASE, case_permissions
from cases.selectors import case_get_for, case_list_for

CASES_PER_PAGE = 25


@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(case_list_for(user=request.user), CASES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {"page": page})


@never_cache
@login_required
def case_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_get_for(user=request.user, public_id=public_id)
    permissions = case_permissions(request.user, case)
    context = {"case": case, "full_file": VIEW_CASE in permissions, "permissions": permissions}
    return render(request, "cases/case_detail.html", context)
