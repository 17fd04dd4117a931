"""Permission-filtered reads of cases. Every list and every lookup starts from the one door."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from cases.access import cases_visible_to
from cases.models import Case


def case_list_for(*, user: User) -> QuerySet[Case]:
    """Return the cases the user may see, ready to list."""
    return cases_visible_to(user).select_related("commune", "province", "child")


def case_get_for(*, user: User, public_id: uuid.UUID | str) -> Case:
    """Return one case the user may see, or raise Http404 (same answer as a missing case)."""
    try:
        return case_list_for(user=user).get(public_id=public_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
