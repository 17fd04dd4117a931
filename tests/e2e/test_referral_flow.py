"""
In a real browser: the officer refers a case to the school; the school acknowledges, accepts and
records feedback; the officer reads the feedback on the case page and completes the referral;
the school's next visit to the case gets the not-found page.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_login_and_access import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGE = "Đề nghị nhà trường theo dõi việc học của em và báo lại"
FEEDBACK = "Em đi học đều; giáo viên chủ nhiệm đã gặp gia đình"


@pytest.fixture
def seeded_rules(transactional_db):
    """
    The deadline and sharing rules are seeded by data migrations; a transactional test that ran
    earlier in the session flushed them. Seed them again (idempotent) before sending.
    """
    for module in (
        "cases.migrations.0002_seed_deadline_rules",
        "referrals.migrations.0002_seed_sharing_and_deadline_rules",
    ):
        importlib.import_module(module).seed(django_apps, None)


@pytest.fixture
def school(browser: Browser):
    """A second browser of its own, closed before the live server stops."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def status_is(page: Page, status: str) -> None:
    expect(page.locator("#referral-status")).to_have_attribute("data-status", status)


def test_a_referral_to_the_school_from_sending_to_completion(
    page: Page, school: Page, live_server, seeded_rules, world
):
    case = world.case
    case_url = f"{live_server.url}/cases/{case.public_id}/"

    # The officer refers the case to the school: first the kind, then the organisation.
    log_in(page, live_server.url, "officer")
    expect(page.get_by_role("heading", name="Hồ sơ trong địa bàn")).to_be_visible()
    page.goto(case_url)
    page.locator("#refer-case").click()
    expect(page.locator("#sharing-rules")).to_be_visible()
    page.locator("#pick-kind").select_option("school")
    page.locator("#show-organisations").click()
    rule = page.locator("#sharing-rule")
    expect(rule).to_have_attribute("data-consent-required", "false")
    expect(page.locator('input[name="acknowledge_due_at"]')).not_to_have_value("")
    page.locator('select[name="organisation"]').select_option(str(world.school_org.public_id))
    page.locator('select[name="purpose"]').select_option("s_education")
    page.locator('textarea[name="message"]').fill(MESSAGE)
    page.locator("#send-referral").click()
    status_is(page, "sent")

    # The school finds it in its inbox, acknowledges, accepts and reports back.
    log_in(school, live_server.url, "school")
    inbox = school.locator("#referral-inbox")
    expect(inbox.locator('[data-group="sent"]')).to_have_attribute("data-count", "1")
    school.locator("#home-referral-inbox").click()
    school.locator("#group-sent").get_by_role("link", name=case.number).click()
    expect(school.get_by_text(MESSAGE)).to_be_visible()
    expect(school.locator("#case-summary")).to_contain_text(case.child_name)
    school.locator("#acknowledge").click()
    status_is(school, "acknowledged")
    expect(school.locator("#receipt-number")).to_contain_text("BN-")
    school.locator("#accept").click()
    status_is(school, "accepted")
    school.locator('input[name="kind"][value="feedback"]').check()
    school.locator('textarea[name="text"]').fill(FEEDBACK)
    school.locator("#add-update").click()
    expect(school.locator("#updates")).to_contain_text(FEEDBACK)

    # The officer reads the feedback on the case page and completes the referral.
    page.goto(case_url)
    referrals = page.locator("#referrals")
    expect(referrals).to_contain_text(FEEDBACK)
    expect(referrals.locator(".receipt")).to_contain_text("BN-")
    expect(page.locator("#who-can-see")).to_contain_text(world.school_org.name)
    referrals.get_by_role("link", name=world.school_org.name).click()
    page.locator("#complete").click()
    status_is(page, "completed")
    page.goto(case_url)
    expect(page.locator("#who-can-see")).not_to_contain_text(world.school_org.name)

    # The school's next visit to the case: the not-found page, nothing of the case.
    response = school.goto(case_url)
    assert response is not None
    assert response.status == 404
    expect(school.get_by_role("heading", name="Không tìm thấy")).to_be_visible()
    expect(school.get_by_text(case.child_name)).to_have_count(0)
