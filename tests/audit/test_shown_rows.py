"""
Lists record their rows through the queryset that produces them (audit.rows, issue #12): what a
page fetches and shows is in the trail, once per request and kind; what it only counts, or the
one row a paginator reads ahead, is not; and a list selector cannot hand out unmarked rows.
"""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEntry
from audit.rows import ShownRowsQuerySet
from cases.models import Case
from cases.selectors import (
    case_rows_for,
    cases_of_incident_for,
    deadlines_due_for,
    plans_awaiting_approval_for,
)
from cases.views import CASES_PER_PAGE
from config.pagination import KeysetPagination
from hotline.selectors import (
    call_inbox_for,
    calls_visible_to,
    report_inbox_for,
    reports_visible_to,
)
from referrals.selectors import referral_inbox_for, referrals_visible_to
from tests.cases.test_keyset import _bulk

ROOT = pathlib.Path(__file__).resolve().parents[2]


def reads_by(user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="read", actor_id=user.pk).order_by("seq"))


def named(entry: AuditEntry) -> set[str]:
    return set(entry.detail.get("rows") or [entry.case_id])


@pytest.fixture
def many(world) -> list[Case]:
    """
    More cases in the officer's commune than a page or the API shows, as the list orders them
    (newest first).
    """
    _bulk(world, KeysetPagination.page_size + 5)
    return list(Case.objects.filter(commune=world.commune).order_by("-received_at", "-id"))


def test_a_page_records_the_rows_it_shows_and_not_the_one_it_reads_ahead(world, client_for, many):
    response = client_for("officer").get(reverse("cases:list"))
    assert response.status_code == 200
    (entry,) = reads_by(world.officer)
    shown = {str(case.public_id) for case in many[:CASES_PER_PAGE]}
    assert named(entry) == shown
    # The 26th row told the page an older page exists; it was not shown.
    assert str(many[CASES_PER_PAGE].public_id) not in named(entry)
    assert response.context["page"].next_cursor


def test_the_api_list_records_its_page_once(world, many):
    api = APIClient()
    api.force_authenticate(world.officer)
    response = api.get(reverse("api-case-list"))
    assert response.status_code == 200
    (entry,) = reads_by(world.officer)
    assert named(entry) == {row["id"] for row in response.json()["results"]}
    assert named(entry) == {str(c.public_id) for c in many[: KeysetPagination.page_size]}


def test_a_page_of_several_lists_is_one_entry_per_kind(world, client_for):
    # The officer's home lists the commune's cases and the clocks running on them.
    client_for("officer").get(reverse("home"))
    case_entries = [e for e in reads_by(world.officer) if e.object_type.startswith("case")]
    assert len(case_entries) == 1
    assert str(world.case.public_id) in named(case_entries[0])


def test_counting_and_reading_ids_record_nothing(world):
    rows = case_rows_for(user=world.officer)
    assert rows.count() == 1
    assert rows.exists()
    assert list(rows.values_list("public_id", flat=True)) == [world.case.public_id]
    assert list(rows.unshown()) == [world.case]
    assert reads_by(world.officer) == []
    assert list(rows) == [world.case]  # outside a request, appended at once
    assert [e.case_id for e in reads_by(world.officer)] == [str(world.case.public_id)]


def test_a_refused_request_records_no_rows(world, client_for):
    client = client_for("officer")
    response = client.get(reverse("cases:detail", args=[world.far_case.public_id]))
    assert response.status_code == 404
    assert reads_by(world.officer) == []


def test_a_lookup_records_one_read_not_a_row(world, client_for):
    client_for("officer").get(reverse("cases:detail", args=[world.case.public_id]))
    (entry,) = reads_by(world.officer)
    assert entry.object_type == "case"
    assert "row" not in entry.detail


LIST_SELECTORS = [
    ("officer", lambda u: case_rows_for(user=u)),
    ("officer", lambda u: cases_of_incident_for(user=u, case=Case(incident_id=1, pk=0))),
    ("officer", lambda u: deadlines_due_for(user=u)),
    ("chairman", lambda u: plans_awaiting_approval_for(user=u)),
    ("hotline", lambda u: calls_visible_to(user=u)),
    ("hotline", lambda u: call_inbox_for(user=u)),
    ("officer", lambda u: reports_visible_to(user=u)),
    ("officer", lambda u: report_inbox_for(user=u)),
    ("officer", lambda u: referrals_visible_to(user=u)),
    ("school", lambda u: referral_inbox_for(user=u)),
]


@pytest.mark.parametrize(("persona", "selector"), LIST_SELECTORS)
def test_every_list_selector_hands_out_rows_that_record_themselves(world, persona, selector):
    rows = selector(world.users[persona])
    assert isinstance(rows, ShownRowsQuerySet)
    if not rows.query.is_empty():
        assert rows._shown is not None
        assert rows._shown[0] == world.users[persona]


def test_no_page_or_endpoint_records_rows_by_hand():
    """The views and endpoints leave row reads to the selectors' querysets."""
    by_hand = {"record_shown", "audit_rows_read", "rows_event"}
    for path in [*ROOT.glob("*/views.py"), *ROOT.glob("*/api.py"), *ROOT.glob("*/home.py")]:
        tree = ast.parse(path.read_text())
        called = {
            node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
        }
        assert not called & by_hand, path
