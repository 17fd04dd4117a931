"""Permission-filtered reads of referrals: the sender's side and the receiving inbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from audit.services import audit_reads, read_event
from cases.access import VIEW_CASE, jurisdiction_of
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from referrals.models import Referral, ReferralGroupObjectPermission


def _held_cases(user: User) -> QuerySet[Case]:
    """Cases whose whole file the user reads: by jurisdiction, or by a view_case share."""
    jurisdiction = jurisdiction_of(user)
    communes = [pk for pk, perms in jurisdiction.communes.items() if VIEW_CASE in perms]
    provinces = [pk for pk, perms in jurisdiction.provinces.items() if VIEW_CASE in perms]
    by_user = CaseUserObjectPermission.objects.filter(
        user=user, permission__codename=VIEW_CASE
    ).values("content_object_id")
    by_group = CaseGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=VIEW_CASE
    ).values("content_object_id")
    return Case.objects.filter(
        Q(commune_id__in=communes)
        | Q(province_id__in=provinces)
        | Q(pk__in=by_user)
        | Q(pk__in=by_group)
    )


def referrals_visible_to(*, user: User) -> QuerySet[Referral]:
    """The referrals of the cases the user holds, and those sent to the user's organisations."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    received = ReferralGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="view_referral"
    ).values("content_object_id")
    return Referral.objects.filter(
        Q(case__in=_held_cases(user)) | Q(pk__in=received)
    ).select_related("case", "case__child", "organisation", "sent_by")


def referral_get_for(*, user: User, public_id: uuid.UUID | str) -> Referral:
    """
    Return one referral the user may see, or raise Http404. A referral shows its case (the
    whole file's link, or the recipient's summary): the trail records the read under the case.
    A refusal is recorded by audit.middleware from the 404 (audit.services.audit_reads).
    """
    try:
        referral = referrals_visible_to(user=user).get(public_id=public_id)
    except (Referral.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    audit_referral_rows(user=user, referrals=[referral], row=False)
    return referral


def audit_referral_rows(*, user: User, referrals: Iterable[Referral], row: bool = True) -> None:
    """Record a read of each referral shown (each shows its case's summary), under its case."""
    audit_reads(
        read_event(user, referral.case, "referral", referral.public_id, row=row)
        for referral in referrals
    )


def referral_inbox_for(*, user: User) -> QuerySet[Referral]:
    """Referrals to the user's organisations that can still be answered, oldest due first."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    answerable = ReferralGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="respond_referral"
    ).values("content_object_id")
    return (
        Referral.objects.filter(pk__in=answerable, status__in=Referral.OPEN)
        .select_related("case", "case__child", "organisation")
        .order_by("acknowledge_due_at", "id")
    )


def referral_is_overdue(referral: Referral, now=None) -> bool:
    now = now or timezone.now()
    if referral.status == Referral.Status.SENT:
        return now > referral.acknowledge_due_at
    if referral.status in (Referral.Status.ACKNOWLEDGED, Referral.Status.ACCEPTED):
        has_feedback = referral.updates.filter(kind="feedback").exists()
        return not has_feedback and now > referral.feedback_due_at
    return False


def is_recipient(*, user: User, referral: Referral) -> bool:
    return ReferralGroupObjectPermission.objects.filter(
        group__user=user, content_object=referral, permission__codename="respond_referral"
    ).exists()
