"""Keyset pages and capped counts (config.keyset): every page of a list, once, in order."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cases.models import Case
from config.keyset import COUNT_CAP, InvalidCursor, capped_count, first_rows_counted, keyset_page
from tests.cases.test_case_api import api_for
from tests.factories import make_case

FIXED = datetime.datetime(2026, 6, 1, 3, 0, tzinfo=datetime.UTC)


def _bulk(world, count: int, *, same_moment: bool = False) -> list[Case]:
    """Cases made directly (the services are not what is measured here), in `world.commune`."""
    return Case.objects.bulk_create(
        Case(
            number=f"K-{index:06d}",
            child=world.case.child,
            commune=world.commune,
            province=world.province,
            received_at=FIXED if same_moment else FIXED - datetime.timedelta(minutes=index),
        )
        for index in range(count)
    )


def _walk(queryset, size: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, cursor=cursor, size=size)
        pages.append([case.pk for case in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_walking_the_pages_returns_every_row_once_newest_first(world):
    _bulk(world, 23)
    queryset = Case.objects.filter(commune=world.commune)
    expected = list(queryset.order_by("-received_at", "-id").values_list("pk", flat=True))
    pages = _walk(queryset, 5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 4]
    assert [pk for page in pages for pk in page] == expected


def test_rows_received_at_the_same_moment_are_told_apart_by_id(world):
    _bulk(world, 7, same_moment=True)
    queryset = Case.objects.filter(received_at=FIXED)
    pages = _walk(queryset, 3)
    flat = [pk for page in pages for pk in page]
    assert flat == sorted(flat, reverse=True)
    assert len(flat) == len(set(flat)) == 7


def test_the_previous_link_leads_back_to_the_page_before(world):
    _bulk(world, 12)
    queryset = Case.objects.filter(commune=world.commune)
    first = keyset_page(queryset, cursor=None, size=4)
    second = keyset_page(queryset, cursor=first.next_cursor, size=4)
    third = keyset_page(queryset, cursor=second.next_cursor, size=4)
    assert first.previous_cursor is None
    back = keyset_page(queryset, cursor=third.previous_cursor, size=4)
    assert [c.pk for c in back.rows] == [c.pk for c in second.rows]
    assert back.next_cursor == second.next_cursor
    first_again = keyset_page(queryset, cursor=back.previous_cursor, size=4)
    assert [c.pk for c in first_again.rows] == [c.pk for c in first.rows]
    assert first_again.previous_cursor is None  # nothing newer than the newest


@pytest.mark.parametrize(
    "cursor",
    ["x", "bm90IGpzb24", "WyJ6IiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsMV0", "WyJuIiwxLDJd"],
)
def test_a_cursor_no_page_gave_out_is_refused(world, cursor):
    with pytest.raises(InvalidCursor):
        keyset_page(Case.objects.all(), cursor=cursor, size=5)


def test_counts_stop_at_the_cap_and_say_so(world):
    _bulk(world, COUNT_CAP + 1)
    everything = Case.objects.filter(commune=world.commune)
    count = capped_count(everything)
    assert (count.value, count.capped) == (COUNT_CAP, True)
    assert str(count) == f"{COUNT_CAP}+"
    few = capped_count(Case.objects.filter(commune=world.other_commune))
    assert (few.value, few.capped) == (1, False)
    assert str(few) == "1"


def test_the_api_walks_its_cursor_and_counts_honestly(world):
    for index in range(55):
        make_case(world.commune, f"Trẻ {index}")
    client = api_for(world.officer)
    first = client.get("/api/v1/cases/").json()
    assert (first["count"], first["count_capped"]) == (56, False)
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 50
    assert len(second["results"]) == 6
    assert second["next"] is None
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(ids)) == 56
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_the_api_refuses_a_mangled_cursor_naming_the_field_in_vietnamese(world):
    response = api_for(world.officer).get("/api/v1/cases/?cursor=abc")
    assert response.status_code == 400
    body = response.json()
    assert "cursor" in str(body)
    assert "Liên kết trang này không hợp lệ" in str(body)


def test_more_than_a_thousand_cases_are_shown_as_more_than_a_thousand(world, client_for):
    _bulk(world, COUNT_CAP + 1)
    body = api_for(world.officer).get("/api/v1/cases/").json()
    assert (body["count"], body["count_capped"]) == (COUNT_CAP, True)
    page = client_for("officer").get(reverse("cases:list")).content.decode()
    assert '<span class="count">hơn 1.000</span>' in page


def test_the_home_page_counts_with_the_same_cap(world, client_for):
    _bulk(world, 3)
    page = client_for("officer").get(reverse("home")).content.decode()
    assert '<span class="count">4</span>' in page


def test_a_page_that_is_the_whole_list_counts_its_own_rows(world, django_assert_num_queries):
    _bulk(world, 4)
    queryset = Case.objects.filter(commune=world.commune)
    page = keyset_page(queryset, cursor=None, size=10)
    with django_assert_num_queries(0):
        count = page.count(queryset)
    assert (count.value, count.capped) == (queryset.count(), False) == (5, False)


def test_a_page_of_a_longer_list_asks_the_capped_count(world, django_assert_num_queries):
    _bulk(world, 12)
    queryset = Case.objects.filter(commune=world.commune)
    first = keyset_page(queryset, cursor=None, size=5)
    last = keyset_page(
        queryset, cursor=keyset_page(queryset, cursor=first.next_cursor, size=5).next_cursor, size=5
    )
    assert last.next_cursor is None
    assert len(last.rows) == 3
    for page in (first, last):
        with django_assert_num_queries(1):
            count = page.count(queryset)
        assert (count.value, count.capped) == (13, False)


def test_first_rows_count_only_when_there_are_more(world, django_assert_num_queries):
    _bulk(world, 6)
    queryset = Case.objects.filter(commune=world.commune).order_by("-received_at", "-id")
    with django_assert_num_queries(1):
        rows, count = first_rows_counted(queryset, 10)
    assert len(rows) == count.value == 7
    assert not count.capped
    with django_assert_num_queries(2):
        rows, count = first_rows_counted(queryset, 3)
    assert [case.pk for case in rows] == list(queryset.values_list("pk", flat=True)[:3])
    assert (count.value, count.capped) == (7, False)
