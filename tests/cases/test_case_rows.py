"""The case list's rows are rendered directly; they must equal what the declared fields render."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Role
from accounts.services import organisation_group
from cases.access import full_file_ids
from cases.selectors import case_rows_for
from cases.serializers import SUMMARY, CaseSerializer
from cases.services import case_share_grant


@pytest.fixture
def school_sees_a_summary(world):
    case_share_grant(
        case=world.other_case,
        permissions=["view_case_summary"],
        reason="test referral",
        group=organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF),
    )


def _by_fields(serializer: CaseSerializer, case) -> dict:
    """DRF's own rendering: every declared field walked in turn."""
    return serializers.ModelSerializer.to_representation(serializer, case)


@pytest.mark.parametrize("persona", ["officer", "supervisor", "hotline", "school"])
@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "UTC"])
def test_each_row_equals_the_declared_fields(world, school_sees_a_summary, persona, zone):
    user = getattr(world, persona)
    rows = list(case_rows_for(user=user))
    assert rows, "each persona here sees at least one case"
    serializer = CaseSerializer(context={"full_ids": full_file_ids(user, rows)})
    with timezone.override(zone):
        for case in rows:
            assert serializer.to_representation(case) == _by_fields(serializer, case)


def test_a_summary_row_carries_the_given_name_only(world, school_sees_a_summary):
    (case,) = case_rows_for(user=world.school)
    serializer = CaseSerializer(context={"full_ids": full_file_ids(world.school, [case])})
    shown = serializer.to_representation(case)
    assert shown["view"] == SUMMARY
    assert shown["child_name"] == case.child.full_name.split()[-1] != case.child.full_name
    assert shown == _by_fields(serializer, case)


def test_the_times_carry_the_zone_they_are_shown_in(world):
    serializer = CaseSerializer(context={"full_ids": None})
    with timezone.override("Asia/Ho_Chi_Minh"):
        local = serializer.to_representation(world.case)["received_at"]
    with timezone.override("UTC"):
        utc = serializer.to_representation(world.case)["received_at"]
    assert local.endswith("+07:00")
    assert utc.endswith("Z")
