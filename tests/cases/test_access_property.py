"""
For generated organisations, memberships, cases and shares, the selector and the single-case
decision agree with a plain-Python statement of the docs/DESIGN.md §4 rule.

The oracle below is written from the design text, not from cases.access: it shares no code
with the implementation except the names of roles, kinds and permissions.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Membership, Organisation, Role, User
from accounts.services import organisation_group, user_groups_sync
from cases.access import can, case_permissions, cases_visible_to
from cases.services import case_share_grant
from tests.factories import CommuneFactory, ProvinceFactory, make_case

PERMS = [
    "view_case",
    "view_case_summary",
    "change_case",
    "assess_case",
    "plan_case",
    "approve_plan",
    "decide_emergency",
    "intervene_case",
    "refer_case",
    "print_case",
    "transfer_case",
    "close_case",
]
# docs/DESIGN.md §2/§4 in plain words: the officer owns the commune's cases (and intervenes in an
# emergency, Decree 56 Art. 31(3)), the chairman approves and closes them, the provincial
# supervisor oversees and prints the province's.
OFFICER = {
    "view_case",
    "view_case_summary",
    "change_case",
    "assess_case",
    "intervene_case",
    "plan_case",
    "refer_case",
    "print_case",
    "transfer_case",
}
CHAIRMAN = {
    "view_case",
    "view_case_summary",
    "approve_plan",
    "decide_emergency",
    "print_case",
    "close_case",
}
SUPERVISOR = {"view_case", "view_case_summary", "print_case"}

# Weighted towards the combinations that carry jurisdiction, so every example exercises the
# rule rather than mostly empty worlds; every kind, role and inactive flag still occurs.
JURISDICTION_KINDS = ["commune_committee"] * 4 + ["provincial_health"] * 2
JURISDICTION_ROLES = ["cp_officer", "chairman", "supervisor"] * 3
mostly_true = st.sampled_from([True, True, True, False])
organisation_st = st.tuples(
    st.sampled_from(JURISDICTION_KINDS + list(Organisation.Kind)),
    st.integers(0, 2),  # which commune (or that commune's province) is the area
    mostly_true,  # organisation active
)
user_st = st.tuples(
    mostly_true,  # user active
    st.booleans(),  # superuser
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(JURISDICTION_ROLES + list(Role)), mostly_true),
        max_size=3,
    ),
)
share_st = st.tuples(
    st.integers(0, 4),  # case
    st.one_of(
        st.tuples(st.just("group"), st.integers(0, 5), st.sampled_from(list(Role))),
        st.tuples(st.just("user"), st.integers(0, 3)),
    ),
    st.sets(st.sampled_from(PERMS), min_size=1, max_size=3),
)


def oracle(
    user_index, user_spec, memberships, case_commune, case_province, shares_on_case
) -> set[str]:
    active, _superuser, _ = user_spec
    if not active:
        return set()
    perms: set[str] = set()
    live = [(org, role) for org, role, ok in memberships if ok and org["active"]]
    for org, role in live:
        if org["kind"] == "commune_committee" and org["area"] == case_commune:
            if role == "cp_officer":
                perms |= OFFICER
            if role in ("chairman", "deputy_chairman"):  # a deputy signs for the chairman
                perms |= CHAIRMAN
        if org["kind"] == "provincial_health" and org["area"] == case_province:
            if role == "supervisor":
                perms |= SUPERVISOR
    for target, share_perms in shares_on_case:
        if target[0] == "user" and target[1] == user_index:
            perms |= share_perms
        if target[0] == "group" and any(
            org is target[1] and role == target[2] for org, role in live
        ):
            perms |= share_perms
    return perms


class AccessRuleProperty(TestCase):
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        organisations=st.lists(organisation_st, min_size=1, max_size=6),
        users=st.lists(user_st, min_size=1, max_size=4),
        case_communes=st.lists(st.integers(0, 2), min_size=1, max_size=5),
        shares=st.lists(share_st, max_size=6),
    )
    def test_selector_and_decision_agree_with_the_rule(
        self, organisations, users, case_communes, shares
    ):
        provinces = [ProvinceFactory(), ProvinceFactory()]
        communes = [
            CommuneFactory(parent=provinces[0]),
            CommuneFactory(parent=provinces[0]),
            CommuneFactory(parent=provinces[1]),
        ]
        orgs = []
        for kind, area_index, active in organisations:
            commune = communes[area_index]
            area = {"hotline": None, "provincial_health": commune.parent}.get(kind, commune)
            obj = Organisation.objects.create(
                kind=kind, name=f"{kind}", area=area, is_active=active
            )
            orgs.append({"obj": obj, "kind": kind, "area": area and area.pk, "active": active})

        user_objs, user_memberships = [], []
        for index, (active, superuser, memberships) in enumerate(users):
            user = User.objects.create(
                username=f"u{index}", is_active=active, is_superuser=superuser, is_staff=superuser
            )
            resolved = []
            for org_index, role, ok in memberships:
                org = orgs[org_index % len(orgs)]
                # Rows made directly, not through the validating service: the rule must hold
                # even for a membership that the forms would have refused.
                Membership.objects.get_or_create(
                    user=user, organisation=org["obj"], role=role, defaults={"is_active": ok}
                )
            for m in Membership.objects.filter(user=user):
                org = next(o for o in orgs if o["obj"].pk == m.organisation_id)
                resolved.append((org, m.role, m.is_active))
            user_groups_sync(user=user)
            user_objs.append(user)
            user_memberships.append(resolved)

        case_objs = [make_case(communes[i], f"Trẻ {n}") for n, i in enumerate(case_communes)]
        case_shares: dict[int, list] = {i: [] for i in range(len(case_objs))}
        for case_index, target, perms in shares:
            case_index %= len(case_objs)
            if target[0] == "user":
                user_index = target[1] % len(user_objs)
                case_share_grant(
                    case=case_objs[case_index],
                    permissions=perms,
                    reason="t",
                    user=user_objs[user_index],
                )
                case_shares[case_index].append((("user", user_index), set(perms)))
            else:
                org = orgs[target[1] % len(orgs)]
                group = organisation_group(organisation=org["obj"], role=target[2])
                case_share_grant(
                    case=case_objs[case_index], permissions=perms, reason="t", group=group
                )
                case_shares[case_index].append((("group", org, target[2]), set(perms)))

        for user_index, (user, spec, memberships) in enumerate(
            zip(user_objs, users, user_memberships, strict=True)
        ):
            expected_visible = set()
            for index, case in enumerate(case_objs):
                expected = oracle(
                    user_index,
                    spec,
                    memberships,
                    case.commune_id,
                    case.province_id,
                    case_shares[index],
                )
                assert case_permissions(user, case) == expected
                for perm in PERMS:
                    assert can(user, perm, case) is (perm in expected)
                if expected & {"view_case", "view_case_summary"}:
                    expected_visible.add(case.pk)
            assert set(cases_visible_to(user).values_list("pk", flat=True)) == expected_visible
