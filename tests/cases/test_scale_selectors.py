"""
The selectors rebuilt for national scale (issue #11) answer what they answered before: the
officer's due list by each clock's commune, the supervisor's overview from two grouped reads,
and the notifications read a batch at a time with the door asked per batch.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Role
from accounts.services import organisation_group
from cases import services
from cases.access import SHARES_LISTED_UP_TO, cases_visible_to
from cases.models import CaseDeadline, Notification
from cases.selectors import (
    deadlines_due_for,
    notifications_shown_for,
    overdue_by_commune_for,
    unread_count_for,
    unread_request_scope,
)
from cases.services import case_share_grant, case_share_revoke
from tests.factories import make_case, share_many_with_hotline

FIXED = datetime.datetime(2026, 6, 1, 3, 0, tzinfo=datetime.UTC)


def test_every_clock_starts_with_its_cases_commune(world):
    clocks = CaseDeadline.objects.filter(case=world.case)
    assert clocks.exists()
    assert set(clocks.values_list("commune_id", flat=True)) == {world.commune.pk}


def test_a_transfer_moves_the_clocks_to_the_new_communes_due_list(world):
    assert world.case.pk in {d.case_id for d in deadlines_due_for(user=world.officer)}
    services.case_transfer(
        actor=world.officer, case=world.case, commune=world.other_commune, reason="Chuyển nhà"
    )
    assert world.case.pk not in {d.case_id for d in deadlines_due_for(user=world.officer)}
    assert world.case.pk in {d.case_id for d in deadlines_due_for(user=world.officer2)}
    assert set(
        CaseDeadline.objects.filter(case=world.case).values_list("commune_id", flat=True)
    ) == {world.other_commune.pk}


def test_the_due_list_leaves_out_met_clocks_and_other_communes(world):
    late = make_case(
        world.commune, "Trẻ Muộn", received_at=timezone.now() - datetime.timedelta(hours=30)
    )
    CaseDeadline.objects.filter(case=world.case).update(met_at=timezone.now())
    due = list(deadlines_due_for(user=world.officer))
    assert {d.case_id for d in due} == {late.pk}
    services.case_mark_not_substantiated(actor=world.officer, case=late, reason="Không có thật")
    assert list(deadlines_due_for(user=world.officer)) == []  # finishing waived its clocks
    assert deadlines_due_for(user=world.supervisor).count() == 0  # no commune to work
    assert deadlines_due_for(user=world.school).count() == 0


def test_the_overview_counts_open_cases_and_overdue_clocks_by_commune(world):
    for hours in (20, 30, 40):
        make_case(
            world.commune, "Trẻ", received_at=timezone.now() - datetime.timedelta(hours=hours)
        )
    rows = {row.commune.pk: row for row in overdue_by_commune_for(user=world.supervisor)}
    assert set(rows) == {world.commune.pk, world.other_commune.pk}  # not the far province
    assert (rows[world.commune.pk].open_cases, rows[world.commune.pk].overdue) == (4, 3)
    assert (rows[world.other_commune.pk].open_cases, rows[world.other_commune.pk].overdue) == (1, 0)
    assert overdue_by_commune_for(user=world.officer) == []


def _notices(user, cases):
    return [
        Notification.objects.create(recipient=user, kind="case_assigned", case=case)
        for case in cases
    ]


def test_notifications_about_cases_no_longer_seen_are_left_out_across_batches(world):
    school = world.school
    group = organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF)
    shared = [make_case(world.commune, f"Trẻ {i}") for i in range(5)]
    for case in shared:
        case_share_grant(case=case, permissions=["view_case_summary"], reason="R", group=group)
    notices = _notices(school, shared)
    for index, notice in enumerate(notices):  # newest last
        Notification.objects.filter(pk=notice.pk).update(
            created_at=FIXED + datetime.timedelta(minutes=index)
        )
    about_nothing = Notification.objects.create(recipient=school, kind="referral_received")
    Notification.objects.filter(pk=about_nothing.pk).update(
        created_at=FIXED - datetime.timedelta(days=1)
    )
    for case in shared[2:]:  # the three newest are no longer the school's
        case_share_revoke(case=case, group=group)
    shown = notifications_shown_for(user=school, limit=10, batch=2)
    assert [n.pk for n in shown] == [notices[1].pk, notices[0].pk, about_nothing.pk]
    assert [n.pk for n in notifications_shown_for(user=school, limit=1, batch=2)] == [notices[1].pk]
    assert unread_count_for(user=school).value == 3
    Notification.objects.filter(pk=notices[0].pk).update(read_at=timezone.now())
    unread = notifications_shown_for(user=school, limit=10, unread=True, batch=1)
    assert [n.pk for n in unread] == [notices[1].pk, about_nothing.pk]


def test_the_badge_stops_at_99(world):
    _notices(world.officer, [world.case] * 100)
    count = unread_count_for(user=world.officer)
    assert (count.value, count.capped, str(count)) == (99, True, "99+")
    Notification.objects.filter(recipient=world.officer).update(read_at=timezone.now())
    assert not unread_count_for(user=world.officer)


def test_a_request_walks_the_unread_notices_once_and_again_after_a_change(
    world, django_assert_num_queries
):
    _notices(world.officer, [world.case] * 3)
    with unread_request_scope():
        assert unread_count_for(user=world.officer).value == 3
        with django_assert_num_queries(1):  # the list reuses the walk: only the notices' rows
            shown = notifications_shown_for(user=world.officer, limit=2, unread=True)
        assert len(shown) == 2
        services.notifications_mark_read(user=world.officer, pk=shown[0].pk)
        assert unread_count_for(user=world.officer).value == 2
        Notification.objects.create(
            recipient=world.officer, kind=Notification.Kind.CASE_ASSIGNED, case=world.case
        )
        assert unread_count_for(user=world.officer).value == 3


def test_a_user_with_more_shares_than_can_be_listed_sees_every_kind_of_share(world):
    """Past 500 grants the door asks the grant tables; a user share beside them still counts."""
    many = share_many_with_hotline(world, SHARES_LISTED_UP_TO + 1, "H")
    case_share_grant(
        case=world.other_case, permissions=["view_case"], reason="Asked", user=world.hotline
    )
    visible = set(cases_visible_to(world.hotline).values_list("pk", flat=True))
    assert visible == {world.case.pk, world.other_case.pk, *(c.pk for c in many)}
    assert world.far_case.pk not in visible
    case_share_revoke(case=world.other_case, user=world.hotline)
    assert world.other_case.pk not in set(
        cases_visible_to(world.hotline).values_list("pk", flat=True)
    )
