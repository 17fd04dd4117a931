"""
Demo data: one real province, three of its real communes, a user per role, and cases at every
stage of the Decree 56 process (some overdue), so `make run` shows a real day.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.admin_units import load_admin_units, province_code
from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.services import membership_grant, organisation_group
from cases import services
from cases.hooks import demo_parts
from cases.models import Case, Child, EmergencyDecision, FamilyMember, Measure

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

RATINGS_HIGH = {
    "harm_severity": "high",
    "abuser_access": "high",
    "care_obstacles": "medium",
    "self_protection": "high",
    "recovery": "medium",
}
RATINGS_MEDIUM = {
    "harm_severity": "medium",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "medium",
    "recovery": "low",
}
RATINGS_LOW = {
    "harm_severity": "low",
    "abuser_access": "low",
    "care_obstacles": "low",
    "self_protection": "low",
    "recovery": "low",
}


@dataclass
class DemoResult:
    province: AdministrativeUnit
    communes: list[AdministrativeUnit]
    usernames: list[str]
    cases_created: int


@dataclass
class DemoWorld:
    """What the other apps' demo parts get (cases.hooks.register_demo_part)."""

    organisations: dict[str, Organisation]
    users: dict[str, User]
    now: datetime.datetime

    def case(self, child_name: str) -> Case | None:
        return Case.objects.filter(child__full_name=child_name).order_by("id").first()


@dataclass
class Demo:
    now: datetime.datetime
    officer: User
    chairman: User
    officer2: User
    organisations: dict[str, Organisation]

    def ago(self, **delta: float) -> datetime.datetime:
        return self.now - datetime.timedelta(**delta)


def _organisation(kind: str, name: str, area: AdministrativeUnit | None) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(kind=kind, name=name, area=area)
    return organisation


def _specific(demo: Demo, case: Case, at: datetime.datetime) -> None:
    services.case_assess_specific(
        actor=demo.officer,
        case=case,
        assessed_at=at,
        physical_emotional_state="Trẻ có vết bầm ở tay, sợ hãi khi nhắc đến người cha dượng.",
        family_capacity="Mẹ đi làm xa, bà ngoại chăm sóc nhưng sức khỏe yếu.",
        needs="Khám sức khỏe, tư vấn tâm lý, hỗ trợ học tập.",
        child_views="Trẻ muốn ở với bà ngoại.",
        **RATINGS_MEDIUM,
    )


def _meeting(demo: Demo, case: Case, at: datetime.datetime) -> None:
    services.case_hold_needs_meeting(
        actor=demo.officer,
        case=case,
        held_at=at,
        chaired_by="Lê Văn Hùng, Chủ tịch UBND",
        attendees="Cán bộ BVTE, Trạm Y tế, Công an xã, Trường Tiểu học, bà ngoại của trẻ",
        minutes="Thống nhất các biện pháp hỗ trợ y tế, tâm lý và giáo dục.",
    )


def _plan(demo: Demo, case: Case) -> None:
    today = timezone.localdate()
    services.case_draft_plan(
        actor=demo.officer,
        case=case,
        objectives="Bảo đảm an toàn cho trẻ; phục hồi sức khỏe và tâm lý; trẻ tiếp tục đi học.",
        monitoring="Cán bộ BVTE thăm gia đình hằng tuần.",
        review_on=today + datetime.timedelta(days=10),
        activities=[
            {
                "measure": Measure.I_MEDICAL,
                "description": "Khám sức khỏe và tư vấn tâm lý cho trẻ",
                "organisation": demo.organisations["health"],
                "starts_on": today,
                "ends_on": today + datetime.timedelta(days=30),
                "cost": 500000,
            },
            {
                "measure": Measure.S_EDUCATION,
                "description": "Hỗ trợ học tập, miễn học phí học kỳ này",
                "organisation": demo.organisations["school"],
                "starts_on": today,
                "ends_on": today + datetime.timedelta(days=90),
            },
        ],
    )


def _no_emergency(demo: Demo, case: Case, at: datetime.datetime) -> None:
    services.case_assess_initial(
        actor=demo.officer,
        case=case,
        assessed_at=at,
        emergency_required=False,
        safety_measures="Trẻ ở với bà ngoại.",
        **RATINGS_MEDIUM,
    )


def _stage_received_now(demo: Demo, case: Case) -> None:
    """Received an hour ago: the 12-hour clock is running."""


def _stage_emergency_overdue(demo: Demo, case: Case) -> None:
    """Received three days ago and assessed as an emergency; no decision yet: overdue."""
    services.case_assess_initial(
        actor=demo.officer,
        case=case,
        assessed_at=demo.ago(days=3, hours=-2),
        emergency_required=True,
        safety_measures="Đề nghị Công an xã can thiệp.",
        **RATINGS_HIGH,
    )


def _stage_plan_overdue(demo: Demo, case: Case) -> None:
    """Needs meeting twelve days ago and no plan: the 5-working-day clock has run out."""
    _no_emergency(demo, case, demo.ago(days=14))
    _specific(demo, case, demo.ago(days=13))
    _meeting(demo, case, demo.ago(days=12))


def _stage_separation(demo: Demo, case: Case) -> None:
    """Separated from the step-father within 12 hours; the separation is running."""
    decided = demo.ago(days=6, hours=-6)
    services.case_decide_emergency(
        actor=demo.chairman,
        case=case,
        kind=EmergencyDecision.Kind.SEPARATION,
        decision_number="12/QĐ-UBND",
        decided_at=decided,
        measures="Tạm thời cách ly trẻ khỏi cha dượng; đưa trẻ về ở với bà ngoại.",
        separated_from="Cha dượng",
        ground=EmergencyDecision.Ground.CARER_ABUSE,
        safe_place="Nhà bà ngoại, thôn 3",
        alternative_care="Bà ngoại chăm sóc",
        starts_at=decided,
        ends_at=decided + datetime.timedelta(days=10),
    )


def _night(demo: Demo, days_ago: int, hour: int) -> datetime.datetime:
    """`hour` o'clock (Vietnam) of the night `days_ago` days back."""
    day = timezone.localdate(demo.now) - datetime.timedelta(days=days_ago)
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour)), timezone.get_current_timezone()
    )


def _stage_night_intervention(demo: Demo, case: Case) -> None:
    """
    Beaten at home late last night: the officer assessed at once and stopped the harm with the
    police within the 12 hours, no decision needed (Art. 31(3)); the police unit records its own
    part once the case is referred to it (the referrals demo). Harm rated High: a crime report.
    """
    services.case_assess_initial(
        actor=demo.officer,
        case=case,
        assessed_at=case.received_at + datetime.timedelta(minutes=40),
        emergency_required=True,
        safety_measures="Đưa trẻ sang nhà hàng xóm, gọi Công an xã.",
        **RATINGS_HIGH,
    )
    services.case_record_intervention(
        actor=demo.officer,
        case=case,
        intervened_at=case.received_at + datetime.timedelta(hours=1, minutes=30),
        measures="Cùng Công an xã ngăn chặn người cha say rượu; sơ cứu tại Trạm Y tế; lưu giữ "
        "áo của trẻ làm chứng cứ.",
    )


def _stage_separation_in_implementation(demo: Demo, case: Case) -> None:
    """The plan runs, the mother refuses it and the abuse repeats: a separation (Art. 32(1))."""
    _stage_in_implementation(demo, case)
    decided = demo.ago(days=2)
    services.case_decide_emergency(
        actor=demo.chairman,
        case=case,
        kind=EmergencyDecision.Kind.SEPARATION,
        decision_number="31/QĐ-UBND",
        decided_at=decided,
        measures="Tạm thời cách ly trẻ khỏi mẹ; đưa trẻ đến nhà dì ruột.",
        separated_from="Mẹ đẻ",
        ground=EmergencyDecision.Ground.CARER_REFUSES,
        safe_place="Nhà dì ruột, thôn 5",
        alternative_care="Dì ruột chăm sóc",
        starts_at=decided,
        ends_at=decided + datetime.timedelta(days=12),
    )


def _stage_plan_submitted(demo: Demo, case: Case) -> None:
    _no_emergency(demo, case, demo.ago(days=20, hours=-2))
    _specific(demo, case, demo.ago(days=18))
    _meeting(demo, case, demo.ago(days=4))
    _plan(demo, case)
    services.case_submit_plan(actor=demo.officer, case=case)


def _stage_in_implementation(demo: Demo, case: Case) -> None:
    _stage_plan_submitted(demo, case)
    services.case_approve_plan(
        actor=demo.chairman,
        case=case,
        decision_number="25/QĐ-UBND",
        decision_date=timezone.localdate(),
    )
    services.case_start_implementation(actor=demo.officer, case=case)


def _stage_closed(demo: Demo, case: Case) -> None:
    _stage_in_implementation(demo, case)
    services.case_record_review(
        actor=demo.officer,
        case=case,
        no_remaining_risk=True,
        child_stable=True,
        recommendation="close",
        summary="Trẻ ổn định, đã đi học lại, không còn nguy cơ.",
        **RATINGS_LOW,
    )
    services.case_close(actor=demo.chairman, case=case, reason="Đủ điều kiện kết thúc (Điều 30).")


def _stage_not_substantiated(demo: Demo, case: Case) -> None:
    services.case_mark_not_substantiated(
        actor=demo.officer2, case=case, reason="Xác minh không có dấu hiệu xâm hại."
    )


def _stage_initial_other(demo: Demo, case: Case) -> None:
    services.case_assess_initial(
        actor=demo.officer2,
        case=case,
        assessed_at=demo.ago(days=1),
        emergency_required=False,
        **RATINGS_MEDIUM,
    )


# child's name, sex, age, commune key, received (hours ago), forms of abuse, stage
DEMO_CASES: list[tuple[str, str, int, str, float, list[str], Callable[[Demo, Case], None]]] = [
    ("Nguyễn Văn An", "male", 9, "commune1", 1, ["violence"], _stage_received_now),
    ("Trần Thị Bình", "female", 13, "commune1", 72, ["sexual_abuse"], _stage_emergency_overdue),
    ("Lê Minh Châu", "female", 11, "commune1", 15 * 24, ["neglect"], _stage_plan_overdue),
    ("Phạm Gia Huy", "male", 7, "commune1", 6 * 24, ["violence"], _stage_separation),
    ("Võ Thị Diễm", "female", 15, "commune1", 20 * 24, ["exploitation"], _stage_plan_submitted),
    ("Đặng Quốc Khánh", "male", 12, "commune1", 20 * 24, ["violence"], _stage_in_implementation),
    ("Bùi Thu Hà", "female", 10, "commune1", 21 * 24, ["neglect"], _stage_closed),
    ("Trịnh Văn Tùng", "male", 10, "commune1", 0, ["violence"], _stage_night_intervention),
    (
        "Lý Thị Ngọc",
        "female",
        9,
        "commune1",
        22 * 24,
        ["violence", "neglect"],
        _stage_separation_in_implementation,
    ),
    ("Phạm Thu Dung", "female", 8, "commune2", 2 * 24, ["abandonment"], _stage_initial_other),
    ("Hoàng Gia Huy", "male", 14, "commune2", 5 * 24, ["other"], _stage_not_substantiated),
]


HOTLINE_FOLLOWS = {"Nguyễn Văn An", "Trần Thị Bình"}


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

    users = {}
    for username, full_name, role, key in DEMO_USERS:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name}
        )
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        membership_grant(user=user, organisation=organisations[key], role=role)
        users[username] = user
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={"full_name": "Quản trị hệ thống", "is_staff": True, "is_superuser": True},
    )
    admin.set_password(settings.DEMO_PASSWORD)
    admin.save(update_fields=["password"])

    demo = Demo(
        now=timezone.now(),
        officer=users["officer"],
        chairman=users["chairman"],
        officer2=users["officer2"],
        organisations=organisations,
    )
    hotline_group = organisation_group(
        organisation=organisations["hotline"], role=Role.HOTLINE_OPERATOR
    )
    created = 0
    for name, sex, age, key, hours_ago, forms, stage in DEMO_CASES:
        commune = organisations[key].area
        if Case.objects.filter(commune=commune, child__full_name=name).exists():
            continue
        child = Child.objects.create(
            full_name=name, sex=sex, estimated_age=age, residence_commune=commune
        )
        FamilyMember.objects.create(
            child=child, full_name="Nguyễn Thị Hoa", relation="mother", age=38, is_caregiver=True
        )
        received = _night(demo, 1, 22) if stage is _stage_night_intervention else None
        case = services.case_create(
            commune=commune,
            child=child,
            received_at=received or demo.ago(hours=hours_ago),
            source=Case.Source.HOTLINE if key == "commune1" else Case.Source.COMMUNE,
            channel=Case.Channel.PHONE,
            target_group=Case.TargetGroup.ABUSED,
            abuse_forms=forms,
            abuse_settings=["family"],
            protection_level=Case.ProtectionLevel.INTERVENTION,
            incident_commune=commune,
            child_condition="Trẻ hoảng sợ, có dấu hiệu bị tổn thương.",
        )
        stage(demo, case)
        created += 1
        if name in HOTLINE_FOLLOWS:
            # The hotline opened these and follows them (a share, not jurisdiction).
            services.case_share_grant(
                case=case,
                permissions=["view_case", "view_case_summary"],
                reason="Opened by hotline 111 (demo)",
                group=hotline_group,
            )
    for part in demo_parts():
        part(DemoWorld(organisations=organisations, users=users, now=demo.now))
    usernames = [u[0] for u in DEMO_USERS] + ["admin"]
    return DemoResult(
        province=province, communes=communes, usernames=usernames, cases_created=created
    )
