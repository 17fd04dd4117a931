"""
The alleged perpetrator as a record of its own (issue #13): who is said to have harmed the
child, for the police and the statistics, whether a member of the family or not (a teacher, a
neighbour, a stranger, an online contact). A family member stays in the family; the record
links to them and flags them (`FamilyMember.is_alleged_perpetrator`).

The services work as the family's do (cases.services.family_member_add and _remove): the
permission to change the case, one audited transaction, the case's version bumped (its ETag
changes). Errors name the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audited
from cases.access import case_permissions
from cases.models import Case, FamilyMember, Perpetrator, Sex
from cases.services import StepNotPermitted, check_lengths

PERPETRATOR_FIELDS = (
    "relation",
    "sex",
    "age_band",
    "is_family_member",
    "family_member",
    "description",
)

# How a family member's relation reads as a perpetrator's (the statistics' categories).
FAMILY_RELATION: dict[str, str] = {
    FamilyMember.Relation.FATHER: Perpetrator.Relation.PARENT,
    FamilyMember.Relation.MOTHER: Perpetrator.Relation.PARENT,
    FamilyMember.Relation.STEP_PARENT: Perpetrator.Relation.STEP_PARENT,
    FamilyMember.Relation.GRANDPARENT: Perpetrator.Relation.RELATIVE,
    FamilyMember.Relation.SIBLING: Perpetrator.Relation.RELATIVE,
    FamilyMember.Relation.RELATIVE: Perpetrator.Relation.RELATIVE,
    FamilyMember.Relation.GUARDIAN: Perpetrator.Relation.CARER,
    FamilyMember.Relation.CARER: Perpetrator.Relation.CARER,
    FamilyMember.Relation.OTHER: Perpetrator.Relation.OTHER,
}
FAMILY_SEX = {FamilyMember.Relation.FATHER: Sex.MALE, FamilyMember.Relation.MOTHER: Sex.FEMALE}
# (youngest age of the band, band), oldest first.
AGE_BANDS = (
    (60, Perpetrator.AgeBand.FROM_60),
    (45, Perpetrator.AgeBand.FROM_45_TO_59),
    (30, Perpetrator.AgeBand.FROM_30_TO_44),
    (18, Perpetrator.AgeBand.FROM_18_TO_29),
    (16, Perpetrator.AgeBand.FROM_16_TO_17),
    (0, Perpetrator.AgeBand.UNDER_16),
)


def age_band_of(age: int | None) -> str:
    """The age band of an age in years (unknown without one)."""
    if age is None:
        return Perpetrator.AgeBand.UNKNOWN
    return next(band for youngest, band in AGE_BANDS if age >= youngest)


def _require_change(actor: User, case: Case) -> None:
    if "change_case" not in case_permissions(actor, case):
        raise StepNotPermitted(_("Your role may not do this on this case."))


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _clean(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k in PERPETRATOR_FIELDS}
    member = data.get("family_member")
    if member is not None and (
        not isinstance(member, FamilyMember) or member.child_id != case.child_id
    ):
        raise ValidationError({"family_member": _("This person is not in this child's family.")})
    # What the family member's row already says, where the record leaves it out.
    if member is not None:
        if _blank(data.get("relation")):
            data["relation"] = FAMILY_RELATION.get(member.relation, Perpetrator.Relation.OTHER)
        if _blank(data.get("sex")) and member.relation in FAMILY_SEX:
            data["sex"] = FAMILY_SEX[member.relation]
        if _blank(data.get("age_band")) and member.age is not None:
            data["age_band"] = age_band_of(member.age)
    if data.get("relation") not in Perpetrator.Relation.values:
        raise ValidationError({"relation": _("Choose the relation to the child.")})
    for field, choices, default in (
        ("sex", Sex, Sex.UNKNOWN),
        ("age_band", Perpetrator.AgeBand, Perpetrator.AgeBand.UNKNOWN),
    ):
        if _blank(data.get(field)):
            data[field] = default
        elif data[field] not in choices.values:
            raise ValidationError({field: _("Choose from the list.")})
    data["description"] = str(data.get("description") or "").strip()
    check_lengths(Perpetrator, data)
    family = data.get("is_family_member")
    if family is None:
        # A parent, step-parent or relative is of the family unless the record says otherwise.
        family = member is not None or data["relation"] in Perpetrator.FAMILY_RELATIONS
    elif not isinstance(family, bool):
        raise ValidationError({"is_family_member": _("Choose from the list.")})
    if member is not None and not family:
        raise ValidationError(
            {"is_family_member": _("A linked family member is a member of the child's family.")}
        )
    data["is_family_member"] = family
    return data


@audited("perpetrator_add")
def perpetrator_add(*, actor: User, case: Case, data: dict[str, Any]) -> Perpetrator:
    """
    Record an alleged perpetrator of the case (relation, sex, age band; whether of the family,
    and which family member). A linked family member is flagged as the alleged perpetrator.
    """
    _require_change(actor, case)
    data = _clean(case, data)
    perpetrator = Perpetrator.objects.create(case=case, recorded_by=actor, **data)
    member = data.get("family_member")
    if member is not None and not member.is_alleged_perpetrator:
        member.is_alleged_perpetrator = True
        member.save(update_fields=["is_alleged_perpetrator"])
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    return perpetrator


@audited("perpetrator_remove", target=("perpetrator",))
def perpetrator_remove(*, actor: User, case: Case, perpetrator: Perpetrator) -> None:
    """
    Remove an alleged perpetrator's record. The family member it linked stays in the family;
    their flag goes with the last record that links them.
    """
    _require_change(actor, case)
    if perpetrator.case_id != case.pk:
        raise ValidationError({"perpetrator": _("This record is not of this case.")})
    member_id = perpetrator.family_member_id
    perpetrator.delete()
    if (
        member_id is not None
        and not Perpetrator.objects.filter(family_member_id=member_id).exists()
    ):
        FamilyMember.objects.filter(pk=member_id).update(is_alleged_perpetrator=False)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
