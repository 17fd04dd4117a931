"""The auditor's search of the trail: the page /audit/ and the API /api/v1/audit/entries/."""

from __future__ import annotations

import datetime
import uuid
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from accounts.services import membership_end
from audit.models import AuditEntry
from audit.services import audit_record
from tests.factories import make_case, make_user

PAGE = "/audit/"
API = "/api/v1/audit/entries/"
ERROR_KEYS = {"status", "code", "message", "fields"}
UTC = datetime.timezone.utc
READ, WRITE, REFUSED = (
    AuditEntry.Action.READ,
    AuditEntry.Action.WRITE,
    AuditEntry.Action.REFUSED,
)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def record_at(when: datetime.datetime, **fields) -> AuditEntry:
    """Append an entry as if at `when`: the trail takes its time from Django's clock."""
    with mock.patch.object(timezone, "now", return_value=when):
        return audit_record(**fields)


def record(username: str = "someone", **fields) -> AuditEntry:
    fields.setdefault("action", READ)
    fields.setdefault("organisation", "")
    return audit_record(actor_username=username, **fields)


def seqs(response) -> list[int]:
    """The entries of a page (its rows) or of an API answer (its results), in order."""
    if response["Content-Type"].startswith("application/json"):
        return [row["seq"] for row in response.json()["results"]]
    return [row.entry.seq for row in response.context["rows"]]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert error["status"] == status
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def auditor_page(client_for):
    client = client_for("auditor")
    return lambda **params: client.get(PAGE, params)


@pytest.fixture
def auditor_api(world):
    client = api_for(world.auditor)
    return lambda **params: client.get(API, params)


@pytest.fixture(params=["page", "api"])
def search(request, auditor_page, auditor_api):
    """Run a search as the auditor, through the page and through the API."""
    return auditor_page if request.param == "page" else auditor_api


# ---------------------------------------------------------------------------------------------
# Who


def test_the_auditor_sees_the_page_and_the_api(world, auditor_page, auditor_api):
    record("officer")
    page = auditor_page()
    assert page.status_code == 200
    assert 'id="audit-entries"' in page.content.decode()
    answer = auditor_api()
    assert answer.status_code == 200
    assert answer.json()["count"] >= 1


@pytest.mark.parametrize(
    "persona", ["officer", "chairman", "supervisor", "hotline", "school", "admin", "nobody"]
)
def test_anyone_else_gets_404_on_the_page_and_the_api(world, client_for, persona):
    record("officer")
    assert client_for(persona).get(PAGE).status_code == 404
    # Bad filters too: an outsider does not learn the filters from a 400.
    assert client_for(persona).get(PAGE, {"since": "never"}).status_code == 404
    assert_error(api_for(world.users[persona]).get(API), 404, "not_found")
    assert_error(api_for(world.users[persona]).get(API, {"since": "never"}), 404)


def test_an_ended_membership_or_an_inactive_organisation_is_no_auditor(world):
    auditor = make_user((world.hotline_org, Role.AUDITOR), username="national_auditor")
    assert api_for(auditor).get(API).status_code == 200
    membership_end(membership=Membership.objects.get(user=auditor))
    assert_error(api_for(auditor).get(API), 404)

    other = make_user((world.hotline_org, Role.AUDITOR), username="national_auditor2")
    assert api_for(other).get(API).status_code == 200
    world.hotline_org.is_active = False
    world.hotline_org.save(update_fields=["is_active"])
    assert_error(api_for(other).get(API), 404)
    client = Client()
    client.force_login(other)
    assert client.get(PAGE).status_code == 404


def test_anonymous_users_go_to_the_login_page_or_get_401(world):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert_error(APIClient().get(API), 401)


# ---------------------------------------------------------------------------------------------
# Filters


def test_user_filter_is_exact_and_ignores_letter_case(world, search):
    mine = [record("officer"), record("Officer")]
    record("officer2")
    record("officer_x")
    response = search(user="OFFICER")
    assert response.status_code == 200
    assert seqs(response) == [e.seq for e in reversed(mine)]
    assert seqs(search(user="offic_r")) == []  # no wildcards
    assert seqs(search(user="offic%")) == []


def test_organisation_filter(world, search):
    here = audit_record(action=READ, actor=world.officer)
    audit_record(action=READ, actor=world.officer2)
    audit_record(action=READ, actor=world.supervisor)
    assert here.organisation_id == str(world.committee.public_id)
    response = search(organisation=str(world.committee.public_id))
    assert seqs(response) == [here.seq]
    response = search(organisation=str(world.health_department.public_id))
    assert world.supervisor.username in {row["user"] for row in _rows(response)}
    assert world.officer.username not in {row["user"] for row in _rows(response)}


def _rows(response) -> list[dict]:
    """Rows as dicts of user and action, from the page or the API."""
    if response["Content-Type"].startswith("application/json"):
        return response.json()["results"]
    return [
        {"user": r.entry.actor_username, "action": r.entry.action} for r in response.context["rows"]
    ]


def test_action_and_outcome_filters(world, search):
    read = record("u1", action=READ)
    write = record("u1", action=WRITE)
    refused = record("u1", action=REFUSED, outcome=AuditEntry.Outcome.DENIED)
    assert seqs(search(user="u1", action="write")) == [write.seq]
    assert seqs(search(user="u1", outcome="denied")) == [refused.seq]
    assert seqs(search(user="u1", outcome="ok")) == [write.seq, read.seq]
    assert seqs(search(user="u1", action="read", outcome="denied")) == []


def test_since_and_until_are_vietnam_days_and_times(world, search):
    # Vietnam is UTC+7: 10 March local runs from 9 March 17:00 UTC to 10 March 16:59:59 UTC.
    times = {
        "before": datetime.datetime(2026, 3, 9, 16, 59, 59, tzinfo=UTC),
        "first": datetime.datetime(2026, 3, 9, 17, 0, 0, tzinfo=UTC),
        "morning": datetime.datetime(2026, 3, 10, 1, 30, 0, tzinfo=UTC),  # 08:30 local
        "last": datetime.datetime(2026, 3, 10, 16, 59, 59, 999999, tzinfo=UTC),
        "after": datetime.datetime(2026, 3, 10, 17, 0, 0, tzinfo=UTC),
    }
    e = {
        name: record_at(at, action=READ, actor_username="clock", organisation="")
        for name, at in times.items()
    }
    day = search(user="clock", since="2026-03-10", until="2026-03-10")
    assert seqs(day) == [e["last"].seq, e["morning"].seq, e["first"].seq]
    assert seqs(search(user="clock", since="2026-03-10 08:30")) == [
        e["after"].seq,
        e["last"].seq,
        e["morning"].seq,
    ]
    assert seqs(search(user="clock", until="2026-03-10T08:29:59")) == [
        e["first"].seq,
        e["before"].seq,
    ]
    # With an offset, the time is taken as given.
    assert seqs(search(user="clock", since="2026-03-10T17:00:00Z")) == [e["after"].seq]


def test_times_are_shown_in_vietnam_time(world, auditor_page, auditor_api):
    record_at(
        datetime.datetime(2026, 3, 10, 1, 30, 5, tzinfo=UTC),
        action=READ,
        actor_username="clock",
        organisation="",
    )
    assert "2026-03-10 08:30:05" in auditor_page(user="clock").content.decode()
    (row,) = auditor_api(user="clock").json()["results"]
    assert row["at"] == "2026-03-10T08:30:05+07:00"


def test_case_filter_by_id_or_number_without_access_to_the_case(world, search):
    case = world.far_case  # another province: the auditor could never open it
    read = audit_record(action=READ, actor=world.far_officer, case=case, object_type="case")
    audit_record(action=READ, actor=world.officer, case=world.case, object_type="case")
    ids = {e.seq for e in AuditEntry.objects.filter(case_id=str(case.public_id))}
    assert read.seq in ids
    by_number = search(case=case.number)
    assert by_number.status_code == 200
    assert set(seqs(by_number)) == ids
    assert set(seqs(search(case=str(case.public_id).upper()))) == ids
    assert set(seqs(search(case=f" {case.public_id.hex} "))) == ids
    unknown = search(case="2099-999999")
    assert unknown.status_code == 200
    assert seqs(unknown) == []
    assert seqs(search(case=str(uuid.uuid4()))) == []


def test_filters_combine(world, search):
    record_at(datetime.datetime(2026, 1, 5, 3, 0, tzinfo=UTC), action=READ, actor=world.officer)
    wanted = record_at(
        datetime.datetime(2026, 1, 6, 3, 0, tzinfo=UTC), action=WRITE, actor=world.officer
    )
    record_at(datetime.datetime(2026, 1, 6, 4, 0, tzinfo=UTC), action=WRITE, actor=world.officer2)
    record_at(datetime.datetime(2026, 1, 6, 5, 0, tzinfo=UTC), action=READ, actor=world.officer)
    response = search(
        user="officer",
        organisation=str(world.committee.public_id),
        action="write",
        outcome="ok",
        since="2026-01-06",
        until="2026-01-06",
    )
    assert seqs(response) == [wanted.seq]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "1999-12-31"}, "since"),
        ({"since": "2026-03-10", "until": "2026-03-09"}, "until"),
        ({"since": "2026-03-10 09:00", "until": "2026-03-10 08:00"}, "until"),
        ({"action": "delete"}, "action"),
        ({"outcome": "maybe"}, "outcome"),
        ({"organisation": "not-an-id"}, "organisation"),
        ({"organisation": str(uuid.UUID(int=7))}, "organisation"),
        ({"case": "x" * 65}, "case"),
        ({"user": "u" * 151}, "user"),
    ],
)
def test_a_bad_filter_is_named(world, auditor_page, auditor_api, params, field):
    record("officer")
    before = AuditEntry.objects.count()
    error = assert_error(auditor_api(**params), 400, "invalid")
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0]
    page = auditor_page(**params)
    assert page.status_code == 400
    assert list(page.context["form"].errors) == [field]
    html = page.content.decode()
    assert f'id="field-{field}"' in html
    assert 'class="errorlist' in html
    assert page.context["rows"] == []
    assert 'data-seq="' not in html
    # A refused search is not a search: nothing was read, nothing recorded.
    assert AuditEntry.objects.count() == before


def test_errors_are_in_the_users_language(world, client_for):
    bad = {"organisation": str(uuid.UUID(int=7)), "since": "1999-01-01"}
    vietnamese = api_for(world.auditor).get(API, bad).json()["error"]["fields"]
    assert vietnamese["organisation"] == ["Không có cơ quan, tổ chức nào mang mã định danh này."]
    assert vietnamese["since"] == ["Hãy nhập ngày trong khoảng năm 2000 đến 2100."]
    english_api = api_for(world.auditor)
    english_api.cookies["django_language"] = "en"
    english = english_api.get(API, bad).json()["error"]["fields"]
    assert english["organisation"] == ["No organisation has this id."]
    assert english["since"] == ["Give a date between 2000 and 2100."]
    page = client_for("auditor")
    assert "mã định danh này" in page.get(PAGE, bad).content.decode()
    page.cookies["django_language"] = "en"
    assert "No organisation has this id." in page.get(PAGE, bad).content.decode()
    # Our own words where Django's and DRF's have no Vietnamese: the same on page and API.
    for params, message in (
        ({"action": "delete"}, "Choose one of the values offered."),
        ({"user": "u" * 151}, "At most 150 characters."),
        ({"since": "soon"}, "Give a date (2026-01-31) or a date and time (2026-01-31 08:30)."),
        (
            {"since": "2026-03-10", "until": "2026-03-09"},
            "The end of the period is before its start.",
        ),
    ):
        ((field, messages),) = english_api.get(API, params).json()["error"]["fields"].items()
        assert messages == [message]
        assert page.get(PAGE, params).context["form"].errors[field] == [message]
    assert api_for(world.auditor).get(API, {"user": "u" * 151}).json()["error"]["fields"] == {
        "user": ["Tối đa 150 ký tự."]
    }


def test_the_end_may_be_the_start(world, search):
    response = search(since="2026-03-10", until="2026-03-10")
    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# Results


def test_newest_first_with_the_empty_state(world, auditor_page, auditor_api):
    entries = [record("ordered") for _ in range(3)]
    assert seqs(auditor_api(user="ordered")) == [e.seq for e in reversed(entries)]
    assert seqs(auditor_page(user="ordered")) == [e.seq for e in reversed(entries)]
    empty = auditor_page(user="no-such-user")
    assert empty.status_code == 200
    assert 'id="no-entries"' in empty.content.decode()
    assert auditor_api(user="no-such-user").json()["results"] == []


def test_pages_of_fifty_that_keep_the_filters(world, auditor_page, auditor_api):
    for _ in range(120):
        record("bulk")
    first = auditor_page(user="bulk")
    assert len(first.context["rows"]) == 50
    html = first.content.decode()
    assert 'data-count="120"' in html
    assert "?user=bulk&amp;page=2" in html
    assert len(auditor_page(user="bulk", page=3).context["rows"]) == 20

    answer = auditor_api(user="bulk").json()
    assert (answer["count"], len(answer["results"])) == (120, 50)
    assert "user=bulk" in answer["next"]
    assert len(auditor_api(user="bulk", page=3).json()["results"]) == 20


def test_a_row_shows_only_what_an_auditor_may_read(world, auditor_page, auditor_api):
    record(
        "detailed",
        action=WRITE,
        object_type="note",
        object_id="n-1",
        case=world.case,
        organisation="UBND Đông Hà",
        detail={
            "via": "page",
            "view": "cases:note-add",
            "operation": "note_add",
            "step": "close",
            "status": 403,
            "method": "POST",
            "sha256": "f00dfeedsecretdigest",
            "text": "Nội dung ghi chú bí mật",
        },
    )
    (row,) = auditor_api(user="detailed").json()["results"]
    assert row["detail"] == {
        "via": "page",
        "view": "cases:note-add",
        "operation": "note_add",
        "step": "close",
        "status": 403,
        "method": "POST",
    }
    assert row["case_number"] == world.case.number
    assert row["case_id"] == str(world.case.public_id)
    assert (row["action"], row["action_label"], row["outcome"]) == ("write", "Ghi", "ok")
    assert (row["object_type"], row["object_id"], row["organisation"]) == (
        "note",
        "n-1",
        "UBND Đông Hà",
    )
    html = auditor_page(user="detailed").content.decode()
    for shown in (world.case.number, str(world.case.public_id), "cases:note-add", "note_add"):
        assert shown in html
    for hidden in ("f00dfeedsecretdigest", "Nội dung ghi chú bí mật", world.case.child_name):
        assert hidden not in html
        assert hidden not in auditor_api(user="detailed").content.decode()


def test_the_auditor_sees_no_case_content(world, client_for, auditor_page, auditor_api):
    name = "Vương Thị Ngọc Xuyến Đặc Biệt"
    case = make_case(world.commune, name)
    officer = client_for("officer")
    assert officer.get(reverse("cases:detail", args=[case.public_id])).status_code == 200
    assert name in officer.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    reads = AuditEntry.objects.filter(
        case_id=str(case.public_id), actor_username="officer", action=READ
    )
    assert reads.count() >= 2  # the officer's two visits

    page = auditor_page(case=case.number)
    html = page.content.decode()
    assert page.status_code == 200
    assert name not in html
    assert case.number in html
    assert set(reads.values_list("seq", flat=True)) <= set(seqs(page))
    for seq in reads.values_list("seq", flat=True):
        assert f'data-seq="{seq}"' in html

    answer = auditor_api(case=case.number)
    assert name not in answer.content.decode()
    results = answer.json()["results"]
    assert set(reads.values_list("seq", flat=True)) <= {row["seq"] for row in results}
    assert {row["case_number"] for row in results} == {case.number}
    assert {row["user"] for row in results if row["action"] == "read"} == {"officer"}


# ---------------------------------------------------------------------------------------------
# The search is recorded, never cached, and costs a fixed number of queries


def test_each_search_is_recorded_with_its_filters(world, auditor_page, auditor_api):
    since = "2026-03-10"
    auditor_page(user="Officer", action="read", since=since, case=world.case.number)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username, entry.object_type, entry.outcome) == (
        "read",
        "auditor",
        "audit_trail",
        "ok",
    )
    assert entry.organisation_id == str(world.health_department.public_id)
    assert entry.detail["filters"] == {
        "case": str(world.case.public_id),
        "user": "officer",
        "action": "read",
        "since": "2026-03-10T00:00:00+07:00",
    }
    assert entry.detail["via"] == "page"

    auditor_api(organisation=str(world.committee.public_id), until="2026-03-10")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.actor_username, entry.object_type) == ("auditor", "audit_trail")
    assert entry.detail["filters"] == {
        "organisation": str(world.committee.public_id),
        "until": "2026-03-10T23:59:59.999999+07:00",
    }
    assert entry.detail["via"] == "api"

    # What matched nothing is not kept as typed (it may be a child's name).
    auditor_page(case="Nguyễn Văn An 0912345678", user="Trần Thị B")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.detail["filters"] == {"case": "(no match)", "user": "(no match)"}
    assert "Nguyễn" not in str(entry.detail)
    assert "Trần" not in str(entry.detail)

    # Each search once: a page of results is one entry, whatever it shows.
    count = AuditEntry.objects.count()
    auditor_page()
    auditor_api()
    assert AuditEntry.objects.count() == count + 2
    searches = AuditEntry.objects.filter(object_type="audit_trail", actor_username="auditor")
    assert searches.count() == 5


def test_answers_are_never_cached(world, auditor_page, auditor_api):
    for response in (
        auditor_page(),
        auditor_api(),
        auditor_page(since="x"),
        auditor_api(since="x"),
    ):
        assert "no-store" in response["Cache-Control"]


# Session, user, roles, count, rows, case numbers, the search's entry (about five), the
# header's roles, the organisations of the select: the same for one row or fifty.
QUERY_BOUND = 15


def test_the_page_costs_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    client = client_for("auditor")
    record("few", case=world.case)
    with django_assert_max_num_queries(QUERY_BOUND):
        assert len(client.get(PAGE, {"user": "few"}).context["rows"]) == 1
    cases = [world.case, world.other_case, world.far_case]
    for index in range(60):
        record("many", case=cases[index % 3], object_id=str(index))
    for _ in range(10):
        record("many", case_id=str(uuid.uuid4()))
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(PAGE, {"user": "many"})
    assert len(response.context["rows"]) == 50
    html = response.content.decode()
    for case in cases:
        assert case.number in html
    with django_assert_max_num_queries(QUERY_BOUND):
        assert len(api_for(world.auditor).get(API, {"user": "many"}).json()["results"]) == 50
