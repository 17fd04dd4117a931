"""
Crime reports (Decree 56 Art. 25(3); Criminal Procedure Code Art. 146(4)): a case whose facts
show signs of a crime must reach the investigating police at once, by phone in an emergency and
then in writing. Which facts are signs is data (cases.CrimeSignRule, seeded by a migration:
sexual abuse of a child, trafficking, violence whose harm is assessed High).

A case matching an active rule is flagged once, and the flag starts the clock `crime_to_police`
(met by a referral to a police unit, referrals.services); the written notice has a clock of its
own (`crime_written_notice`). A flag is never lifted by a later edit: the duty arose when the
facts were known, and the record keeps it.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import User
from cases.deadlines import Event, deadlines_on_event
from cases.models import Case, CrimeSignRule, RiskLevel

# The clocks of a crime report: passed to the police at once, then confirmed in writing.
CRIME_RULES = ("crime_to_police", "crime_written_notice")


def crime_signs_of(case: Case) -> list[str]:
    """The codes of the active rules the case's facts match, in the rules' order."""
    forms = set(case.abuse_forms or [])
    if not forms:
        return []
    sexual_types = set(case.sexual_abuse_types or [])
    high_harm = None
    signs = []
    for rule in CrimeSignRule.objects.filter(is_active=True, abuse_form__in=forms):
        if rule.sexual_abuse_types and not sexual_types & set(rule.sexual_abuse_types):
            continue
        if rule.needs_high_harm:
            if high_harm is None:
                high_harm = case.assessments.filter(harm_severity=RiskLevel.HIGH).exists()
            if not high_harm:
                continue
        signs.append(rule.code)
    return signs


def crime_check(*, case: Case, actor: User | None, at: datetime.datetime | None = None) -> bool:
    """
    Flag the case a crime report if its facts now show signs of a crime (call inside the
    service's transaction, after the facts are saved). Returns whether it was flagged now.
    `at` is when the facts became known (the receipt for a new case).
    """
    signs = crime_signs_of(case)
    if not signs:
        return False
    if case.crime_report:
        merged = [*case.crime_signs, *(s for s in signs if s not in case.crime_signs)]
        if merged != case.crime_signs:
            Case.objects.filter(pk=case.pk).update(crime_signs=merged)
            case.crime_signs = merged
        return False
    at = at or timezone.now()
    case.crime_report, case.crime_signs, case.crime_flagged_at = True, signs, at
    Case.objects.filter(pk=case.pk).update(
        crime_report=True, crime_signs=signs, crime_flagged_at=at
    )
    deadlines_on_event(case=case, event=Event.CRIME_FLAGGED, at=at)
    if actor is not None:
        from cases.services import case_history_add

        case_history_add(actor=actor, case=case, name="crime_flagged", details={"signs": signs})
    from cases.hooks import crime_flagged

    # A police unit may already hold a referral of the case: it is the report (referrals).
    crime_flagged.send(sender=Case, case=case, actor=actor, at=at)
    return True


def crime_sign_names(case: Case) -> list[str]:
    """The names of the signs the case was flagged on, in the user's language."""
    rules = {r.code: r for r in CrimeSignRule.objects.filter(code__in=case.crime_signs)}
    return [rules[code].name if code in rules else code for code in case.crime_signs]
