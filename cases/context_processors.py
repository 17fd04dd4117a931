"""What the header of every signed-in page shows: the unread notifications badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from config.keyset import ListCount


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """The badge's count, read when a template first shows it and at most once per request."""

    def count() -> ListCount:
        from cases.selectors import unread_count_for

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ListCount(value=0, capped=False)
        return unread_count_for(user=user)

    return {"unread_count": SimpleLazyObject(count)}
