"""
Who may print what (docs/DESIGN.md §4), through the one door of cases and referrals:

- the whole case file and every Decree 56 form: whoever holds `print_case` on the case (the
  commune officer, the chairman, the provincial supervisor);
- a referral summary: the receiving organisation's staff while the referral is open (and those
  who may print the whole case);
- nobody else prints anything. What the user may not see answers 404 (the selectors of cases and
  referrals raise it); what they see but may not print answers 403.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import roles_of
from cases.access import case_permissions
from cases.models import Case
from cases.selectors import case_get_for
from printing.models import PrintRecord
from referrals import lifecycle
from referrals.models import Referral
from referrals.selectors import referral_get_for

PRINT_CASE = "print_case"


class PrintNotPermitted(PermissionDenied):
    """The user sees the case or referral but may not print it (HTTP 403)."""


def may_print_case(*, user: User, case: Case) -> bool:
    return PRINT_CASE in case_permissions(user, case)


def may_print_referral(*, user: User, referral: Referral) -> bool:
    if may_print_case(user=user, case=referral.case):
        return True
    return lifecycle.answers_summary(user, referral)


def case_for_printing(*, user: User, public_id: uuid.UUID | str) -> Case:
    """Return a case the user may print, 404 if they may not see it, 403 if not print it."""
    case = case_get_for(user=user, public_id=public_id)
    if not may_print_case(user=user, case=case):
        raise PrintNotPermitted(_("Your role may not print this case."))
    return case


def referral_for_printing(*, user: User, public_id: uuid.UUID | str) -> Referral:
    """Return a referral whose summary the user may print (404 / 403 as for a case)."""
    referral = referral_get_for(user=user, public_id=public_id)
    if not may_print_referral(user=user, referral=referral):
        raise PrintNotPermitted(
            _("Only the receiving organisation prints a referral's summary, while it is open.")
        )
    return referral


def print_records_of(*, user: User, case: Case) -> QuerySet[PrintRecord]:
    """The register of one case's prints, for those who may print it (else 403)."""
    if not may_print_case(user=user, case=case):
        raise PrintNotPermitted(_("Your role may not see the prints of this case."))
    return PrintRecord.objects.filter(case=case).select_related("printed_by", "referral")


def may_verify(*, user: User) -> bool:
    """Anyone signed in with a role may check whether a document was issued."""
    return user.is_authenticated and user.is_active and bool(roles_of(user=user))


def print_record_find(
    *, public_id: uuid.UUID | str | None = None, sha256: str | None = None
) -> PrintRecord | None:
    """The issued document with this id and/or exactly this content hash, or None."""
    records = PrintRecord.objects.select_related("case", "printed_by")
    if public_id:
        try:
            records = records.filter(public_id=uuid.UUID(str(public_id).strip()))
        except ValueError:
            return None
    if sha256:
        records = records.filter(sha256=sha256.strip().lower())
    if not public_id and not sha256:
        return None
    return records.order_by("-printed_at").first()
