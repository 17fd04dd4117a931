"""What referrals plug into cases: the recipient's allow-listed summary, consent withdrawal."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from cases.access import VIEW_CASE, case_permissions
from cases.models import Case, ConsentRecord, Measure
from referrals.allowlists import case_summary
from referrals.models import Referral


def summary_for_recipient(user: User, case: Case) -> list[tuple[str, str]] | None:
    """
    The fields of the case an open referral lets this user see: the allow-list of each
    receiving organisation the user works for, with the referrals' purpose and message.
    """
    permissions = case_permissions(user, case)  # empty for an inactive user
    if VIEW_CASE in permissions or "view_case_summary" not in permissions:
        return None
    referrals = list(
        Referral.objects.filter(
            case=case,
            status__in=Referral.OPEN,
            organisation__memberships__user=user,
            organisation__memberships__is_active=True,
            organisation__memberships__role="sector_staff",
            organisation__is_active=True,
        )
        .select_related("organisation")
        .distinct()
    )
    if not referrals:
        return None
    rows: dict[str, tuple[str, str]] = {}
    for referral in referrals:
        for key, label, value in case_summary(case, referral.organisation.kind):
            rows.setdefault(key, (label, value))
    purposes = dict(Measure.choices)
    result = list(rows.values())
    for referral in referrals:
        result.append((_("Referral purpose"), str(purposes.get(referral.purpose, ""))))
        result.append((_("Message"), referral.message))
    return result


def on_consent_withdrawn(sender: Any, consent: ConsentRecord, actor: User, **kwargs: Any) -> None:
    from referrals.services import referrals_revoke_for_withdrawn_consent

    referrals_revoke_for_withdrawn_consent(consent=consent, actor=actor)


def on_case_ended(sender: Any, case: Case, actor: User, step: str, **kwargs: Any) -> None:
    from referrals.services import referrals_end_with_case

    referrals_end_with_case(case=case, actor=actor, step=step)


def on_crime_flagged(sender: Any, case: Case, actor: Any, at: Any, **kwargs: Any) -> None:
    from referrals.services import crime_report_reached_police

    crime_report_reached_police(case=case, at=at)


def referral_notice_link(notice: Any) -> str:
    """A notice that a referral ended leads to the referral's own record."""
    return reverse("referrals:detail", args=[notice.about])


def register_history_labels() -> None:
    from django.utils.translation import gettext_lazy

    from cases.hooks import HISTORY_LABELS

    HISTORY_LABELS.update(
        {
            "referral_sent": gettext_lazy("Referral sent"),
            "referral_acknowledged": gettext_lazy("Referral acknowledged"),
            "referral_accepted": gettext_lazy("Referral accepted"),
            "referral_declined": gettext_lazy("Referral declined"),
            "referral_completed": gettext_lazy("Referral completed"),
            "referral_revoked": gettext_lazy("Referral revoked"),
            "referral_written_notice": gettext_lazy(
                "Crime report confirmed to the police in writing"
            ),
        }
    )
