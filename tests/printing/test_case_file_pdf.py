"""The case file as a supervisor prints it: what the PDF's text says, page by page."""

from __future__ import annotations

import hashlib
import re

from cases.models import Case
from printing.models import PrintRecord
from tests.printing.conftest import (
    CHILD_NAME,
    FATHER,
    HARD_LETTERS,
    MEDICAL_MARKER,
    MOTHER,
    PURPOSE,
    REPORTER,
    flat,
    pdf_pages,
    pdf_text,
    print_url,
    vi,
)

SECTIONS = (
    "Child and family",
    "Report on receipt of information (Mẫu 01)",
    "Risk assessments",
    "Emergency protection and temporary separation",
    "Needs meetings",
    "Support-intervention plans (Mẫu 04, 05)",
    "Referrals",
    "Notes",
    "History",
    "Deadlines",
)


def print_file(client, case, purpose=PURPOSE):
    return client.post(print_url("case-file", case.public_id), {"purpose": purpose})


def test_the_supervisor_prints_the_whole_file_with_every_section(client_for, world, full_case):
    response = print_file(client_for("supervisor"), full_case)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert CHILD_NAME in text
    for letter in HARD_LETTERS:
        assert letter in text
    assert FATHER in text
    assert MOTHER in text
    assert full_case.number in text
    for section in SECTIONS:
        assert vi(section) in text, section
    assert MEDICAL_MARKER in text  # the whole file keeps the child's condition
    assert "07/QĐ-UBND" in text
    assert "15/QĐ-UBND" in text
    assert "Chờ kết quả giám định" in text  # the separation's extension
    assert "BN-" in text  # the school's receipt
    assert "Đã gặp giáo viên chủ nhiệm" in text  # its action


def test_every_page_carries_the_mark_the_case_the_printer_and_page_x_of_y(
    client_for, world, full_case
):
    pdf = print_file(client_for("supervisor"), full_case).content
    pages = pdf_pages(pdf)
    record = PrintRecord.objects.get()

    assert len(pages) == record.page_count > 1
    for number, page in enumerate(pages, start=1):
        assert "MẬT" in page
        assert "CONFIDENTIAL" in page
        assert full_case.number in page
        assert world.supervisor.get_full_name() in page
        assert f"Trang {number} / {len(pages)}" in page
        assert str(record.public_id) in page
    assert "Trang 1 / " in pages[0]
    assert "/print/verify/" in flat(pages[-1])


def test_the_print_is_recorded_with_the_hash_of_exactly_the_bytes_returned(
    client_for, world, full_case
):
    response = print_file(client_for("officer"), full_case)

    record = PrintRecord.objects.get()
    assert (record.kind, record.case, record.printed_by) == ("case_file", full_case, world.officer)
    assert record.purpose == PURPOSE
    assert record.sha256 == hashlib.sha256(response.content).hexdigest()
    assert record.size == len(response.content)
    assert response["X-Document-Id"] == str(record.public_id)


def test_the_reporter_is_printed_only_with_consent(client_for, world, named_case):
    client = client_for("officer")
    assert REPORTER not in pdf_text(print_file(client, named_case).content)

    Case.objects.filter(pk=named_case.pk).update(reporter_consent=True, reporter_phone="0912345678")
    text = pdf_text(print_file(client, named_case).content)
    assert REPORTER in text
    assert "0912345678" in text


def test_a_new_case_prints_its_empty_sections_honestly(client_for, world):
    text = pdf_text(print_file(client_for("chairman"), world.case).content)

    assert world.case.child_name in text
    assert vi("No assessment yet.") in text
    assert vi("No plan yet.") in text


def test_the_deadlines_say_whether_each_was_met(client_for, world, full_case):
    text = flat(pdf_text(print_file(client_for("supervisor"), full_case).content))

    assert vi("Met in time") in text
    assert re.search(r"Điều|Art\.", text)


def test_english_is_one_choice_away(client_for, world, full_case):
    client = client_for("supervisor")
    client.cookies["django_language"] = "en"
    text = pdf_text(print_file(client, full_case).content)

    assert "Child and family" in text
    assert "Page 1 / " in text
    assert CHILD_NAME in text
