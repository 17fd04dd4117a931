"""Demo data: one real province, three of its real communes, a user per role, a few cases."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.admin_units import load_admin_units, province_code
from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.services import membership_grant, organisation_group
from cases.models import Case
from cases.services import case_create, case_share_grant

DEMO_PROVINCE_CODE = province_code(44)  # Tỉnh Quảng Trị

# username, full name, role, organisation key
DEMO_USERS = [
    ("hotline", "Đỗ Thị Hồng", Role.HOTLINE_OPERATOR, "hotline"),
    ("officer", "Nguyễn Thị Lan", Role.CP_OFFICER, "commune1"),
    ("officer2", "Trần Văn Minh", Role.CP_OFFICER, "commune2"),
    ("chairman", "Lê Văn Hùng", Role.CHAIRMAN, "commune1"),
    ("collaborator", "Phạm Thị Mai", Role.COLLABORATOR, "commune1"),
    ("school", "Võ Thị Thu", Role.SECTOR_STAFF, "school"),
    ("health", "Bùi Văn Tâm", Role.SECTOR_STAFF, "health"),
    ("police", "Hoàng Văn Dũng", Role.SECTOR_STAFF, "police"),
    ("supervisor", "Ngô Thị Hạnh", Role.SUPERVISOR, "provincial_health"),
    ("auditor", "Đặng Văn Khoa", Role.AUDITOR, "provincial_health"),
]

# child's name, organisation key of the commune holding the case, days since receipt
DEMO_CASES = [
    ("Nguyễn Văn An", "commune1", 1),
    ("Trần Thị Bình", "commune1", 3),
    ("Lê Minh Châu", "commune1", 9),
    ("Phạm Thu Dung", "commune2", 2),
    ("Hoàng Gia Huy", "commune2", 6),
]


@dataclass
class DemoResult:
    province: AdministrativeUnit
    communes: list[AdministrativeUnit]
    usernames: list[str]
    cases_created: int


def _organisation(kind: str, name: str, area: AdministrativeUnit | None) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(kind=kind, name=name, area=area)
    return organisation


@transaction.atomic
def seed_demo() -> DemoResult:
    """Create the demo world; running it again changes nothing but resets the demo passwords."""
    if not AdministrativeUnit.objects.filter(
        level=AdministrativeUnit.Level.PROVINCE, code=DEMO_PROVINCE_CODE
    ).exists():
        load_admin_units()
    province = AdministrativeUnit.objects.get(
        level=AdministrativeUnit.Level.PROVINCE, code=DEMO_PROVINCE_CODE, valid_to__isnull=True
    )
    communes = list(
        AdministrativeUnit.objects.filter(parent=province, valid_to__isnull=True).order_by("code")[
            :3
        ]
    )
    first = communes[0]
    kinds = Organisation.Kind
    organisations = {
        "hotline": _organisation(kinds.HOTLINE, "Tổng đài quốc gia bảo vệ trẻ em 111", None),
        "provincial_health": _organisation(
            kinds.PROVINCIAL_HEALTH, f"Sở Y tế {province.name}", province
        ),
        "school": _organisation(kinds.SCHOOL, f"Trường Tiểu học {first.name}", first),
        "health": _organisation(kinds.HEALTH_FACILITY, f"Trạm Y tế {first.name}", first),
        "police": _organisation(kinds.POLICE, f"Công an {first.name}", first),
    }
    for index, commune in enumerate(communes, start=1):
        organisations[f"commune{index}"] = _organisation(
            kinds.COMMUNE_COMMITTEE, f"Ủy ban nhân dân {commune.name}", commune
        )

    for username, full_name, role, key in DEMO_USERS:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name}
        )
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        membership_grant(user=user, organisation=organisations[key], role=role)
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={"full_name": "Quản trị hệ thống", "is_staff": True, "is_superuser": True},
    )
    admin.set_password(settings.DEMO_PASSWORD)
    admin.save(update_fields=["password"])

    now = timezone.now()
    created = 0
    for child_name, key, days_ago in DEMO_CASES:
        commune = organisations[key].area
        if Case.objects.filter(commune=commune, child__full_name=child_name).exists():
            continue
        case = case_create(
            commune=commune,
            child_name=child_name,
            received_at=now - datetime.timedelta(days=days_ago),
        )
        created += 1
        if child_name == DEMO_CASES[0][0]:
            # The hotline opened this one and follows it (a share, not jurisdiction).
            case_share_grant(
                case=case,
                permissions=["view_case", "view_case_summary"],
                reason="Opened by hotline 111 (demo)",
                group=organisation_group(
                    organisation=organisations["hotline"], role=Role.HOTLINE_OPERATOR
                ),
            )
    usernames = [u[0] for u in DEMO_USERS] + ["admin"]
    return DemoResult(
        province=province, communes=communes, usernames=usernames, cases_created=created
    )
