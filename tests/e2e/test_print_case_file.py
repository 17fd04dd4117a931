"""
In a real browser: the provincial supervisor opens a case, follows the print link, says why
they print, and gets the case file as a PDF whose text names the case.
"""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from printing.models import PrintRecord
from tests.e2e.test_login_and_access import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPOSE = "Kiểm tra hồ sơ theo kế hoạch giám sát quý"


def test_the_supervisor_prints_the_case_file_with_a_purpose(page: Page, live_server, world):
    case = world.case
    log_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    section = page.locator("#print")
    expect(section).to_be_visible()
    expect(section.locator('[data-form="02"]')).to_have_attribute("data-available", "false")
    section.locator("#print-case-file").click()

    expect(page.locator("#print-document")).to_have_attribute("data-kind", "case_file")
    page.locator('textarea[name="purpose"]').fill(PURPOSE)
    with page.expect_download() as info:
        page.locator("#print-submit").click()
    download = info.value
    pdf = open(download.path(), "rb").read()

    assert pdf.startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert case.number in text
    assert case.child_name in text
    record = PrintRecord.objects.get()
    assert (record.printed_by, record.purpose) == (world.supervisor, PURPOSE)

    # The print shows in the case's register.
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    expect(page.locator("#print .print-register")).to_contain_text(PURPOSE)
