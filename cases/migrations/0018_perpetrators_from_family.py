"""
The alleged perpetrators already on record, as records of their own (issue #13): for each case
whose child has a family member flagged `is_alleged_perpetrator`, one Perpetrator linked to that
family member (the family member stays in the family). Recorded by whoever added the family
member (the audit trail's `family_member_add` entry), else the case's receiver; a case with
neither gets none (the officer records it on the case page). Run again, it adds nothing twice.
"""

from django.db import migrations

# FamilyMember.Relation -> Perpetrator.Relation (as cases.perpetrators.FAMILY_RELATION).
RELATION = {
    "father": "parent",
    "mother": "parent",
    "step_parent": "step_parent",
    "grandparent": "relative",
    "sibling": "relative",
    "relative": "relative",
    "guardian": "carer",
    "carer": "carer",
    "other": "other",
}
SEX = {"father": "male", "mother": "female"}
AGE_BANDS = (
    (60, "60_plus"),
    (45, "45_59"),
    (30, "30_44"),
    (18, "18_29"),
    (16, "16_17"),
    (0, "under_16"),
)
BATCH = 1000


def _age_band(age):
    if age is None:
        return "unknown"
    return next(band for youngest, band in AGE_BANDS if age >= youngest)


def _adder(apps, member, users):
    """Who added the family member, from the trail (if that user is still on record)."""
    AuditEntry = apps.get_model("audit", "AuditEntry")
    entry = (
        AuditEntry.objects.filter(
            action="write",
            object_type="familymember",
            object_id=str(member.pk),
            detail__operation="family_member_add",
            actor_id__isnull=False,
        )
        .order_by("seq")
        .values_list("actor_id", flat=True)
        .first()
    )
    if entry is not None and entry not in users:
        users[entry] = apps.get_model("accounts", "User").objects.filter(pk=entry).exists()
    return entry if entry is not None and users[entry] else None


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    FamilyMember = apps.get_model("cases", "FamilyMember")
    Perpetrator = apps.get_model("cases", "Perpetrator")
    linked = set(
        Perpetrator.objects.filter(family_member__isnull=False).values_list(
            "case_id", "family_member_id"
        )
    )
    users = {}
    rows = []
    members = FamilyMember.objects.filter(is_alleged_perpetrator=True).order_by("pk")
    for member in members.iterator(chunk_size=BATCH):
        adder = _adder(apps, member, users)
        cases = Case.objects.filter(child_id=member.child_id).values_list("pk", "received_by_id")
        for case_id, received_by_id in cases:
            recorded_by = adder or received_by_id
            if recorded_by is None or (case_id, member.pk) in linked:
                continue
            linked.add((case_id, member.pk))
            rows.append(
                Perpetrator(
                    case_id=case_id,
                    relation=RELATION.get(member.relation, "other"),
                    sex=SEX.get(member.relation, "unknown"),
                    age_band=_age_band(member.age),
                    is_family_member=True,
                    family_member_id=member.pk,
                    recorded_by_id=recorded_by,
                )
            )
        if len(rows) >= BATCH:
            Perpetrator.objects.bulk_create(rows)
            rows = []
    Perpetrator.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_deputy_chairman"),
        ("audit", "0005_list_reads_rows_index"),
        ("cases", "0017_decree56_records"),
    ]

    # The records stay on the way back (0017's reversal drops their table).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
