"""Every change to who holds which role goes through here, so group membership never drifts."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import GROUP_PREFIX, Membership, Organisation, User, group_name


def organisation_group(*, organisation: Organisation, role: str) -> Group:
    """Return (creating if needed) the group of one role in one organisation."""
    group, _created = Group.objects.get_or_create(name=group_name(organisation, role))
    return group


@transaction.atomic
def user_groups_sync(*, user: User) -> None:
    """Put the user in exactly the role groups of their active memberships."""
    wanted = {
        organisation_group(organisation=m.organisation, role=m.role).pk
        for m in user.memberships.filter(
            is_active=True, organisation__is_active=True
        ).select_related("organisation")
    }
    current = set(user.groups.filter(name__startswith=GROUP_PREFIX).values_list("pk", flat=True))
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))


@transaction.atomic
def membership_grant(*, user: User, organisation: Organisation, role: str) -> Membership:
    """Give a user a role in an organisation (idempotent; reactivates an ended membership)."""
    Membership(user=user, organisation=organisation, role=role).full_clean(
        validate_unique=False, validate_constraints=False
    )
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"is_active": True}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    user_groups_sync(user=user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership) -> None:
    """End a membership: the role's access goes with it on the next request."""
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user_groups_sync(user=membership.user)
