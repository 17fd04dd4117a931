"""The one door to cases: jurisdiction by scope columns, shares by guardian, nothing else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.services import membership_end, organisation_group
from cases.access import ALL_CASE_PERMISSIONS, can, can_see, case_permissions, cases_visible_to
from cases.services import case_share_grant, case_share_revoke
from tests.factories import Role

# persona -> which of the world's cases it may see
VISIBLE = {
    "officer": {"case"},
    "officer2": {"other_case"},
    "far_officer": {"far_case"},
    "chairman": {"case"},
    "supervisor": {"case", "other_case"},
    "hotline": {"case"},
    "collaborator": set(),
    "school": set(),
    "health": set(),
    "police": set(),
    "auditor": set(),
    "admin": set(),
    "nobody": set(),
}
CASES = ("case", "other_case", "far_case")


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_role_sees_exactly_its_cases(world, persona):
    user = world.users[persona]
    listed = set(cases_visible_to(user))
    expected = {getattr(world, name) for name in VISIBLE[persona]}
    assert listed == expected
    for name in CASES:
        assert can_see(user, getattr(world, name)) is (name in VISIBLE[persona])


EXACT = {
    "officer": {
        "view_case",
        "view_case_summary",
        "change_case",
        "assess_case",
        "intervene_case",
        "plan_case",
        "refer_case",
        "print_case",
        "transfer_case",
    },
    "chairman": {
        "view_case",
        "view_case_summary",
        "approve_plan",
        "decide_emergency",
        "print_case",
        "close_case",
    },
    "supervisor": {"view_case", "view_case_summary", "print_case"},
    "hotline": {"view_case", "view_case_summary"},
}


@pytest.mark.parametrize("persona", sorted(EXACT))
def test_each_role_holds_exactly_its_permissions_on_a_case_it_sees(world, persona):
    assert case_permissions(world.users[persona], world.case) == EXACT[persona]


def test_the_officer_works_the_case_but_cannot_approve_the_plan(world):
    perms = case_permissions(world.officer, world.case)
    assert {"change_case", "assess_case", "plan_case", "refer_case"} <= perms
    assert not can(world.officer, "approve_plan", world.case)


def test_the_chairman_approves_but_does_not_edit(world):
    assert can(world.chairman, "approve_plan", world.case)
    assert not can(world.chairman, "change_case", world.case)
    assert not can(world.chairman, "approve_plan", world.other_case)


def test_the_supervisor_reads_and_prints_the_province_but_changes_nothing(world):
    assert can(world.supervisor, "print_case", world.other_case)
    assert not can(world.supervisor, "change_case", world.case)
    assert not can(world.supervisor, "view_case", world.far_case)


def test_a_superuser_gets_no_case_content(world):
    assert world.admin.is_superuser
    assert case_permissions(world.admin, world.case) == set()
    assert not cases_visible_to(world.admin).exists()


def test_a_model_wide_permission_opens_nothing(world):
    world.officer2.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cases", codename__in=ALL_CASE_PERMISSIONS
        )
    )
    assert set(cases_visible_to(world.officer2)) == {world.other_case}
    assert not can(world.officer2, "view_case", world.case)


def test_an_inactive_user_sees_nothing(world):
    world.officer.is_active = False
    world.officer.save()
    assert not cases_visible_to(world.officer).exists()
    assert not can_see(world.officer, world.case)


def test_ending_a_membership_ends_its_access_at_once(world):
    membership = world.officer.memberships.get()
    assert can_see(world.officer, world.case)
    membership_end(membership=membership)
    assert not can_see(world.officer, world.case)
    assert not cases_visible_to(world.officer).exists()


def test_a_deactivated_organisation_confers_nothing(world):
    world.committee.is_active = False
    world.committee.save()
    assert not can_see(world.officer, world.case)
    assert not can_see(world.chairman, world.case)


def test_a_summary_share_gives_the_summary_and_nothing_more(world):
    group = organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF)
    case_share_grant(
        case=world.other_case,
        permissions=["view_case_summary"],
        reason="test referral",
        group=group,
    )
    assert set(cases_visible_to(world.school)) == {world.other_case}
    assert case_permissions(world.school, world.other_case) == {"view_case_summary"}
    assert not can(world.school, "view_case", world.other_case)


def test_revoking_a_share_denies_the_next_check(world):
    group = organisation_group(organisation=world.hotline_org, role=Role.HOTLINE_OPERATOR)
    assert can_see(world.hotline, world.case)
    removed = case_share_revoke(case=world.case, group=group)
    assert removed == 2
    assert not can_see(world.hotline, world.case)
    assert not cases_visible_to(world.hotline).exists()


def test_a_share_to_one_user_reaches_only_that_user(world):
    case_share_grant(
        case=world.far_case, permissions=["view_case"], reason="explicit grant", user=world.auditor
    )
    assert set(cases_visible_to(world.auditor)) == {world.far_case}
    assert not cases_visible_to(world.nobody).exists()


def test_an_unknown_action_is_a_programming_error(world):
    with pytest.raises(ValueError, match="Unknown case action"):
        can(world.officer, "delete_everything", world.case)
    # The set a page reads once refuses a misspelt action too, where a plain set said "no".
    permissions = case_permissions(world.officer, world.case)
    assert "change_case" in permissions
    assert permissions.can("assess_case")
    with pytest.raises(ValueError, match="Unknown case action"):
        _ = "chnage_case" in permissions
    with pytest.raises(ValueError, match="Unknown case action"):
        _ = "chnage_case" in case_permissions(world.nobody, world.case)


def test_a_case_takes_its_province_from_its_commune(world):
    assert world.case.province == world.province
    assert world.far_case.province == world.other_province


def test_case_numbers_are_unique_and_readable(world):
    numbers = [world.case.number, world.other_case.number, world.far_case.number]
    assert len(set(numbers)) == 3
    assert all(n.count("-") == 1 and len(n.split("-")[1]) == 6 for n in numbers)
