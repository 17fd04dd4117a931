"""
In a real browser: a hotline operator logs a report call on the call screen and opens a case
from it; the commune officer logs in, finds the case among the home page's clocks and in the
case list, and sees its 12-hour clock running on the case page.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Browser, Page, expect

from cases.models import Case
from hotline.models import Call
from tests.e2e.test_login_and_access import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deadline_rules(transactional_db):
    """
    The statutory deadline rules, seeded by a data migration (cases 0002). A transactional test
    that ran earlier in the session flushed the database, and them with it: seed them again
    (idempotent), so the 12-hour clock starts whatever ran before.
    """
    seed = importlib.import_module("cases.migrations.0002_seed_deadline_rules").seed
    seed(django_apps, None)


@pytest.fixture
def officer(browser: Browser):
    """A second browser of its own, closed before the live server stops."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_an_operator_logs_a_report_call_and_the_officer_finds_the_case_with_its_clock(
    page: Page, officer: Page, live_server, deadline_rules, world
):
    log_in(page, live_server.url, "hotline")
    expect(page.locator("#intake-hotline")).to_be_visible()
    page.locator("#nav-call-new").click()
    form = page.locator("#call-form")
    expect(form).to_be_visible()

    page.locator("#id_duration").fill("6:40")
    page.locator("#id_caller_number").fill("0912 345 678")
    page.locator('input[name="call_type"][value="report"]').check()
    page.locator("#id_caller_relation").select_option("neighbour")
    page.locator("#id_child_name").fill("Đức")
    page.locator("#id_child_age").fill("9")
    # Choosing the province shows its communes (the page comes back with what was typed).
    page.locator("#id_incident_province").select_option(str(world.province.pk))
    expect(page.locator(f'#id_incident_commune option[value="{world.commune.pk}"]')).to_have_count(
        1
    )
    expect(page.locator("#id_child_name")).to_have_value("Đức")
    expect(page.locator('input[name="call_type"][value="report"]')).to_be_checked()
    page.locator("#id_incident_commune").select_option(str(world.commune.pk))
    page.locator("#id_place").fill("Thôn 3")
    page.locator("#id_narrative").fill("Hàng xóm nghe tiếng trẻ khóc và bị đánh mỗi tối")
    page.locator('input[name="urgency"][value="emergency"]').check()
    page.locator("#id_child_condition").fill("Có vết bầm ở tay")
    page.locator("#id_current_carer").fill("Cha")
    page.locator("#save-call").click()

    expect(page.locator("#triage")).to_be_visible()
    expect(page.locator('#caller-number[data-kind="number"]')).to_be_visible()
    page.locator("#open-case").click()
    outcome = page.locator('#outcome[data-status="case_opened"]')
    expect(outcome).to_be_visible()
    call = Call.objects.get()
    case = Case.objects.get(pk=call.case_id)
    assert case.received_at == call.started_at
    expect(outcome.locator("#outcome-case")).to_have_text(case.number)

    log_in(officer, live_server.url, "officer")
    clocks = officer.locator("#deadlines")
    expect(clocks.locator(f'tr[data-case="{case.number}"]').first).to_be_visible()
    officer.goto(f"{live_server.url}/cases/")
    officer.get_by_role("link", name=case.number).click()
    clock = officer.locator('tr[data-rule="emergency_12h"]')
    expect(clock).to_have_attribute("data-state", "open")
    expect(officer.locator("#case-status")).to_have_attribute("data-status", "received")
