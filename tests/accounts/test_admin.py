"""Administrators manage units, organisations, users and memberships; never cases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, group_name


@pytest.mark.parametrize("model", ["administrativeunit", "organisation", "user", "membership"])
def test_the_admin_lists_each_model(world, client_for, model):
    response = client_for("admin").get(reverse(f"admin:accounts_{model}_changelist"))
    assert response.status_code == 200


def test_cases_are_not_in_the_admin(world, client_for):
    response = client_for("admin").get("/admin/cases/case/")
    assert response.status_code == 404


def test_non_staff_cannot_open_the_admin(world, client_for):
    response = client_for("officer").get(reverse("admin:index"))
    assert response.status_code == 302


def test_adding_a_membership_in_the_admin_joins_the_group(world, client_for):
    response = client_for("admin").post(
        reverse("admin:accounts_membership_add"),
        {
            "user": world.nobody.pk,
            "organisation": world.committee.pk,
            "role": Role.CP_OFFICER,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert world.nobody.groups.filter(name=group_name(world.committee, Role.CP_OFFICER)).exists()


def test_deleting_a_membership_in_the_admin_leaves_the_group(world, client_for):
    membership = Membership.objects.get(user=world.officer)
    response = client_for("admin").post(
        reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not world.officer.groups.exists()


def test_the_admin_manages_deadline_rules_but_cannot_delete_them(world, client_for):
    from cases.models import DeadlineRule

    rule = DeadlineRule.objects.get(code="emergency_12h")
    client = client_for("admin")
    assert client.get(reverse("admin:cases_deadlinerule_changelist")).status_code == 200
    assert client.get(reverse("admin:cases_deadlinerule_delete", args=[rule.pk])).status_code in (
        302,
        403,
    )
    assert DeadlineRule.objects.filter(pk=rule.pk).exists()
