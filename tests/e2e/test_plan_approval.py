"""
In a real browser: the officer takes a case from receipt to a submitted plan through the pages;
the chairman finds it awaiting approval on the home page and approves it (Mẫu 05); the officer
sees the plan approved on the case page.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_login_and_access import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATINGS = {
    "harm_severity": "high",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "low",
    "recovery": "medium",
}


def day(offset: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


def take_step(page: Page, name: str) -> None:
    page.locator(f"#step-{name}").click()
    expect(page.locator("#step-form")).to_be_visible()


def rate(page: Page) -> None:
    for field, level in RATINGS.items():
        page.locator(f'input[name="{field}"][value="{level}"]').check()


def submit(page: Page, status: str) -> None:
    page.locator("#take-step").click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", status)


@pytest.fixture
def chairman(browser: Browser):
    """A second browser of its own, closed before the live server stops."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_a_plan_goes_from_the_officer_to_the_chairman_and_back_approved(
    page: Page, chairman: Page, live_server, world
):
    case = world.case
    log_in(page, live_server.url, "officer")
    expect(page.get_by_role("heading", name="Hồ sơ trong địa bàn")).to_be_visible()
    page.get_by_role("link", name=case.number).first.click()

    take_step(page, "assess_initial")
    rate(page)
    page.locator('input[name="emergency_required"][value="no"]').check()
    submit(page, "initial_assessed")

    take_step(page, "assess_specific")
    page.locator('textarea[name="physical_emotional_state"]').fill("Có vết bầm ở tay")
    page.locator('textarea[name="family_capacity"]').fill("Bà ngoại chăm sóc")
    page.locator('textarea[name="needs"]').fill("Khám sức khỏe, tư vấn tâm lý")
    rate(page)
    submit(page, "specific_assessed")

    take_step(page, "hold_needs_meeting")
    page.locator('input[name="chaired_by"]').fill("Chủ tịch UBND xã")
    page.locator('textarea[name="attendees"]').fill("Cán bộ BVTE, Trạm Y tế, cha mẹ")
    page.locator('textarea[name="minutes"]').fill("Thống nhất khám sức khỏe và hỗ trợ học tập")
    submit(page, "needs_meeting_held")

    take_step(page, "draft_plan")
    page.locator('textarea[name="objectives"]').fill("Bảo đảm an toàn cho trẻ")
    page.locator('input[name="review_on"]').fill(day(30))
    for index, (measure, task) in enumerate(
        [("s_health", "Khám sức khỏe"), ("s_education", "Hỗ trợ học tập")]
    ):
        page.locator(f'select[name="activities-{index}-measure"]').select_option(measure)
        page.locator(f'textarea[name="activities-{index}-description"]').fill(task)
        page.locator(f'input[name="activities-{index}-person_responsible"]').fill("Trạm Y tế")
        page.locator(f'input[name="activities-{index}-starts_on"]').fill(day())
        page.locator(f'input[name="activities-{index}-ends_on"]').fill(day(20))
    submit(page, "plan_drafted")

    take_step(page, "submit_plan")
    submit(page, "plan_submitted")

    log_in(chairman, live_server.url, "chairman")
    awaiting = chairman.locator("#awaiting-approval")
    expect(awaiting.locator(f'[data-case="{case.number}"]')).to_be_visible()
    awaiting.locator(f"#approve-{case.number}").click()
    expect(chairman.locator('[data-plan-status="submitted"]')).to_be_visible()
    expect(chairman.get_by_text("Hỗ trợ học tập")).to_be_visible()
    chairman.locator('input[name="decision_number"]').fill("15/QĐ-UBND")
    chairman.locator('input[name="decision_date"]').fill(day())
    submit(chairman, "plan_approved")

    page.reload()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "plan_approved")
    plan = page.locator('[data-plan-status="approved"]')
    expect(plan).to_be_visible()
    expect(plan.locator(".decision")).to_contain_text("15/QĐ-UBND")
    expect(page.locator("#step-start_implementation")).to_be_visible()
