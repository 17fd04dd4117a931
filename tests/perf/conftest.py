"""Benchmarks build large cases directly (bulk inserts): they measure printing, not services."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import CaseNote, CaseTransition, Plan, PlanActivity
from tests.printing.conftest import named_case  # noqa: F401 (the fixture, shared)

NOTE = (
    "Thăm trẻ tại nhà bà ngoại ở thôn Đồng Lực. Trẻ ăn ngủ tốt hơn, đi học đều; giáo viên chủ "
    "nhiệm cho biết em tập trung hơn trong giờ học. Bà ngoại đề nghị hỗ trợ thêm đồ dùng học tập "
    "và chi phí đi lại để đưa em đến Trạm Y tế tư vấn tâm lý hằng tuần."
)
ACTIVITY = (
    "Tư vấn tâm lý cho trẻ và hướng dẫn bà ngoại kỹ năng chăm sóc, bảo vệ trẻ; phối hợp với nhà "
    "trường theo dõi việc học và sinh hoạt của trẻ, báo cáo cán bộ bảo vệ trẻ em hằng tháng."
)


@pytest.fixture
def grow_case(world):
    """Add `notes` notes, `history` history rows and a plan with `activities` activities."""

    def _grow(case, *, notes: int, history: int, activities: int):
        now = timezone.now()
        officer = world.officer
        CaseNote.objects.bulk_create(
            CaseNote(case=case, author=officer, text=f"{i + 1}. {NOTE}") for i in range(notes)
        )
        CaseTransition.objects.bulk_create(
            CaseTransition(
                case=case,
                name="referral_sent" if i % 2 else "extend_separation",
                from_status="in_implementation",
                to_status="in_implementation",
                actor=officer,
                at=now - datetime.timedelta(hours=history - i),
                reason=f"Lý do số {i + 1}: theo đề nghị của cơ quan có thẩm quyền",
            )
            for i in range(history)
        )
        plan = Plan.objects.create(
            case=case,
            version=case.plans.count() + 1,
            status="superseded",
            objectives="Bảo đảm an toàn, phục hồi thể chất và tinh thần cho trẻ",
            monitoring="Cán bộ bảo vệ trẻ em thăm trẻ hằng tuần",
            review_on=timezone.localdate() + datetime.timedelta(days=90),
            drafted_by=officer,
        )
        today = timezone.localdate()
        PlanActivity.objects.bulk_create(
            PlanActivity(
                plan=plan,
                measure="i_medical" if i % 2 else "s_education",
                description=f"{i + 1}. {ACTIVITY}",
                person_responsible="Trạm trưởng Trạm Y tế",
                starts_on=today,
                ends_on=today + datetime.timedelta(days=30 + i),
                cost=250000 + i * 1000,
            )
            for i in range(activities)
        )
        return case

    return _grow
