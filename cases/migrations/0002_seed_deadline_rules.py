"""Seed the statutory deadline rules of Decree 56/2017/NĐ-CP (DECREE56-FORMS.md §3)."""

from django.db import migrations

from cases.rule_seeds import seed_rules, unseed_rules

RULES = [
    {
        "code": "emergency_12h",
        "name_vi": "Quyết định can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em",
        "name_en": "Decide emergency intervention or temporary separation",
        "citation": "NĐ 56/2017/NĐ-CP Điều 26(3), 31(2), 32(2)",
        "started_by": ["case_received"],
        "met_by": ["emergency_decided"],
        "waived_by": ["initial_assessed_no_emergency"],
        "duration": 12,
        "unit": "hours",
        "escalate_to": ["chairman", "supervisor"],
    },
    {
        "code": "plan_draft_5wd",
        "name_vi": "Xây dựng và trình kế hoạch hỗ trợ, can thiệp (Mẫu 04)",
        "name_en": "Draft and submit the support-intervention plan (Mẫu 04)",
        "citation": "NĐ 56/2017/NĐ-CP Điều 28(1)",
        "started_by": ["needs_meeting_held", "replan_started"],
        "met_by": ["plan_submitted"],
        "waived_by": [],
        "duration": 5,
        "unit": "working_days",
        "escalate_to": ["cp_officer", "chairman"],
    },
    {
        "code": "plan_approve_2wd",
        "name_vi": "Chủ tịch UBND xã phê duyệt kế hoạch sau khi nhận hồ sơ (Mẫu 05)",
        "name_en": "The chairman approves the plan once submitted (Mẫu 05)",
        "citation": "NĐ 56/2017/NĐ-CP Điều 28(4)",
        "started_by": ["plan_submitted"],
        "met_by": ["plan_approved"],
        "waived_by": ["plan_returned"],
        "duration": 2,
        "unit": "working_days",
        "escalate_to": ["chairman", "supervisor"],
    },
    {
        "code": "plan_approve_7wd",
        "name_vi": "Kế hoạch được phê duyệt: tổng thời hạn 07 ngày làm việc",
        "name_en": "Plan approved: 7 working days in all",
        "citation": "NĐ 56/2017/NĐ-CP Điều 28(1), 28(4); thủ tục hành chính 2.001947",
        "started_by": ["needs_meeting_held", "replan_started"],
        "met_by": ["plan_approved"],
        "waived_by": [],
        "duration": 7,
        "unit": "working_days",
        "escalate_to": ["chairman", "supervisor"],
    },
    {
        "code": "separation_15d",
        "name_vi": "Thời hạn tạm thời cách ly tối đa 15 ngày",
        "name_en": "Temporary separation: at most 15 days",
        "citation": "NĐ 56/2017/NĐ-CP Điều 32(3)",
        "started_by": ["separation_started"],
        "met_by": ["separation_ended"],
        "waived_by": [],
        "duration": 15,
        "unit": "calendar_days",
        "escalate_to": ["chairman", "supervisor"],
    },
    {
        "code": "review_plan_date",
        "name_vi": "Rà soát, đánh giá việc thực hiện kế hoạch (Mẫu 06) theo ngày trong kế hoạch",
        "name_en": "Review the plan (Mẫu 06) on the date the plan sets",
        "citation": "NĐ 56/2017/NĐ-CP Điều 30(1)",
        "started_by": ["plan_approved"],
        "met_by": ["review_recorded"],
        "waived_by": [],
        "duration": 0,
        "unit": "plan_date",
        "escalate_to": ["cp_officer", "chairman"],
    },
]


def seed(apps, schema_editor):
    seed_rules(apps, RULES)


def unseed(apps, schema_editor):
    unseed_rules(apps, RULES)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
