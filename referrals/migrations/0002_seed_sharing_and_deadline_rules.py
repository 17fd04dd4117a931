"""Seed who needs consent to receive a case, and the referral clocks of the deadline engine."""

from django.db import migrations

STATUTORY_VI = (
    "Không cần sự đồng ý: {body} có trách nhiệm bảo vệ trẻ em theo Luật Trẻ em; việc cung cấp "
    "thông tin để bảo vệ trẻ em là thực hiện nhiệm vụ theo luật (Luật Bảo vệ dữ liệu cá nhân "
    "2025, trường hợp không cần sự đồng ý)."
)
STATUTORY_EN = (
    "No consent needed: {body} has a duty to protect children under the Law on Children; "
    "sharing to protect the child carries out a statutory duty (a no-consent ground of the "
    "Personal Data Protection Law 2025)."
)
RULES = [
    ("school", False, "nhà trường", "the school", "Luật Trẻ em 2016 Điều 94; NĐ 56/2017 Điều 25(2)"),
    ("health_facility", False, "cơ sở y tế", "the health facility",
     "Luật Trẻ em 2016 Điều 50; NĐ 56/2017 Điều 31(5)"),
    ("police", False, "cơ quan công an", "the police",
     "Luật Trẻ em 2016 Điều 92; NĐ 56/2017 Điều 25(3), 31(4)"),
    ("court", False, "tòa án, viện kiểm sát", "the court or procuracy",
     "Luật Trẻ em 2016 Điều 52(3); Bộ luật Tố tụng"),
    ("social_protection", False, "cơ sở trợ giúp xã hội", "the social-protection facility",
     "Luật Trẻ em 2016 Điều 50(2), 62"),
]
NGO_VI = (
    "Cần sự đồng ý: tổ chức xã hội, tổ chức phi chính phủ không có nhiệm vụ theo luật; chia sẻ "
    "thông tin bí mật đời sống riêng tư của trẻ em cần sự đồng ý của trẻ em từ đủ 07 tuổi trở "
    "lên và của cha, mẹ hoặc người giám hộ (Luật Trẻ em Điều 6(11), 33; Luật Bảo vệ dữ liệu cá "
    "nhân 2025)."
)
NGO_EN = (
    "Consent needed: an NGO or mass organisation has no statutory duty here; sharing a child's "
    "private information needs the consent of the child aged 7 or more and of the parent or "
    "guardian (Law on Children Arts. 6(11), 33; Personal Data Protection Law 2025)."
)
DEADLINES = [
    {
        "code": "referral_ack_1wd",
        "name_vi": "Cơ quan nhận chuyển gửi xác nhận đã nhận",
        "name_en": "The receiving organisation acknowledges the referral",
        "citation": "Quy trình phối hợp (mặc định 01 ngày làm việc); NĐ 56/2017 Điều 25(2)",
        "started_by": ["referral_sent"],
        "met_by": ["referral_acknowledged"],
        "waived_by": ["referral_ended"],
        "duration": 1,
        "unit": "working_days",
        "escalate_to": ["cp_officer"],
    },
    {
        "code": "referral_feedback_5wd",
        "name_vi": "Cơ quan nhận chuyển gửi phản hồi kết quả",
        "name_en": "The receiving organisation reports back",
        "citation": "Quy trình phối hợp (mặc định 05 ngày làm việc); NĐ 56/2017 Điều 29",
        "started_by": ["referral_sent"],
        "met_by": ["referral_feedback"],
        "waived_by": ["referral_ended"],
        "duration": 5,
        "unit": "working_days",
        "escalate_to": ["cp_officer"],
    },
]


def seed(apps, schema_editor):
    SharingRule = apps.get_model("referrals", "SharingRule")
    for kind, needed, body_vi, body_en, citation in RULES:
        SharingRule.objects.update_or_create(
            organisation_kind=kind,
            defaults={
                "consent_required": needed,
                "explanation_vi": STATUTORY_VI.format(body=body_vi),
                "explanation_en": STATUTORY_EN.format(body=body_en),
                "citation": citation,
            },
        )
    SharingRule.objects.update_or_create(
        organisation_kind="ngo",
        defaults={
            "consent_required": True,
            "explanation_vi": NGO_VI,
            "explanation_en": NGO_EN,
            "citation": "Luật Trẻ em 2016 Điều 6(11), 33; Luật Bảo vệ dữ liệu cá nhân 2025",
        },
    )
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    for rule in DEADLINES:
        DeadlineRule.objects.update_or_create(code=rule["code"], defaults=rule)


def unseed(apps, schema_editor):
    apps.get_model("referrals", "SharingRule").objects.all().delete()
    apps.get_model("cases", "DeadlineRule").objects.filter(
        code__in=[r["code"] for r in DEADLINES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial"), ("cases", "0002_seed_deadline_rules")]

    operations = [migrations.RunPython(seed, unseed)]
