"""
The trail in a browser: an outsider is refused a case, the officer reads it, then sees who has
read it; the auditor finds both events by the case number and sees no case content.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login_and_access import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()


def test_the_auditor_finds_who_read_and_who_was_refused_a_case(page: Page, live_server, world):
    case_url = f"{live_server.url}/cases/{world.case.public_id}/"

    log_in(page, live_server.url, "far_officer")
    response = page.goto(case_url)
    assert response is not None
    assert response.status == 404
    log_out(page)

    log_in(page, live_server.url, "officer")
    page.goto(case_url)
    expect(page.get_by_text(world.case.child_name).first).to_be_visible()
    page.get_by_role("link", name="Ai đã xem hồ sơ này").click()
    readers = page.locator("#readers")
    expect(readers.get_by_text("officer", exact=True)).to_be_visible()
    expect(readers.get_by_text("UBND Đông Hà")).to_be_visible()
    log_out(page)

    log_in(page, live_server.url, "auditor")
    page.locator("#nav-audit").click()
    expect(page.get_by_role("heading", name="Nhật ký kiểm tra")).to_be_visible()
    page.locator("#id_case").fill(world.case.number)
    page.locator("#filter-entries").click()
    entries = page.locator("#audit-entries")
    refused = entries.locator('tr[data-action="refused"]')
    expect(refused).to_have_count(1)
    expect(refused.get_by_text("far_officer")).to_be_visible()
    expect(refused.get_by_text("Truy cập bị từ chối")).to_be_visible()
    expect(
        entries.locator('tr[data-action="read"]').filter(has_text="UBND Đông Hà")
    ).not_to_have_count(0)
    expect(page.get_by_text(world.case.child_name)).to_have_count(0)
