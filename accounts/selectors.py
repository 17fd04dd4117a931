"""Reads about people and organisations."""

from __future__ import annotations

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


def roles_of(*, user: User) -> set[str]:
    return {m.role for m in memberships_active_for(user=user)}
