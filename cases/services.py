"""Every change to a case goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AdministrativeUnit, User
from cases.access import ALL_CASE_PERMISSIONS
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseNumberSequence,
    CaseUserObjectPermission,
)


def case_number_next(*, year: int) -> str:
    """Issue the next case number of a year, e.g. 2026-000042 (inside a transaction)."""
    sequence, _created = CaseNumberSequence.objects.get_or_create(year=year)
    sequence = CaseNumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{year}-{sequence.last_value:06d}"


@transaction.atomic
def case_create(
    *,
    commune: AdministrativeUnit,
    child_name: str = "",
    received_at: datetime.datetime | None = None,
) -> Case:
    """Open a case held by `commune`; its province follows from the commune."""
    if commune.level != AdministrativeUnit.Level.COMMUNE:
        raise ValidationError({"commune": _("The responsible unit must be a commune.")})
    received_at = received_at or timezone.now()
    year = timezone.localtime(received_at).year
    return Case.objects.create(
        number=case_number_next(year=year),
        child_name=child_name,
        commune=commune,
        province=commune.province,
        received_at=received_at,
    )


def _permissions(codenames: Iterable[str]) -> list[Permission]:
    codenames = set(codenames)
    unknown = codenames - ALL_CASE_PERMISSIONS
    if unknown:
        raise ValueError(f"Unknown case permissions: {sorted(unknown)}")
    return list(Permission.objects.filter(content_type__app_label="cases", codename__in=codenames))


@transaction.atomic
def case_share_grant(
    *,
    case: Case,
    permissions: Iterable[str],
    reason: str,
    group: Group | None = None,
    user: User | None = None,
) -> None:
    """Share one case with a group (an organisation's role) or a user, recording why."""
    if (group is None) == (user is None):
        raise ValueError("Share with exactly one of a group or a user.")
    for permission in _permissions(permissions):
        if group is not None:
            CaseGroupObjectPermission.objects.update_or_create(
                group=group,
                permission=permission,
                content_object=case,
                defaults={"reason": reason},
            )
        else:
            CaseUserObjectPermission.objects.update_or_create(
                user=user,
                permission=permission,
                content_object=case,
                defaults={"reason": reason},
            )


@transaction.atomic
def case_share_revoke(
    *,
    case: Case,
    group: Group | None = None,
    user: User | None = None,
    permissions: Iterable[str] | None = None,
) -> int:
    """End a share; the next request is already denied. Return how many grants were removed."""
    if (group is None) == (user is None):
        raise ValueError("Revoke from exactly one of a group or a user.")
    if group is not None:
        grants = CaseGroupObjectPermission.objects.filter(group=group, content_object=case)
    else:
        grants = CaseUserObjectPermission.objects.filter(user=user, content_object=case)
    if permissions is not None:
        grants = grants.filter(permission__in=_permissions(permissions))
    deleted, _details = grants.delete()
    return deleted
