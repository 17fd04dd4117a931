"""A case at every stage of Decree 56, with the diacritics that break careless PDFs."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Organisation
from cases import services
from cases.models import Child, EmergencyDecision, FamilyMember
from referrals import services as referral_services
from tests.cases.test_workflow_services import LOW, RATINGS, activity, specific

CHILD_NAME = "Nguyễn Thị Ngọc Ánh Đặng Hữu Phước"
HARD_LETTERS = ("ặ", "ỗ", "ữ", "ự", "Đ")
FATHER = "Đỗ Văn Lực"
MOTHER = "Trần Thị Hữu Hạnh"
INCIDENT_PLACE = "Chợ Bến Đỗ, thôn Mỹ Lực"
MEDICAL_MARKER = "VẾT-THƯƠNG-Y-KHOA-BÍ-MẬT-42"
REPORTER = "Phạm Quốc Dũng Báo Tin"
SCHOOL_MESSAGE = "Đề nghị nhà trường theo dõi việc học của em"


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF, as a reader extracts it."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def organisation(kind: str) -> Organisation:
    return Organisation.objects.get(kind=kind)


@pytest.fixture
def named_case(world):
    """world.case with a child whose name carries Vietnamese diacritics, and a record."""
    case = world.case
    Child.objects.filter(pk=case.child_id).update(
        full_name=CHILD_NAME, sex="female", estimated_age=11, address="Thôn Đồng Lực"
    )
    case.child.refresh_from_db()
    type(case).objects.filter(pk=case.pk).update(
        target_group="abused",
        channel="phone",
        incident_place=INCIDENT_PLACE,
        child_condition=MEDICAL_MARKER,
        family_situation="Gia đình khó khăn, bố mẹ đi làm xa",
        current_carer="Bà ngoại",
        reporter_consent=False,
        reporter_name=REPORTER,
        received_by=world.officer,
    )
    case.refresh_from_db()
    FamilyMember.objects.create(
        child=case.child, relation="father", full_name=FATHER, age=40, occupation="Làm ruộng"
    )
    FamilyMember.objects.create(
        child=case.child,
        relation="mother",
        full_name=MOTHER,
        age=36,
        occupation="Công nhân",
        is_caregiver=True,
    )
    return case


def separate(world, case, days: int = 10) -> EmergencyDecision:
    now = timezone.now()
    return services.case_decide_emergency(
        actor=world.chairman,
        case=case,
        kind="separation",
        decision_number="07/QĐ-UBND",
        measures="Đưa trẻ đến nơi an toàn, khám sức khỏe",
        separated_from="Cha: " + FATHER,
        ground="carer_abuse",
        safe_place="Nhà bà ngoại, thôn Đồng Lực",
        alternative_care="Bà ngoại chăm sóc",
        starts_at=now,
        ends_at=now + datetime.timedelta(days=days),
    )


def through_review(world, case, *, notes: int = 2, activities: int = 2) -> None:
    """Initial assessment, separation and its extension, specific assessment, needs meeting,
    a plan approved and implemented, a review; notes along the way."""
    services.case_assess_initial(
        actor=world.officer,
        case=case,
        emergency_required=True,
        safety_measures="Tạm đưa trẻ về nhà bà ngoại",
        **RATINGS,
    )
    decision = separate(world, case)
    services.case_extend_separation(
        actor=world.chairman,
        case=case,
        decision=decision,
        new_ends_at=decision.ends_at + datetime.timedelta(days=4),
        reason="Chờ kết quả giám định",
    )
    specific(world, case, child_views="Em muốn ở với bà ngoại", carer_safe=False)
    services.case_hold_needs_meeting(
        actor=world.officer,
        case=case,
        held_at=timezone.now(),
        chaired_by="Chủ tịch UBND xã",
        attendees="Cán bộ BVTE, Trạm Y tế, Công an xã, bà ngoại",
        minutes="Thống nhất các biện pháp hỗ trợ, can thiệp",
    )
    services.case_draft_plan(
        actor=world.officer,
        case=case,
        objectives="Bảo đảm an toàn và phục hồi cho trẻ",
        monitoring="Cán bộ BVTE thăm trẻ hằng tuần",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        activities=[
            activity(description=f"Hoạt động hỗ trợ số {i}: tư vấn tâm lý cho trẻ", cost=500000)
            for i in range(activities)
        ],
    )
    services.case_submit_plan(actor=world.officer, case=case)
    services.case_approve_plan(
        actor=world.chairman,
        case=case,
        decision_number="15/QĐ-UBND",
        decision_date=timezone.localdate(),
    )
    services.case_start_implementation(actor=world.officer, case=case)
    for i in range(notes):
        services.case_note_add(
            actor=world.officer, case=case, text=f"Ghi chú số {i}: thăm trẻ, trẻ ổn định hơn"
        )
    services.case_record_review(
        actor=world.officer,
        case=case,
        no_remaining_risk=True,
        child_stable=True,
        recommendation="close",
        **LOW,
    )


def refer(world, case, kind: str, message: str = SCHOOL_MESSAGE, purpose="s_education"):
    return referral_services.referral_send(
        actor=world.officer,
        case=case,
        organisation=organisation(kind),
        purpose=purpose,
        message=message,
    )


@pytest.fixture
def full_case(world, named_case):
    through_review(world, named_case)
    referral = refer(world, named_case, "school")
    referral_services.referral_acknowledge(actor=world.school, referral=referral)
    referral_services.referral_accept(actor=world.school, referral=referral)
    referral_services.referral_update_add(
        actor=world.school, referral=referral, kind="action", text="Đã gặp giáo viên chủ nhiệm"
    )
    named_case.refresh_from_db()
    return named_case


PURPOSE = "Hồ sơ gửi Tòa án nhân dân phục vụ phiên họp ngày 12/5"


def print_url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"printing:{name}", args=args)


def vi(msgid: str) -> str:
    """What a source string reads as in Vietnamese, as the PDF prints it."""
    from django.utils import translation

    with translation.override("vi"):
        return translation.gettext(msgid)


def flat(text: str) -> str:
    """Extracted text with its line breaks joined, for phrases a layout may wrap."""
    return " ".join(text.split())
