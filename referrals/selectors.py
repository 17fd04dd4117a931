"""Permission-filtered reads of referrals: the sender's side and the receiving inbox."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from audit.rows import under_case
from audit.services import audit_reads, read_event
from cases.access import SHARES_LISTED_UP_TO, VIEW_CASE, cases_visible_to
from cases.models import Case
from referrals.models import Referral, ReferralGroupObjectPermission


def _held_cases(user: User) -> QuerySet[Case]:
    """Cases whose whole file the user reads: by jurisdiction, or by a view_case share."""
    return cases_visible_to(user, permission=VIEW_CASE)


def _received(user: User, codename: str) -> Q | None:
    """
    The referrals that the user's organisations' grants name (None: there are none), driven
    from the user's own groups: a list of ids while they are few, else the grant subquery.
    """
    grants = ReferralGroupObjectPermission.objects.filter(
        group_id__in=list(user.groups.values_list("id", flat=True)),
        permission__codename=codename,
    ).values_list("content_object_id", flat=True)
    ids = list(grants[: SHARES_LISTED_UP_TO + 1])
    if not ids:
        return None
    if len(ids) > SHARES_LISTED_UP_TO:
        return Q(pk__in=grants)
    return Q(pk__in=ids)


def referrals_visible_to(*, user: User) -> QuerySet[Referral]:
    """The referrals of the cases the user holds, and those sent to the user's organisations."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    held = _held_cases(user)
    received = _received(user, "view_referral")
    condition = None if held.query.is_empty() else Q(case__in=held.values("pk"))
    if received is not None:
        condition = received if condition is None else condition | received
    if condition is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(condition)
        .select_related("case", "case__child", "organisation", "sent_by")
        .shown_to(user, "referral", row=under_case)
    )


def referral_get_for(*, user: User, public_id: uuid.UUID | str) -> Referral:
    """
    Return one referral the user may see, or raise Http404. A referral shows its case (the
    whole file's link, or the recipient's summary): the trail records the read under the case.
    A refusal is recorded by audit.middleware from the 404 (audit.services.audit_reads).
    """
    try:
        referral = referrals_visible_to(user=user).unshown().get(public_id=public_id)
    except (Referral.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    audit_reads([read_event(user, referral.case, "referral", referral.public_id)])
    return referral


def referral_inbox_for(*, user: User) -> QuerySet[Referral]:
    """Referrals to the user's organisations that can still be answered, oldest due first."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    answerable = _received(user, "respond_referral")
    if answerable is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(answerable, status__in=Referral.OPEN)
        .select_related("case", "case__child", "organisation")
        .order_by("acknowledge_due_at", "id")
        .shown_to(user, "referral", row=under_case)
    )
