"""manage.py print_case_file: a print from the shell, recorded like any other."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from printing.models import PrintRecord
from tests.printing.conftest import CHILD_NAME, pdf_text


def test_it_writes_the_pdf_and_records_it(world, named_case, tmp_path):
    output = tmp_path / "hs.pdf"
    call_command(
        "print_case_file",
        named_case.number,
        "--output",
        str(output),
        "--as",
        "supervisor",
        "--purpose",
        "Báo cáo Sở Y tế",
    )

    pdf = output.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert CHILD_NAME in text
    assert named_case.number in text
    record = PrintRecord.objects.get()
    assert (record.kind, record.printed_by, record.purpose) == (
        "case_file",
        world.supervisor,
        "Báo cáo Sở Y tế",
    )
    assert record.sha256 == hashlib.sha256(pdf).hexdigest()
    assert str(record.public_id) in text


def test_it_refuses_without_a_user(world, tmp_path):
    with pytest.raises(CommandError, match="--as"):
        call_command("print_case_file", world.case.number, "--output", str(tmp_path / "x.pdf"))
    assert not PrintRecord.objects.exists()


@pytest.mark.parametrize("username", ["hotline", "officer2", "school", "admin", "nobody"])
def test_it_refuses_a_user_who_may_not_print_the_case(world, tmp_path, username):
    with pytest.raises(CommandError, match="may not print"):
        call_command(
            "print_case_file",
            world.case.number,
            "--output",
            str(tmp_path / "x.pdf"),
            "--as",
            username,
        )
    assert not (tmp_path / "x.pdf").exists()
    assert not PrintRecord.objects.exists()


def test_it_refuses_an_unknown_case_or_user(world, tmp_path):
    with pytest.raises(CommandError, match="may not print"):
        call_command(
            "print_case_file", "1999-999999", "--output", str(tmp_path / "x.pdf"), "--as", "officer"
        )
    with pytest.raises(CommandError, match="No active user"):
        call_command(
            "print_case_file",
            world.case.number,
            "--output",
            str(tmp_path / "x.pdf"),
            "--as",
            "ghost",
        )
