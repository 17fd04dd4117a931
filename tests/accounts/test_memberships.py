"""Memberships keep each user in exactly the role groups they hold."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, Organisation, Role, group_name
from accounts.services import membership_end, membership_grant, organisation_group, user_groups_sync
from tests.factories import OrganisationFactory, make_user


def test_group_names_are_deterministic(world):
    name = group_name(world.committee, Role.CP_OFFICER)
    assert name == f"org:{world.committee.public_id}:cp_officer"
    assert organisation_group(organisation=world.committee, role=Role.CP_OFFICER).name == name


def test_granting_a_role_puts_the_user_in_its_group(world):
    group = organisation_group(organisation=world.committee, role=Role.CP_OFFICER)
    assert world.officer.groups.filter(pk=group.pk).exists()
    assert not world.officer2.groups.filter(pk=group.pk).exists()


def test_granting_twice_creates_one_membership(world):
    membership_grant(user=world.officer, organisation=world.committee, role=Role.CP_OFFICER)
    assert Membership.objects.filter(user=world.officer).count() == 1


def test_ending_and_regranting_a_role(world):
    membership = world.officer.memberships.get()
    membership_end(membership=membership)
    assert not world.officer.groups.exists()
    membership_grant(user=world.officer, organisation=world.committee, role=Role.CP_OFFICER)
    assert world.officer.groups.count() == 1


def test_a_role_the_organisation_cannot_hold_is_refused(world):
    with pytest.raises(ValidationError) as error:
        membership_grant(user=world.nobody, organisation=world.school_org, role=Role.CHAIRMAN)
    assert "role" in error.value.message_dict
    assert not Membership.objects.filter(user=world.nobody).exists()


def test_an_organisation_needs_an_area_of_the_right_level(world):
    committee = Organisation(
        kind=Organisation.Kind.COMMUNE_COMMITTEE, name="X", area=world.province
    )
    with pytest.raises(ValidationError) as error:
        committee.full_clean()
    assert "area" in error.value.message_dict
    school = Organisation(kind=Organisation.Kind.SCHOOL, name="Y", area=None)
    with pytest.raises(ValidationError):
        school.full_clean()


def test_sync_removes_stale_groups_and_keeps_others(world):
    from django.contrib.auth.models import Group

    other = Group.objects.create(name="editors")
    stale = organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF)
    world.officer.groups.add(other, stale)
    user_groups_sync(user=world.officer)
    names = set(world.officer.groups.values_list("name", flat=True))
    assert names == {"editors", group_name(world.committee, Role.CP_OFFICER)}


def test_a_user_can_hold_several_roles(world):
    police = OrganisationFactory(kind=Organisation.Kind.POLICE, area=world.commune)
    user = make_user((world.committee, Role.COLLABORATOR), (police, Role.SECTOR_STAFF))
    assert user.groups.count() == 2
