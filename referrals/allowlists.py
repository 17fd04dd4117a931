"""
What a receiving organisation sees of a case: the child's basic details, the referral's purpose
and message, and the fields its sector needs. One allow-list per kind of organisation, used by
the page, the API and the PDF alike.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from cases.models import Case

K = Organisation.Kind


def _choices(values: list[str], choices: type) -> str:
    labels = dict(choices.choices)
    return ", ".join(str(labels.get(v, v)) for v in values)


def _age(case: Case) -> str:
    age = case.child.age
    if age is None:
        return ""
    return ngettext("%(age)d year", "%(age)d years", age) % {"age": age}


def _perpetrators(case: Case) -> str:
    return "; ".join(
        f"{m.get_relation_display()}: {m.full_name}".strip(": ")
        for m in case.child.family_members.all()
        if m.is_alleged_perpetrator
    )


def _perpetrator_records(case: Case) -> str:
    # The records of cases.perpetrators, without names or descriptions: relation, sex, age band.
    return "; ".join(
        f"{p.get_relation_display()}, {p.get_sex_display()}, {p.get_age_band_display()}"
        for p in case.perpetrators.all()
    )


def _carers(case: Case) -> str:
    return "; ".join(
        f"{m.get_relation_display()}: {m.full_name} {m.contact}".strip()
        for m in case.child.family_members.all()
        if m.is_caregiver
    )


def _reporter(case: Case) -> str:
    # Sealed unless the reporter agreed to be identified (Mẫu 01 section A.3).
    if not case.reporter_consent:
        return ""
    return " · ".join(x for x in (case.reporter_name, case.reporter_phone) if x)


# field key -> (label, how to read it from a case)
FIELDS: dict[str, tuple[object, Callable[[Case], str]]] = {
    "number": (_("Case number"), lambda c: c.number),
    "child_name": (_("Child"), lambda c: c.child.full_name),
    "sex": (_("Sex"), lambda c: c.child.get_sex_display()),
    "age": (_("Age"), _age),
    "residence_commune": (
        _("Commune of residence"),
        lambda c: c.child.residence_commune.name if c.child.residence_commune else "",
    ),
    "school": (_("School"), lambda c: c.child.school_name),
    "carers": (_("Carers"), _carers),
    "protection_level": (_("Protection level"), lambda c: c.get_protection_level_display()),
    "abuse_forms": (_("Forms of abuse"), lambda c: _choices(c.abuse_forms, Case.AbuseForm)),
    "sexual_abuse_types": (
        _("Forms of sexual abuse"),
        lambda c: _choices(c.sexual_abuse_types, Case.SexualAbuseType),
    ),
    "abuse_settings": (_("Setting"), lambda c: _choices(c.abuse_settings, Case.Setting)),
    "incident_place": (_("Place of the incident"), lambda c: c.incident_place),
    "incident_commune": (
        _("Commune of the incident"),
        lambda c: c.incident_commune.name if c.incident_commune else "",
    ),
    "child_condition": (_("Current condition of the child"), lambda c: c.child_condition),
    "family_situation": (_("Family situation"), lambda c: c.family_situation),
    "current_carer": (_("Current carer"), lambda c: c.current_carer),
    "child_location": (_("Where the child is now"), lambda c: c.child_location),
    "alleged_perpetrators": (_("Alleged perpetrators"), _perpetrators),
    "perpetrators": (
        _("Alleged perpetrators: relation, sex, age band"),
        _perpetrator_records,
    ),
    "reporter": (_("Reporter (agreed to be identified)"), _reporter),
}

BASE = ["number", "child_name", "sex", "age", "residence_commune"]

# What each sector needs, beyond the base. A school does not see the medical narrative; the
# police see the incident facts; the reporter's identity only where an investigation needs it.
ALLOW_LISTS: dict[str, list[str]] = {
    K.SCHOOL: [*BASE, "school", "carers", "protection_level"],
    K.HEALTH_FACILITY: [
        *BASE,
        "carers",
        "abuse_forms",
        "sexual_abuse_types",
        "child_condition",
        "current_carer",
    ],
    K.POLICE: [
        *BASE,
        "abuse_forms",
        "sexual_abuse_types",
        "abuse_settings",
        "incident_place",
        "incident_commune",
        "alleged_perpetrators",
        "perpetrators",
        "current_carer",
        "reporter",
    ],
    K.COURT: [
        *BASE,
        "abuse_forms",
        "family_situation",
        "current_carer",
        "alleged_perpetrators",
        "reporter",
    ],
    K.SOCIAL_PROTECTION: [
        *BASE,
        "carers",
        "current_carer",
        "family_situation",
        "child_location",
        "protection_level",
    ],
    K.NGO: [*BASE, "protection_level"],
}


def allowed_fields(organisation_kind: str) -> list[str]:
    return ALLOW_LISTS.get(organisation_kind, BASE)


def case_summary(case: Case, organisation_kind: str) -> list[tuple[str, str, str]]:
    """Return (key, label, value) for each field this kind of organisation may see."""
    rows = []
    for key in allowed_fields(organisation_kind):
        label, read = FIELDS[key]
        rows.append((key, str(label), read(case) or ""))
    return rows
