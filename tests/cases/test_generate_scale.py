"""manage.py generate_scale: a small country, checked through the app's own doors."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from accounts.models import Membership, Organisation, Role, User
from audit.models import AuditEntry
from audit.verify import audit_verify
from cases.access import can, cases_visible_to
from cases.models import (
    Assessment,
    Case,
    CaseDeadline,
    CaseGroupObjectPermission,
    CaseTransition,
    Child,
    Notification,
    Plan,
)
from cases.workflow import FINAL_STATES, STEPS
from referrals.models import Referral

N = 2000


def _skip_unless_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("generate_scale writes with PostgreSQL's COPY; CI runs this on PostgreSQL")


def _user(role: str, **organisation) -> User:
    filters = {f"memberships__organisation__{k}": v for k, v in organisation.items()}
    return (
        User.objects.filter(memberships__role=role, memberships__is_active=True, **filters)
        .order_by("pk")
        .first()
    )


@pytest.mark.django_db(transaction=True)
def test_generates_a_consistent_country():
    _skip_unless_postgresql()
    out = io.StringIO()
    call_command("generate_scale", cases=N, seed=7, no_vacuum=True, stdout=out)
    assert "Total:" in out.getvalue()

    communes = Organisation.objects.filter(kind=Organisation.Kind.COMMUNE_COMMITTEE).count()
    assert communes == 3321
    assert Organisation.objects.filter(kind=Organisation.Kind.PROVINCIAL_HEALTH).count() == 34
    assert Organisation.objects.filter(kind=Organisation.Kind.HOTLINE).count() == 1
    assert Organisation.objects.count() == 4 * 3321 + 34 + 1
    assert 30_000 <= User.objects.count() <= 60_000
    assert not User.objects.exclude(password__startswith="!").exists()  # unusable, unhashed
    assert Case.objects.count() == N
    assert Child.objects.count() == N
    assert 3 * N <= CaseTransition.objects.count() <= 12 * N
    assert 2 * N <= CaseDeadline.objects.count() <= 8 * N
    assert N <= Assessment.objects.count() <= 4 * N
    assert N // 3 <= Plan.objects.count() <= 2 * N
    assert 0.01 * N <= Referral.objects.count() <= 0.15 * N
    hotline_cases = Case.objects.filter(source=Case.Source.HOTLINE).count()
    assert 0.05 * N <= hotline_cases <= 0.15 * N
    assert CaseGroupObjectPermission.objects.count() >= 2 * hotline_cases
    assert Notification.objects.filter(read_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=False).exists()
    assert AuditEntry.objects.count() > 0
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"received", "in_implementation", "closed", "not_substantiated"} <= statuses
    assert len(statuses) >= 9
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == N
    assert all(len(n.split("-")[1]) >= 6 for n in numbers)

    # The scope columns: the province is the commune's.
    for case in Case.objects.select_related("commune"):
        assert case.province_id == case.commune.parent_id

    # History: one path of the workflow table from "received" to the status, clocks to match.
    history: dict[int, list[CaseTransition]] = {}
    for row in CaseTransition.objects.order_by("at", "id"):
        history.setdefault(row.case_id, []).append(row)
    open_clocks = set(
        CaseDeadline.objects.filter(met_at__isnull=True, waived_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    for case in Case.objects.all():
        status = "received"
        for row in history.get(case.pk, []):
            assert row.from_status == status, (case.number, row.name)
            step = STEPS.get(row.name)
            if step is not None:
                assert row.from_status in step.sources, (case.number, row.name)
                assert row.to_status == step.leads_to(row.from_status)
            else:
                assert row.name.startswith("referral_")
                assert row.to_status == row.from_status
            status = row.to_status
        assert status == case.status, case.number
        if case.status in FINAL_STATES:
            assert case.closed_at is not None
            assert case.pk not in open_clocks
    for case in Case.objects.filter(status__in=["plan_approved", "in_implementation"]):
        assert case.plans.filter(status="approved").exists()

    # The officer sees exactly the commune's cases, and may work on them.
    busiest = (
        Case.objects.values("commune_id").annotate(n=Count("id")).order_by("-n", "commune_id")[0]
    )
    officer = _user(Role.CP_OFFICER, kind="commune_committee", area_id=busiest["commune_id"])
    seen = set(cases_visible_to(officer).values_list("pk", flat=True))
    assert seen == set(
        Case.objects.filter(commune_id=busiest["commune_id"]).values_list("pk", flat=True)
    )
    case = Case.objects.get(pk=min(seen))
    assert can(officer, "view_case", case)
    assert can(officer, "assess_case", case)

    # A school sees exactly the cases referred to it while the referral is open, as a summary.
    live = Referral.objects.filter(status__in=Referral.OPEN).select_related("organisation")
    referral = live.order_by("pk").first()
    assert referral is not None
    staff = _user(Role.SECTOR_STAFF, pk=referral.organisation_id)
    seen = set(cases_visible_to(staff).values_list("pk", flat=True))
    assert seen == set(
        live.filter(organisation=referral.organisation).values_list("case_id", flat=True)
    )
    assert can(staff, "view_case_summary", referral.case)
    assert not can(staff, "view_case", referral.case)
    ended = Referral.objects.exclude(status__in=Referral.OPEN).select_related("organisation")
    for done in ended[:20]:
        other = _user(Role.SECTOR_STAFF, pk=done.organisation_id)
        if not live.filter(case=done.case, organisation=done.organisation).exists():
            assert not cases_visible_to(other).filter(pk=done.case_id).exists()

    # Users are in exactly the groups of their active memberships.
    for user in User.objects.filter(pk__in=[officer.pk, staff.pk]).prefetch_related("groups"):
        wanted = {
            f"org:{m.organisation.public_id}:{m.role}"
            for m in Membership.objects.filter(user=user, is_active=True).select_related(
                "organisation"
            )
        }
        assert {g.name for g in user.groups.all()} == wanted

    # The chain verifies, and the command's own checks (pages included) pass.
    assert audit_verify().ok
    checks = io.StringIO()
    call_command("generate_scale", check_only=True, check_sample=8, stdout=checks)
    assert "all passed" in checks.getvalue()
    assert audit_verify().ok  # the pages' reads were appended after the generated entries

    # A second run refuses the database that now holds cases.
    with pytest.raises(CommandError, match="already holds"):
        call_command("generate_scale", cases=10, no_vacuum=True, stdout=io.StringIO())


def test_refuses_a_database_that_is_not_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("generate_scale", cases=10, stdout=io.StringIO())
