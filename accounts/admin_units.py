"""Load Vietnam's administrative units from the `vietnam-provinces` package."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import vietnam_provinces
from django.db import transaction

from accounts.models import AdministrativeUnit

# The two-tier local government (34 provinces, 3,321 communes) took effect on this date.
REFORM_2025 = datetime.date(2025, 7, 1)


@dataclass
class LoadResult:
    provinces_created: int = 0
    provinces_updated: int = 0
    communes_created: int = 0
    communes_updated: int = 0
    provinces_total: int = 0
    communes_total: int = 0
    data_version: str = vietnam_provinces.__data_version__


def province_code(number: int) -> str:
    return f"{number:02d}"


def commune_code(number: int) -> str:
    return f"{number:05d}"


def _upsert(
    existing: dict[str, AdministrativeUnit],
    level: str,
    code: str,
    fields: dict[str, object],
) -> tuple[AdministrativeUnit, str]:
    unit = existing.get(code)
    if unit is None:
        unit = AdministrativeUnit.objects.create(
            level=level, code=code, valid_from=REFORM_2025, **fields
        )
        return unit, "created"
    changed = [name for name, value in fields.items() if getattr(unit, name) != value]
    if changed:
        for name in changed:
            setattr(unit, name, fields[name])
        unit.save(update_fields=changed)
        return unit, "updated"
    return unit, "unchanged"


@transaction.atomic
def load_admin_units() -> LoadResult:
    """Create or update the current provinces and communes; running it twice changes nothing."""
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        provinces = json.load(handle)
    current = AdministrativeUnit.objects.filter(valid_to__isnull=True)
    existing_provinces = {
        u.code: u for u in current.filter(level=AdministrativeUnit.Level.PROVINCE)
    }
    existing_communes = {u.code: u for u in current.filter(level=AdministrativeUnit.Level.COMMUNE)}
    result = LoadResult()
    for province_data in provinces:
        province, outcome = _upsert(
            existing_provinces,
            AdministrativeUnit.Level.PROVINCE,
            province_code(province_data["code"]),
            {
                "name": province_data["name"],
                "division_type": province_data["division_type"],
                "codename": province_data["codename"],
                "parent": None,
            },
        )
        result.provinces_total += 1
        if outcome == "created":
            result.provinces_created += 1
        elif outcome == "updated":
            result.provinces_updated += 1
        to_create = []
        for ward in province_data["wards"]:
            code = commune_code(ward["code"])
            fields = {
                "name": ward["name"],
                "division_type": ward["division_type"],
                "codename": ward["codename"],
                "parent": province,
            }
            result.communes_total += 1
            if code not in existing_communes:
                to_create.append(
                    AdministrativeUnit(
                        level=AdministrativeUnit.Level.COMMUNE,
                        code=code,
                        valid_from=REFORM_2025,
                        **fields,
                    )
                )
                continue
            _unit, outcome = _upsert(
                existing_communes, AdministrativeUnit.Level.COMMUNE, code, fields
            )
            if outcome == "updated":
                result.communes_updated += 1
        AdministrativeUnit.objects.bulk_create(to_create)
        result.communes_created += len(to_create)
    return result
