"""Reads about people and organisations."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, User
from config.request_cache import RequestCache


def memberships_active_for(*, user: User) -> QuerySet[Membership]:
    """Return the user's memberships that confer anything today."""
    if not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation__area__parent")
        .order_by("organisation__name", "role")
    )


# Within one request the user's memberships are read once (accounts.middleware opens the
# scope): the access checks, the trail and the header all ask for them several times.
_memberships = RequestCache("memberships_per_request")
memberships_request_scope = _memberships.scope


def memberships_of(*, user: User) -> list[Membership]:
    """The user's active memberships as a list: read once per request, else every call."""
    if user.pk is None:
        return list(memberships_active_for(user=user))
    return _memberships.get(user.pk, lambda: list(memberships_active_for(user=user)))


def roles_of(*, user: User) -> set[str]:
    return {m.role for m in memberships_of(user=user)}
