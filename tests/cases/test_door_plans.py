"""
The door's queries keep shapes that an index serves (issue #11), read from PostgreSQL's plans.

With sequential scans priced out (`enable_seqscan = off`) a query that has an index path takes
it; a query whose shape has none (an OR of share subqueries, run as hashed subplans over the
whole case table) still shows a sequential scan or a hashed SubPlan. Every role's list, its
next page, its count, the unread badge, the deadlines due and the referral inbox are checked.
"""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Role
from accounts.services import organisation_group
from cases.access import SHARES_LISTED_UP_TO, cases_visible_to
from cases.models import Notification
from cases.selectors import (
    case_list_for,
    deadlines_due_for,
    notifications_for,
)
from cases.services import case_share_grant
from config.keyset import capped_count, counted_rows, keyset_page, rows_before
from referrals.selectors import referral_inbox_for, referrals_visible_to
from tests.factories import make_case, share_many_with_hotline

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's query plans"
)

CASE_TABLE = '"cases_case"'


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def assert_indexed(queryset) -> None:
    plan = _plan(queryset)
    assert "Seq Scan on cases_case" not in plan, plan
    assert "hashed SubPlan" not in plan, plan
    assert "Seq Scan on cases_caseuserobjectpermission" not in plan, plan
    assert "Seq Scan on cases_casegroupobjectpermission" not in plan, plan


def _page_queries(user):
    cases = case_list_for(user=user)
    first = keyset_page(cases, cursor=None, size=2)
    queries = [
        cases.order_by("-received_at", "-id")[:3],
        counted_rows(cases),  # what capped_count runs
    ]
    if first.next_cursor:
        # The deep page's own query: rows after the cursor, in order.
        last = first.rows[-1]
        queries.append(
            cases.filter(rows_before(("received_at", "id"), (last.received_at, last.pk))).order_by(
                "-received_at", "-id"
            )[:3]
        )
    return queries


@pytest.fixture
def busy_world(world):
    """A few more cases everywhere, and a school with a live referral share."""
    for index in range(4):
        make_case(world.commune, f"Trẻ {index}")
        make_case(world.far_commune, f"Trẻ xa {index}")
    case_share_grant(
        case=world.case,
        permissions=["view_case_summary"],
        reason="Referral",
        group=organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF),
    )
    return world


@pytest.mark.parametrize("name", ["officer", "chairman", "supervisor", "school", "hotline"])
def test_each_roles_list_next_page_and_count_use_indexes(busy_world, name):
    user = busy_world.users[name]
    assert cases_visible_to(user).exists()
    for query in _page_queries(user):
        assert_indexed(query)


def test_an_officer_with_a_share_beyond_the_commune_still_uses_indexes(busy_world):
    case_share_grant(
        case=busy_world.far_case,
        permissions=["view_case"],
        reason="Asked to help",
        user=busy_world.officer,
    )
    visible = set(cases_visible_to(busy_world.officer).values_list("pk", flat=True))
    assert busy_world.far_case.pk in visible  # the share arm is there
    assert busy_world.case.pk in visible  # and the jurisdiction arm
    for query in _page_queries(busy_world.officer):
        assert_indexed(query)


def test_many_shares_are_a_subquery_driven_from_the_users_groups(busy_world):
    """The hotline holding more shares than can be listed: a semi-join, never a hashed plan."""
    many = share_many_with_hotline(busy_world, SHARES_LISTED_UP_TO + 5, "T")
    hotline = busy_world.hotline
    visible = cases_visible_to(hotline)
    assert "IN (SELECT" in str(visible.query)  # the grants as a subquery, not a list
    assert visible.count() == len(many) + 1
    assert not visible.filter(pk=busy_world.other_case.pk).exists()
    for query in _page_queries(hotline):
        assert_indexed(query)


def test_the_unread_badge_asks_the_door_per_notice(busy_world):
    officer = busy_world.supervisor
    Notification.objects.create(recipient=officer, kind="case_assigned", case=busy_world.case)
    Notification.objects.create(recipient=officer, kind="case_assigned", case=busy_world.far_case)
    unread = notifications_for(user=officer).filter(read_at__isnull=True)
    assert capped_count(unread).value == 1  # the far case is not the supervisor's
    assert_indexed(counted_rows(unread, 99))


def test_the_deadlines_due_and_the_referral_lists_use_indexes(busy_world):
    assert_indexed(deadlines_due_for(user=busy_world.officer)[:10])
    assert_indexed(referral_inbox_for(user=busy_world.school)[:10])
    assert_indexed(referrals_visible_to(user=busy_world.officer)[:10])


def test_the_applications_connections_neither_compile_queries_nor_search_join_orders(db):
    # Both settings are in config.settings (issue #11): JIT cost ~200 ms for a 0.2 ms query, and
    # searching every order of a referral's nine joins cost 2.9 ms of planning for 1 ms of work.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone() == ("1",)
