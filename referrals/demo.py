"""
The referrals of the demo (cases.demo, through cases.hooks.register_demo_part): open referrals
to the school, the health station and the police, the police unit's own record of a night
intervention and its crime report confirmed in writing, and a referral that has ended.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from cases import services as case_services
from cases.models import Measure
from referrals import services


def _activity(case: Any, organisation: Any) -> Any:
    plan = case.plans.filter(status="approved").first()
    return plan.activities.filter(organisation=organisation).first() if plan else None


def referrals_demo(world: Any) -> None:
    officer, police = world.users["officer"], world.users["police"]
    orgs = world.organisations

    night = world.case("Trịnh Văn Tùng")
    if night is not None and not night.referrals.exists():
        referral = services.referral_send(
            actor=officer,
            case=night,
            organisation=orgs["police"],
            purpose=Measure.I_SAFE_PLACE,
            message="Tin báo về hành vi bạo lực gây thương tích nặng cho trẻ; đề nghị xử lý.",
            phoned_at=night.received_at + datetime.timedelta(minutes=50),
        )
        case_services.case_record_intervention(
            actor=police,
            case=night,
            intervened_at=night.received_at + datetime.timedelta(hours=1, minutes=45),
            measures="Công an xã tạm giữ người cha, lập biên bản, thu giữ chứng cứ.",
        )
        services.referral_acknowledge(actor=police, referral=referral)
        services.referral_record_written_notice(
            actor=officer,
            referral=referral,
            reference="07/TB-UBND",
            written_on=timezone.localdate(referral.sent_at),
        )

    implementing = world.case("Đặng Quốc Khánh")
    if implementing is not None and not implementing.referrals.exists():
        for key, purpose, message in (
            ("school", Measure.S_EDUCATION, "Đề nghị nhà trường hỗ trợ học tập cho trẻ."),
            ("health", Measure.I_MEDICAL, "Đề nghị khám sức khỏe và tư vấn tâm lý cho trẻ."),
        ):
            services.referral_send(
                actor=officer,
                case=implementing,
                organisation=orgs[key],
                purpose=purpose,
                message=message,
                activity=_activity(implementing, orgs[key]),
            )

    submitted = world.case("Võ Thị Diễm")
    if submitted is not None and not submitted.referrals.exists():
        health = world.users["health"]
        ended = services.referral_send(
            actor=officer,
            case=submitted,
            organisation=orgs["health"],
            purpose=Measure.I_MEDICAL,
            message="Đề nghị khám sức khỏe cho trẻ.",
        )
        services.referral_acknowledge(actor=health, referral=ended)
        services.referral_accept(actor=health, referral=ended)
        services.referral_complete(
            actor=officer, referral=ended, note="Trẻ đã được khám, sức khỏe ổn định."
        )
