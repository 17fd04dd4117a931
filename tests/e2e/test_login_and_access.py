"""The commune officer logs in in Vietnamese; an outsider officer gets the not-found page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_the_officer_logs_in_and_sees_the_commune_cases(page: Page, live_server, world):
    log_in(page, live_server.url, "officer")
    expect(page.get_by_role("heading", name="Hồ sơ trong địa bàn")).to_be_visible()
    expect(page.get_by_text("Cán bộ bảo vệ trẻ em cấp xã")).to_be_visible()
    page.get_by_role("link", name=world.case.number).click()
    expect(page.get_by_text(world.case.child_name)).to_be_visible()
    expect(page.get_by_text(world.other_case.number)).to_have_count(0)


def test_an_outsider_officer_gets_the_not_found_page(page: Page, live_server, world):
    log_in(page, live_server.url, "officer2")
    expect(page.get_by_role("heading", name="Hồ sơ trong địa bàn")).to_be_visible()
    response = page.goto(f"{live_server.url}/cases/{world.case.public_id}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy")).to_be_visible()
    expect(page.get_by_text(world.case.child_name)).to_have_count(0)


def test_the_officer_switches_to_english(page: Page, live_server, world):
    log_in(page, live_server.url, "officer")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Cases in your area")).to_be_visible()
