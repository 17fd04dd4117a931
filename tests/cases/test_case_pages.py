"""Case pages: the allowed user succeeds, the outsider gets the not-found page."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from tests.cases.test_access import VISIBLE

PERSONAS = sorted(VISIBLE)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case_name", ["case", "other_case", "far_case"])
def test_case_page_answers_200_to_who_may_see_and_404_to_others(
    world, client_for, persona, case_name
):
    case = getattr(world, case_name)
    response = client_for(persona).get(reverse("cases:detail", args=[case.public_id]))
    if case_name in VISIBLE[persona]:
        assert response.status_code == 200
        assert case.number in response.content.decode()
    else:
        assert response.status_code == 404
        assert case.number not in response.content.decode()
        assert case.child_name not in response.content.decode()


def test_a_missing_case_and_a_forbidden_case_get_the_same_page(world, client_for):
    client = client_for("officer2")
    forbidden = client.get(reverse("cases:detail", args=[world.case.public_id]))
    missing = client.get(reverse("cases:detail", args=[uuid.uuid4()]))
    assert forbidden.status_code == missing.status_code == 404
    # Identical but for the hidden inputs: CSRF token masks and the language form's own path.
    hidden = re.compile(rb'<input type="hidden"[^>]*>')
    assert hidden.sub(b"", forbidden.content) == hidden.sub(b"", missing.content)


def test_case_pages_are_never_cached(world, client_for):
    response = client_for("officer").get(reverse("cases:detail", args=[world.case.public_id]))
    assert "no-store" in response["Cache-Control"]


def test_the_case_list_shows_only_visible_cases(world, client_for):
    body = client_for("supervisor").get(reverse("cases:list")).content.decode()
    assert world.case.number in body
    assert world.other_case.number in body
    assert world.far_case.number not in body


def test_the_case_list_has_an_empty_state(world, client_for):
    response = client_for("collaborator").get(reverse("cases:list"))
    assert response.status_code == 200
    assert "Không có hồ sơ nào." in response.content.decode()


def test_the_case_list_is_paginated_newest_first_by_keyset(world, client_for):
    import re

    from tests.factories import make_case

    for index in range(30):
        make_case(world.commune, f"Trẻ {index}")
    client = client_for("officer")
    first = client.get(reverse("cases:list")).content.decode()
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', first)
    assert older, "the first page links to older cases"
    assert 'rel="prev"' not in first
    second = client.get(reverse("cases:list") + f"?cursor={older.group(1)}").content.decode()
    numbers = lambda html: re.findall(r'href="/cases/([0-9a-f-]{36})/"', html)  # noqa: E731
    assert len(numbers(first)) == 25
    assert len(numbers(second)) == 6
    assert not set(numbers(first)) & set(numbers(second))
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    newer = re.search(r'href="\?cursor=([^"]+)" rel="prev"', second).group(1)
    back = client.get(reverse("cases:list") + f"?cursor={newer}").content.decode()
    assert numbers(back) == numbers(first)
    # The count in the heading is exact up to 1,000.
    assert '<span class="count">31</span>' in first


def test_a_mangled_page_link_shows_the_newest_cases(world, client_for):
    response = client_for("officer").get(reverse("cases:list") + "?cursor=not-a-cursor")
    assert response.status_code == 200
    assert world.case.number in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(reverse("cases:detail", args=[world.case.public_id]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_case_list_costs_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    from tests.factories import make_case

    for index in range(20):
        make_case(world.commune, f"Trẻ {index}")
    client = client_for("supervisor")
    # 9 (issue #11 guard): session, user, memberships, the user's grants, the page, the trail's
    # append, the capped count, the header's unread notices and the door's answer about them.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("cases:list"))
    assert response.status_code == 200
