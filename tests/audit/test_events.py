"""
Each kind of event leaves its entry with the right fields (issue #7): reads of case content
(page, API, list rows, PDF, document download, the recipient's summary), writes, workflow
steps, refused access; nothing for a write that rolled back; one chain under concurrent requests.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEntry
from audit.selectors import AuditSearch, CaseFilter, audit_entries_search
from audit.verify import audit_verify
from cases import services
from cases.models import Case, CaseNote
from cases.selectors import case_readers
from referrals import services as referral_services
from tests.cases.test_workflow_pages import RATINGS
from tests.printing.conftest import PURPOSE, print_url

PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("seq"))


def only(**filters) -> AuditEntry:
    found = entries(**filters)
    assert len(found) == 1, [(e.action, e.object_type, e.detail) for e in found]
    return found[0]


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ---------------------------------------------------------------------------------------------
# Reads


def test_opening_the_case_page_is_one_read_with_who_for_whom_what_when_where(world, client_for):
    before = datetime.datetime.now(datetime.UTC)
    response = client_for("officer").get(reverse("cases:detail", args=[world.case.public_id]))
    assert response.status_code == 200
    entry = only(action="read", actor_id=world.officer.pk, object_type="case")
    assert entry.actor_username == "officer"
    assert (entry.organisation, entry.organisation_id) == (
        "UBND Đông Hà",
        str(world.committee.public_id),
    )
    assert entry.case_id == entry.object_id == str(world.case.public_id)
    assert entry.outcome == "ok"
    assert entry.ip == "127.0.0.1"
    assert entry.at.utcoffset() == datetime.timedelta(0)
    assert before <= entry.at <= datetime.datetime.now(datetime.UTC)
    assert entry.detail == {"via": "page", "view": "cases:detail"}
    # No content of the case in the trail: not the child's name, not the case number.
    assert "Nguyễn Văn An" not in str(entry.detail)


def test_the_api_detail_is_a_read_through_the_api(world):
    response = api_for(world.hotline).get(reverse("api-case-detail", args=[world.case.public_id]))
    assert response.status_code == 200
    entry = only(action="read", actor_id=world.hotline.pk)
    assert entry.case_id == str(world.case.public_id)
    assert entry.organisation == "Tổng đài 111"
    assert entry.detail == {"via": "api", "view": "api-case-detail"}


def test_a_list_is_one_read_naming_every_row_it_returned(world, client_for):
    response = client_for("supervisor").get(reverse("cases:list"))
    assert response.status_code == 200
    rows = entries(action="read", actor_id=world.supervisor.pk)
    assert len(rows) == 1  # one append per list, whatever its length
    (entry,) = rows
    assert entry.object_type == "case_list"
    assert set(entry.detail["rows"]) == {str(world.case.public_id), str(world.other_case.public_id)}
    assert entry.detail["row"] is True
    assert entry.detail["view"] == "cases:list"
    assert entry.organisation == "Sở Y tế"
    # "Who has read this case" and the auditor's search find the one entry under each case.
    for case in (world.case, world.other_case):
        readers, reads = case_readers(case=case)
        assert [r.username for r in readers] == ["supervisor"]
        assert list(reads) == [entry]
        found = audit_entries_search(
            AuditSearch(case=CaseFilter(asked="", case_id=str(case.public_id)))
        )
        assert entry in found
    readers, _reads = case_readers(case=world.far_case)
    assert readers == []

    api = api_for(world.officer2).get(reverse("api-case-list"))
    assert api.status_code == 200
    # A list of one row is an ordinary read of that case.
    assert [e.case_id for e in entries(action="read", actor_id=world.officer2.pk)] == [
        str(world.other_case.public_id)
    ]


def test_an_empty_list_records_nothing(world, client_for):
    client_for("nobody").get(reverse("cases:list"))
    assert not entries(action="read", actor_id=world.nobody.pk)


def test_the_home_page_records_the_cases_it_shows(world, client_for):
    client_for("officer").get(reverse("home"))
    assert str(world.case.public_id) in {
        e.case_id for e in entries(action="read", actor_id=world.officer.pk)
    }


def test_a_pdf_print_is_recorded_with_the_print_in_one_transaction(world, client_for):
    client = client_for("supervisor")
    response = client.post(print_url("case-file", world.case.public_id), {"purpose": PURPOSE})
    assert response.status_code == 200
    entry = only(action="print", actor_id=world.supervisor.pk)
    assert entry.case_id == str(world.case.public_id)
    assert entry.object_type == "print_record"
    assert entry.detail["kind"] == "case_file"
    assert entry.detail["pages"] >= 1
    assert PURPOSE not in str(entry.detail)  # the free-text purpose stays in the register


def test_a_document_download_is_recorded_on_the_page_and_the_api(world, client_for, media):
    document = services.case_document_add(
        actor=world.officer,
        case=world.case,
        upload=SimpleUploadedFile("Biên bản.pdf", PDF, content_type="application/pdf"),
        kind="minutes",
    )
    page = client_for("officer").get(
        reverse("cases:document-download", args=[world.case.public_id, document.public_id])
    )
    assert page.status_code == 200
    api = api_for(world.chairman).get(
        reverse("api-case-document-download", args=[world.case.public_id, document.public_id])
    )
    assert api.status_code == 200
    downloads = entries(action="download")
    assert [(e.actor_username, e.detail["via"]) for e in downloads] == [
        ("officer", "page"),
        ("chairman", "api"),
    ]
    assert {e.object_id for e in downloads} == {str(document.public_id)}
    assert downloads[0].detail["sha256"] == document.sha256


def test_the_recipients_summary_is_a_read_under_the_case(world, client_for):
    referral = referral_services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=world.school_org,
        purpose="s_education",
        message="Đề nghị phối hợp",
    )
    response = client_for("school").get(reverse("referrals:detail", args=[referral.public_id]))
    assert response.status_code == 200
    entry = only(action="read", actor_id=world.school.pk, object_type="referral")
    assert entry.case_id == str(world.case.public_id)
    assert entry.object_id == str(referral.public_id)
    assert entry.organisation == "Trường Tiểu học"
    # The inbox lists it: one row read.
    client_for("school").get(reverse("referrals:inbox"))
    rows = entries(action="read", actor_id=world.school.pk, detail__row=True)
    assert [e.object_id for e in rows] == [str(referral.public_id)]


# ---------------------------------------------------------------------------------------------
# Writes and workflow steps


def test_a_write_is_recorded_with_its_operation_and_object_but_not_its_text(world, client_for):
    response = client_for("officer").post(
        reverse("cases:note-add", args=[world.case.public_id]), {"text": "Ghi chú mật"}
    )
    assert response.status_code == 302
    note = CaseNote.objects.get()
    entry = only(action="write", actor_id=world.officer.pk)
    assert entry.detail["operation"] == "case_note_add"
    assert (entry.object_type, entry.object_id) == ("casenote", str(note.public_id))
    assert entry.case_id == str(world.case.public_id)
    assert "Ghi chú mật" not in str(entry.detail)


def test_a_workflow_step_is_one_transition_entry(world, client_for):
    url = reverse("cases:step", args=[world.case.public_id, "assess_initial"])
    response = client_for("officer").post(url, {**RATINGS, "emergency_required": "no"})
    assert response.status_code == 302
    entry = only(action="transition")
    assert entry.actor_username == "officer"
    assert entry.detail["step"] == "assess_initial"
    assert (entry.detail["from"], entry.detail["to"]) == ("received", "initial_assessed")
    assert entry.case_id == str(world.case.public_id)


def test_a_write_that_fails_validation_leaves_no_write_entry(world, client_for):
    response = client_for("officer").post(
        reverse("cases:note-add", args=[world.case.public_id]), {"text": "   "}
    )
    assert response.status_code == 400
    assert not entries(action="write", actor_id=world.officer.pk)


def test_a_write_rolled_back_by_its_caller_leaves_neither_the_write_nor_its_entry(world):
    count = AuditEntry.objects.count()

    def write_then_fail() -> None:
        with transaction.atomic():
            services.case_note_add(actor=world.officer, case=world.case, text="Sẽ bị huỷ")
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not CaseNote.objects.exists()
    assert AuditEntry.objects.count() == count
    assert audit_verify().ok


def test_a_step_the_role_may_not_take_is_refused_and_recorded(world):
    response = api_for(world.officer).post(
        reverse("api-case-transitions", args=[world.case.public_id]),
        {"step": "close", "reason": "Đóng"},
        format="json",
    )
    assert response.status_code == 403
    assert not entries(action="transition")
    entry = only(action="refused", actor_id=world.officer.pk)
    assert entry.outcome == "denied"
    assert entry.detail["status"] == 403
    assert entry.case_id == str(world.case.public_id)


# ---------------------------------------------------------------------------------------------
# Refused access


@pytest.mark.parametrize("persona", ["far_officer", "school", "auditor", "nobody"])
def test_a_case_the_user_may_not_see_is_a_refused_entry_under_that_case(world, client_for, persona):
    response = client_for(persona).get(reverse("cases:detail", args=[world.case.public_id]))
    assert response.status_code == 404
    entry = only(action="refused")
    assert entry.actor_username == persona
    assert (entry.outcome, entry.case_id) == ("denied", str(world.case.public_id))
    assert entry.detail["status"] == 404
    assert not entries(action="read", actor_username=persona)


def test_a_refused_api_lookup_is_recorded_and_an_unknown_address_is_not(world, client_for):
    missing = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert api_for(world.far_officer).get(f"/api/v1/cases/{missing}/").status_code == 404
    entry = only(action="refused")
    assert entry.case_id == missing
    assert client_for("officer").get("/no/such/page/").status_code == 404
    assert AuditEntry.objects.filter(action="refused").count() == 1


def test_an_anonymous_api_call_is_refused_and_recorded(world):
    response = APIClient().get(reverse("api-case-detail", args=[world.case.public_id]))
    assert response.status_code in (401, 403)
    entry = only(action="refused")
    assert entry.actor_id is None
    assert entry.detail["status"] == response.status_code


def test_a_page_the_role_does_not_use_is_a_refused_entry(world, client_for):
    assert client_for("officer").get(reverse("referrals:inbox")).status_code == 404
    entry = only(action="refused")
    assert entry.object_type == "inbox"
    assert entry.case_id == ""


# ---------------------------------------------------------------------------------------------
# The chain under concurrent requests (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_concurrent_case_requests_keep_one_chain(world):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection; CI runs PostgreSQL")
    barrier = threading.Barrier(4)
    url = reverse("cases:detail", args=[world.case.public_id])
    statuses: list[int] = []

    def work(name: str) -> None:
        client = Client()
        client.force_login(world.users[name])
        barrier.wait()
        try:
            for _ in range(5):
                statuses.append(client.get(url).status_code)
        finally:
            connection.close()

    names = ["officer", "chairman", "supervisor", "far_officer"]
    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 15 + [404] * 5
    assert AuditEntry.objects.filter(action="read", object_type="case").count() == 15
    assert AuditEntry.objects.filter(action="refused").count() == 5
    report = audit_verify()
    assert report.ok, report.problem


# ---------------------------------------------------------------------------------------------
# Lawful basis


def test_each_case_records_its_lawful_basis_and_consent_needs_a_consent(world, client_for):
    assert world.case.lawful_basis == Case._meta.get_field("lawful_basis").default
    with pytest.raises(ValidationError, match="lawful_basis") as refused:
        services.case_update_record(
            actor=world.officer,
            case=world.case,
            expected_version=world.case.version,
            changes={"lawful_basis": "consent"},
        )
    assert "lawful_basis" in refused.value.message_dict
    services.consent_record(
        actor=world.officer,
        case=world.case,
        recipient_kinds=["ngo"],
        child_consented=True,
        representative_name="Nguyễn Thị Mẹ",
        representative_relation="Mẹ",
        representative_consented=True,
        method="written",
        given_at=world.case.received_at,
    )
    case = Case.objects.get(pk=world.case.pk)
    updated = services.case_update_record(
        actor=world.officer,
        case=case,
        expected_version=case.version,
        changes={"lawful_basis": "consent", "lawful_basis_note": "Biên bản đồng ý số 3"},
    )
    assert updated.lawful_basis == "consent"
    page = client_for("officer").get(reverse("cases:detail", args=[case.public_id]))
    assert "Biên bản đồng ý số 3" in page.content.decode()
    api = api_for(world.officer).get(reverse("api-case-detail", args=[case.public_id]))
    assert api.json()["lawful_basis"] == "consent"


def test_an_unknown_lawful_basis_is_refused_naming_the_field(world):
    response = api_for(world.officer).patch(
        reverse("api-case-detail", args=[world.case.public_id]),
        {"lawful_basis": "because"},
        format="json",
        HTTP_IF_MATCH=f'"{world.case.version}"',
    )
    assert response.status_code == 400
    assert "lawful_basis" in response.json()["error"]["fields"]


# ---------------------------------------------------------------------------------------------
# Who has read this case


def test_the_officer_sees_who_has_read_the_case(world, client_for):
    client_for("hotline").get(reverse("cases:detail", args=[world.case.public_id]))
    # Refused, not a reader:
    client_for("far_officer").get(reverse("cases:detail", args=[world.case.public_id]))
    client_for("supervisor").get(reverse("cases:list"))
    officer = client_for("officer")
    page = officer.get(reverse("cases:detail", args=[world.case.public_id]))
    readers_url = reverse("cases:readers", args=[world.case.public_id])
    assert readers_url in page.content.decode()
    response = officer.get(readers_url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    for who in ("hotline", "supervisor", "Tổng đài 111", "Sở Y tế"):
        assert who in html
    assert "far_officer" not in html


@pytest.mark.parametrize("persona", ["hotline", "school", "far_officer", "auditor"])
def test_only_those_holding_the_case_by_jurisdiction_see_its_readers(world, client_for, persona):
    services.case_share_grant(
        case=world.case,
        permissions=["view_case_summary"],
        reason="Chuyển gửi",
        user=world.school,
    )
    response = client_for(persona).get(reverse("cases:readers", args=[world.case.public_id]))
    assert response.status_code == 404
    case_page = client_for(persona).get(reverse("cases:detail", args=[world.case.public_id]))
    assert reverse("cases:readers", args=[world.case.public_id]) not in case_page.content.decode()


def test_an_administrators_change_is_a_write_without_the_persons_name(world, client_for):
    response = client_for("admin").post(
        reverse("admin:accounts_membership_add"),
        {
            "user": world.nobody.pk,
            "organisation": world.committee.pk,
            "role": "cp_officer",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = only(action="write", actor_id=world.admin.pk)
    assert entry.detail == {
        "operation": "admin_add",
        "via": "page",
        "view": "admin:accounts_membership_add",
    }
    assert entry.object_type == "membership"
    assert entry.object_id == str(world.nobody.memberships.get().pk)
    assert "UBND" not in str(entry.detail)
    assert world.nobody.username not in str(entry.detail)


# ---------------------------------------------------------------------------------------------
# Reads that a later check refuses; refusals that are not the answer


def test_a_lookup_a_later_check_refuses_is_no_read(world, client_for):
    services.case_share_grant(
        case=world.case, permissions=["view_case_summary"], reason="Chuyển gửi", user=world.school
    )
    notes = api_for(world.school).get(reverse("api-case-notes", args=[world.case.public_id]))
    assert notes.status_code == 404
    read = only(action="read", actor_id=world.school.pk)
    refusal = only(action="refused", actor_id=world.school.pk)
    assert refusal.detail["voids"] == [read.seq]
    assert refusal.case_id == str(world.case.public_id)
    page = client_for("officer").get(reverse("cases:readers", args=[world.case.public_id]))
    assert ">school<" not in page.content.decode()
    # The summary itself is a read, and the readers page shows it.
    assert client_for("school").get(reverse("cases:detail", args=[world.case.public_id]))
    page = client_for("officer").get(reverse("cases:readers", args=[world.case.public_id]))
    assert ">school<" in page.content.decode()


def test_a_refusal_inside_a_request_that_succeeds_is_not_recorded(world):
    # After a transfer the answer re-reads the case, which the officer no longer holds.
    response = api_for(world.officer).post(
        reverse("api-case-transitions", args=[world.case.public_id]),
        {"step": "transfer", "commune": world.other_commune.code, "reason": "Trẻ chuyển nhà"},
        format="json",
    )
    assert response.status_code == 201
    assert not entries(action="refused")
    assert only(action="transition").detail["step"] == "transfer"


# ---------------------------------------------------------------------------------------------
# The intake of a case: calls and collaborators' reports


def test_reading_a_call_and_listing_calls_are_reads_filed_under_the_case(world, client_for):
    from hotline import services as hotline_services

    call = hotline_services.call_log(
        actor=world.hotline, call_type="report", incident_commune=world.commune, urgency="normal"
    )
    hotline_services.intake_link_case(actor=world.hotline, item=call, case=world.case)
    client = client_for("hotline")
    assert client.get(reverse("hotline:call-detail", args=[call.public_id])).status_code == 200
    read = only(action="read", actor_id=world.hotline.pk, object_type="call")
    assert (read.object_id, read.case_id) == (str(call.public_id), str(world.case.public_id))
    assert "row" not in read.detail
    assert client.get(reverse("hotline:calls")).status_code == 200
    rows = entries(action="read", actor_id=world.hotline.pk, object_type="call", detail__row=True)
    assert [e.object_id for e in rows] == [str(call.public_id)]
    api = api_for(world.hotline).get(reverse("api-call-list"))
    assert api.status_code == 200
    assert (
        AuditEntry.objects.filter(object_type="call", detail__row=True, detail__via="api").count()
        == 1
    )


# ---------------------------------------------------------------------------------------------
# Administrators, logins, addresses


def test_a_bulk_delete_in_the_admin_records_each_object(world, client_for):
    from accounts.models import Membership, Role
    from accounts.services import membership_grant

    for organisation in (world.committee, world.other_committee):
        membership_grant(user=world.nobody, organisation=organisation, role=Role.CP_OFFICER)
    chosen = list(Membership.objects.filter(user=world.nobody).values_list("pk", flat=True))
    response = client_for("admin").post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(user=world.nobody).exists()
    deleted = entries(action="write", actor_id=world.admin.pk, object_type="membership")
    assert sorted(int(e.object_id) for e in deleted) == sorted(chosen)
    assert {e.detail["operation"] for e in deleted} == {"admin_delete"}


def test_a_failed_login_keeps_only_a_username_that_exists(world):
    client = Client()
    client.post(reverse("login"), {"username": "0912345678", "password": "x"})
    entry = only(action="login_failed")
    assert entry.actor_username == ""
    assert entry.detail == {"unknown_user": True, "via": "page", "view": "login"}


def test_an_address_in_any_spelling_verifies(world, client_for):
    client = client_for("officer")
    client.get(reverse("cases:detail", args=[world.case.public_id]), REMOTE_ADDR="2001:DB8:0:0::1")
    assert only(action="read", actor_id=world.officer.pk).ip == "2001:db8::1"
    report = audit_verify()
    assert report.ok, report.problem


def test_postgresql_refuses_truncate(world):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger exists on PostgreSQL, which CI runs")
    from django.db import DatabaseError

    def truncate() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.allow_truncate = off")
            cursor.execute("TRUNCATE audit_auditentry")

    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        truncate()
    assert AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_withdrawing_consent_while_the_ngo_answers_neither_deadlocks_nor_fails(world, monkeypatch):
    """
    The NGO's acknowledgement locks its referral and, at its end, appends its entry; the
    withdrawal revokes the referrals one by one, appending entries as it goes. If an entry were
    appended mid-transaction (taking the chain's lock) the two would wait on each other and
    PostgreSQL would abort one (a deadlock, seen before this fix). The interleaving is forced:
    the acknowledgement pauses while it holds its referral, and the withdrawal starts then.
    """
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection; CI runs PostgreSQL")
    import time

    from accounts.models import Role
    from referrals.models import Referral
    from tests.factories import OrganisationFactory, make_user

    ngo = OrganisationFactory(kind="ngo", area=world.commune, name="Hội Bảo vệ quyền trẻ em")
    ngo_staff = make_user((ngo, Role.SECTOR_STAFF), username="ngo")
    world.case.child.estimated_age = 9
    world.case.child.save()
    consent = services.consent_record(
        actor=world.officer,
        case=world.case,
        recipient_kinds=["ngo"],
        representative_name="Nguyễn Thị Hoa",
        representative_relation="Mẹ",
        representative_consented=True,
        child_consented=True,
        method="written",
    )
    for purpose in ("s_education", "s_skills"):
        referral_services.referral_send(
            actor=world.officer,
            case=world.case,
            organisation=ngo,
            purpose=purpose,
            message="Đề nghị hỗ trợ",
            consent=consent,
        )
    # The referral the withdrawal reaches second is the one the NGO acknowledges.
    second = list(Referral.objects.filter(consent=consent, status__in=Referral.OPEN))[1]
    history = referral_services._history

    def paused_history(*args, **kwargs):
        if threading.current_thread().name == "ngo":
            time.sleep(0.6)  # holding the referral's row lock
        return history(*args, **kwargs)

    monkeypatch.setattr(referral_services, "_history", paused_history)
    failures: list[BaseException] = []

    def withdraw() -> None:
        time.sleep(0.2)  # the NGO has locked its referral by now
        try:
            services.consent_withdraw(actor=world.officer, consent=consent, note="Rút lại")
        except BaseException as error:  # noqa: BLE001 (collected for the assertion)
            failures.append(error)
        finally:
            connection.close()

    def acknowledge() -> None:
        try:
            referral_services.referral_acknowledge(actor=ngo_staff, referral=second)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=withdraw, name="officer"),
        threading.Thread(target=acknowledge, name="ngo"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert set(Referral.objects.filter(consent=consent).values_list("status", flat=True)) == {
        Referral.Status.REVOKED
    }
    report = audit_verify()
    assert report.ok, report.problem
    assert (
        AuditEntry.objects.filter(detail__operation="referral_revoked_consent_withdrawn").count()
        == 2
    )
