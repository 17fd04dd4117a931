"""Who prints what (docs/DESIGN.md §4): 404 for what one may not see, 403 for what one may see but
not print, 400 without a purpose; every print in the register, nothing else in it."""

from __future__ import annotations

import hashlib

import pytest

from printing.models import PrintRecord
from referrals import services as referral_services
from tests.printing.conftest import (
    CHILD_NAME,
    INCIDENT_PLACE,
    MEDICAL_MARKER,
    PURPOSE,
    SCHOOL_MESSAGE,
    flat,
    pdf_text,
    print_url,
    refer,
)

OUTSIDERS = ["officer2", "collaborator", "school", "health", "police", "auditor", "admin", "nobody"]
URLS = [("case-file",), ("form", "01"), ("register",)]


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("url", URLS)
def test_outsiders_get_not_found(client_for, world, persona, url):
    client = client_for(persona)
    address = print_url(url[0], world.case.public_id, *url[1:])

    assert client.get(address).status_code == 404
    assert client.post(address, {"purpose": PURPOSE}).status_code == 404
    assert not PrintRecord.objects.exists()


def test_a_case_that_does_not_exist_is_not_found_either(client_for, world):
    response = client_for("supervisor").get(
        print_url("case-file", "00000000-0000-0000-0000-000000000000")
    )
    assert response.status_code == 404


@pytest.mark.parametrize("url", URLS)
def test_the_hotline_sees_the_case_but_may_not_print_it(client_for, world, url):
    client = client_for("hotline")
    address = print_url(url[0], world.case.public_id, *url[1:])

    assert client.get(f"/cases/{world.case.public_id}/").status_code == 200
    assert client.get(address).status_code == 403
    assert client.post(address, {"purpose": PURPOSE}).status_code == 403
    assert not PrintRecord.objects.exists()


def test_a_school_on_a_referred_case_may_not_print_the_whole_file(client_for, world, named_case):
    refer(world, named_case, "school")
    client = client_for("school")

    response = client.post(print_url("case-file", named_case.public_id), {"purpose": PURPOSE})
    assert response.status_code == 403
    assert client.post(print_url("form", named_case.public_id, "01")).status_code == 403
    assert not PrintRecord.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "chairman", "supervisor"])
def test_those_who_hold_the_case_print_it(client_for, world, persona):
    client = client_for(persona)
    address = print_url("case-file", world.case.public_id)

    page = client.get(address)
    assert page.status_code == 200
    assert b'name="purpose"' in page.content
    assert world.case.number.encode() in page.content
    assert client.post(address, {"purpose": PURPOSE}).status_code == 200
    assert PrintRecord.objects.get().printed_by == world.users[persona]


@pytest.mark.parametrize("purpose", ["", "   "])
def test_without_a_purpose_nothing_is_printed_or_recorded(client_for, world, purpose):
    response = client_for("supervisor").post(
        print_url("case-file", world.case.public_id), {"purpose": purpose}
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b'id="print-form"' in response.content
    assert not PrintRecord.objects.exists()


def test_the_referral_summary_for_the_school_has_no_medical_narrative(
    client_for, world, named_case
):
    referral = refer(world, named_case, "school")
    client = client_for("school")
    address = print_url("referral-summary", referral.public_id)

    assert client.get(address).status_code == 200
    response = client.post(address, {"purpose": "Lưu hồ sơ học sinh cần hỗ trợ"})
    assert response.status_code == 200
    text = flat(pdf_text(response.content))
    assert CHILD_NAME in text
    assert named_case.number in text
    assert flat(SCHOOL_MESSAGE) in text
    assert MEDICAL_MARKER not in text
    assert INCIDENT_PLACE not in text
    assert "Trang 1 / " in text
    record = PrintRecord.objects.get()
    assert (record.kind, record.referral, record.printed_by) == (
        "referral_summary",
        referral,
        world.school,
    )
    assert record.sha256 == hashlib.sha256(response.content).hexdigest()


def test_the_police_summary_has_the_incident_place_and_its_receipt(client_for, world, named_case):
    referral = refer(
        world, named_case, "police", message="Đề nghị xác minh vụ việc", purpose="other"
    )
    referral_services.referral_acknowledge(actor=world.police, referral=referral)
    referral.refresh_from_db()

    response = client_for("police").post(
        print_url("referral-summary", referral.public_id), {"purpose": "Xác minh vụ việc"}
    )
    text = flat(pdf_text(response.content))
    assert INCIDENT_PLACE in text
    assert referral.receipt_number in text
    assert MEDICAL_MARKER not in text


def test_another_organisation_and_outsiders_cannot_print_a_referral(client_for, world, named_case):
    referral = refer(world, named_case, "school")
    address = print_url("referral-summary", referral.public_id)

    for persona in ("health", "police", "collaborator", "officer2", "nobody"):
        assert client_for(persona).post(address, {"purpose": PURPOSE}).status_code == 404
    # The hotline reads the whole file through its share, referrals included, but prints nothing.
    assert client_for("hotline").post(address, {"purpose": PURPOSE}).status_code == 403
    assert not PrintRecord.objects.exists()


def test_once_the_referral_ends_the_school_prints_nothing(client_for, world, named_case):
    referral = refer(world, named_case, "school")
    referral_services.referral_revoke(actor=world.officer, referral=referral, reason="Nhầm")
    response = client_for("school").post(
        print_url("referral-summary", referral.public_id), {"purpose": PURPOSE}
    )

    # The school keeps the referral's own record (it sees it), not the right to print it.
    assert response.status_code == 403
    assert not PrintRecord.objects.exists()


def test_the_register_lists_who_printed_what_when_and_why(client_for, world):
    client = client_for("supervisor")
    client.post(print_url("case-file", world.case.public_id), {"purpose": PURPOSE})
    client_for("officer").post(print_url("form", world.case.public_id, "01"), {"purpose": "Lưu"})

    page = client_for("chairman").get(print_url("register", world.case.public_id))
    assert page.status_code == 200
    content = page.content.decode()
    assert PURPOSE in content
    assert "Lưu" in content
    assert world.supervisor.get_full_name() in content
    assert content.count('data-kind="') == 2


def test_the_print_section_on_the_case_page(client_for, world, named_case):
    page = client_for("officer").get(f"/cases/{named_case.public_id}/")
    content = page.content.decode()

    assert 'id="print"' in content
    assert print_url("case-file", named_case.public_id) in content
    assert 'data-form="01" data-available="true"' in content
    assert 'data-form="05" data-available="false"' in content
    assert print_url("form", named_case.public_id, "05") not in content


def test_no_print_section_for_those_who_may_not_print(client_for, world):
    page = client_for("hotline").get(f"/cases/{world.case.public_id}/")
    assert page.status_code == 200
    assert b'id="print"' not in page.content
