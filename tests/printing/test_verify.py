"""The verification page: was this document issued here? By id, by hash, by the file itself."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from printing.models import PrintRecord
from tests.printing.conftest import CHILD_NAME, PURPOSE, print_url

VERIFY = "/print/verify/"


@pytest.fixture
def issued(client_for, world, named_case) -> tuple[PrintRecord, bytes]:
    response = client_for("supervisor").post(
        print_url("case-file", named_case.public_id), {"purpose": PURPOSE}
    )
    return PrintRecord.objects.get(), response.content


def confirms(response, record: PrintRecord) -> None:
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-result="issued"' in content
    assert record.case.number in content
    assert record.printed_by.get_full_name() in content
    assert record.get_kind_display() in content
    assert f'id="verify-pages">{record.page_count}<' in content
    # Whether it was issued, never what it says.
    assert CHILD_NAME not in content
    assert PURPOSE not in content


def test_the_page_lives_at_print_verify():
    assert print_url("verify") == VERIFY


def test_a_real_document_is_confirmed_by_its_id(client_for, world, issued):
    record, _pdf = issued
    response = client_for("school").get(VERIFY, {"id": str(record.public_id)})
    confirms(response, record)
    assert b"upload the PDF file" in response.content or b"SHA-256" in response.content


def test_a_real_document_is_confirmed_by_its_hash(client_for, world, issued):
    record, pdf = issued
    response = client_for("auditor").get(VERIFY, {"sha256": hashlib.sha256(pdf).hexdigest()})
    confirms(response, record)


def test_a_real_document_is_confirmed_by_uploading_it(client_for, world, issued):
    record, pdf = issued
    upload = SimpleUploadedFile("hs.pdf", pdf, content_type="application/pdf")
    confirms(client_for("officer2").post(VERIFY, {"file": upload}), record)


def test_a_tampered_document_is_not_issued(client_for, world, issued):
    record, pdf = issued
    # One changed byte in the body is enough: the hash no longer matches the register.
    middle = len(pdf) // 2
    tampered = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :]
    client = client_for("police")

    upload = SimpleUploadedFile("hs.pdf", tampered, content_type="application/pdf")
    response = client.post(VERIFY, {"file": upload})
    assert 'data-result="not_issued"' in response.content.decode()
    assert record.case.number not in response.content.decode()

    # The right id with changed content is not the issued document either.
    upload = SimpleUploadedFile("hs.pdf", tampered, content_type="application/pdf")
    response = client.post(VERIFY, {"file": upload, "id": str(record.public_id)})
    assert 'data-result="not_issued"' in response.content.decode()


def test_an_unknown_id_is_not_issued(client_for, world, issued):
    response = client_for("supervisor").get(VERIFY, {"id": "00000000-0000-0000-0000-000000000000"})
    assert 'data-result="not_issued"' in response.content.decode()


def test_a_malformed_hash_is_a_form_error_not_a_500(client_for, world):
    response = client_for("supervisor").get(VERIFY, {"sha256": "xyz"})
    assert response.status_code == 400


def test_the_empty_page_offers_the_form(client_for, world):
    response = client_for("collaborator").get(VERIFY)
    assert response.status_code == 200
    assert b'id="verify-form"' in response.content
    assert b"verify-result" not in response.content


def test_someone_without_a_role_may_not_verify(client_for, world):
    assert client_for("nobody").get(VERIFY).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, world):
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
