"""Reads about people and organisations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import QuerySet

from accounts.models import Membership, User


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
_per_request: ContextVar[dict[int, list[Membership]] | None] = ContextVar(
    "memberships_per_request", default=None
)


@contextmanager
def memberships_request_scope() -> Iterator[None]:
    token = _per_request.set({})
    try:
        yield
    finally:
        _per_request.reset(token)


def memberships_of(*, user: User) -> list[Membership]:
    """The user's active memberships as a list: read once per request, else every call."""
    cache = _per_request.get()
    if cache is None or user.pk is None:
        return list(memberships_active_for(user=user))
    if user.pk not in cache:
        cache[user.pk] = list(memberships_active_for(user=user))
    return cache[user.pk]


def roles_of(*, user: User) -> set[str]:
    return {m.role for m in memberships_of(user=user)}
