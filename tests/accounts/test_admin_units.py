"""The real administrative units load from `vietnam-provinces`, idempotently."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from accounts.models import AdministrativeUnit

Level = AdministrativeUnit.Level


def test_it_loads_34_provinces_and_3321_communes_once(db):
    out = StringIO()
    call_command("load_admin_units", stdout=out)
    assert "34 provinces (34 created" in out.getvalue()
    assert "3321 communes (3321 created" in out.getvalue()
    assert AdministrativeUnit.objects.filter(level=Level.PROVINCE).count() == 34
    assert AdministrativeUnit.objects.filter(level=Level.COMMUNE).count() == 3321

    out = StringIO()
    call_command("load_admin_units", stdout=out)
    assert "(0 created, 0 updated)" in out.getvalue()
    assert AdministrativeUnit.objects.count() == 34 + 3321


def test_units_carry_official_codes_parents_and_validity(db):
    call_command("load_admin_units", stdout=StringIO())
    hanoi = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="01")
    assert hanoi.name == "Thành phố Hà Nội"
    hoan_kiem = AdministrativeUnit.objects.get(level=Level.COMMUNE, code="00070")
    assert hoan_kiem.name == "Phường Hoàn Kiếm"
    assert hoan_kiem.parent == hanoi
    assert hoan_kiem.province == hanoi
    assert str(hoan_kiem.valid_from) == "2025-07-01"
    assert hoan_kiem.valid_to is None


def test_a_renamed_unit_is_updated_not_duplicated(db):
    call_command("load_admin_units", stdout=StringIO())
    AdministrativeUnit.objects.filter(level=Level.COMMUNE, code="00070").update(name="Cũ")
    out = StringIO()
    call_command("load_admin_units", stdout=out)
    assert "(0 created, 1 updated)" in out.getvalue()
    assert (
        AdministrativeUnit.objects.get(level=Level.COMMUNE, code="00070").name == "Phường Hoàn Kiếm"
    )


def test_a_legacy_district_can_hold_old_communes(db):
    call_command("load_admin_units", stdout=StringIO())
    hanoi = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="01")
    district = AdministrativeUnit.objects.create(
        level=Level.DISTRICT,
        code="001",
        name="Quận Ba Đình",
        parent=hanoi,
        valid_to="2025-06-30",
    )
    old = AdministrativeUnit.objects.create(
        level=Level.COMMUNE,
        code="00001",
        name="Phường Phúc Xá",
        parent=district,
        valid_to="2025-06-30",
    )
    old.full_clean()
    assert old.province == hanoi
