"""
The one door to cases (docs/DESIGN.md §4): who may see which case, and who may do what to one case.

Two keys open it:

1. Jurisdiction. An active membership in a commune People's Committee as child-protection
   officer or chairman covers the cases whose responsible commune is that commune; an active
   supervisor membership in a provincial Department of Health covers the cases of that
   province. This is a filter on the case's indexed scope columns.
2. Shares. A guardian object permission on one case, to the user or to a group the user is in
   (an organisation's role group): a referral, the hotline that opened the case.

Nothing else opens a case: not `is_superuser`, not `is_staff`, not a model-wide permission.
`cases_visible_to` (lists) and `case_permissions` / `can` (one case) are computed from the same
tables and agree by construction; tests/cases/test_access_property.py checks that they do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.selectors import memberships_of
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from config.request_cache import RequestCache

VIEW_CASE = "view_case"
VIEW_CASE_SUMMARY = "view_case_summary"
VIEW_PERMISSIONS = frozenset({VIEW_CASE, VIEW_CASE_SUMMARY})

ALL_CASE_PERMISSIONS = frozenset(
    {
        VIEW_CASE,
        VIEW_CASE_SUMMARY,
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
    }
)

# What each role may do on the cases of its area. Roles not listed hold no jurisdiction:
# hotline operators and sector staff reach a case only through a share; collaborators,
# auditors and administrators never see case content through their role. The officer
# assesses, intervenes in an emergency (Art. 31(3)), plans, refers and transfers; the chairman
# decides emergency measures and separation, approves plans and closes (Arts. 26, 28, 30, 32).
JURISDICTION_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CP_OFFICER: frozenset(
        {
            VIEW_CASE,
            VIEW_CASE_SUMMARY,
            "change_case",
            "assess_case",
            "intervene_case",
            "plan_case",
            "refer_case",
            "print_case",
            "transfer_case",
        }
    ),
    Role.CHAIRMAN: frozenset(
        {
            VIEW_CASE,
            VIEW_CASE_SUMMARY,
            "approve_plan",
            "decide_emergency",
            "print_case",
            "close_case",
        }
    ),
    Role.SUPERVISOR: frozenset({VIEW_CASE, VIEW_CASE_SUMMARY, "print_case"}),
}
# A deputy chairman signs for the chairman («KT. CHỦ TỊCH»): the same decisions, on the same
# commune's cases; the decision records in which capacity it was signed.
JURISDICTION_PERMISSIONS[Role.DEPUTY_CHAIRMAN] = JURISDICTION_PERMISSIONS[Role.CHAIRMAN]

# Which kind of organisation and which level of area gives each role its jurisdiction.
JURISDICTION_SCOPE: dict[str, tuple[str, str]] = {
    Role.CP_OFFICER: (Organisation.Kind.COMMUNE_COMMITTEE, AdministrativeUnit.Level.COMMUNE),
    Role.CHAIRMAN: (Organisation.Kind.COMMUNE_COMMITTEE, AdministrativeUnit.Level.COMMUNE),
    Role.DEPUTY_CHAIRMAN: (Organisation.Kind.COMMUNE_COMMITTEE, AdministrativeUnit.Level.COMMUNE),
    Role.SUPERVISOR: (Organisation.Kind.PROVINCIAL_HEALTH, AdministrativeUnit.Level.PROVINCE),
}


@dataclass(frozen=True)
class Jurisdiction:
    """The areas a user holds, with the permissions each grants."""

    communes: dict[int, frozenset[str]]
    provinces: dict[int, frozenset[str]]

    def permissions_for(self, case: Case) -> set[str]:
        perms: set[str] = set()
        perms |= self.communes.get(case.commune_id, frozenset())
        perms |= self.provinces.get(case.province_id, frozenset())
        return perms


def jurisdiction_of(user: User) -> Jurisdiction:
    """Return the areas in which the user's active memberships give case permissions."""
    communes: dict[int, frozenset[str]] = {}
    provinces: dict[int, frozenset[str]] = {}
    for membership in memberships_of(user=user):
        scope = JURISDICTION_SCOPE.get(membership.role)
        organisation = membership.organisation
        if scope is None or organisation.kind != scope[0] or organisation.area is None:
            continue
        if organisation.area.level != scope[1]:
            continue
        target = communes if scope[1] == AdministrativeUnit.Level.COMMUNE else provinces
        target[organisation.area_id] = (
            target.get(organisation.area_id, frozenset())
            | (JURISDICTION_PERMISSIONS[membership.role])
        )
    return Jurisdiction(communes=communes, provinces=provinces)


# A user's share grants are read first, by one index-only query from the grant tables, and the
# door then names the cases: as a list of ids while they are few (a school, a police unit), as
# a subquery on the grant tables driven by the user's own groups while they are many (the
# hotline). Either way no share condition is asked of every case in the country (issue #11).
SHARES_LISTED_UP_TO = 500


@dataclass(frozen=True)
class ShareGrants:
    """What the user's shares give, with `permissions`: the case ids, or more than can be listed."""

    case_ids: tuple[int, ...]
    more: bool  # more than SHARES_LISTED_UP_TO: use the subquery
    by_user: bool
    by_group: bool


# Within one request the user's grants are read once per permission set (cases.middleware
# opens the scope); a share granted or ended in the request drops them (forget_shares).
_shares = RequestCache("shares_per_request")
shares_request_scope = _shares.scope
forget_shares = _shares.forget


def _grant_tables() -> tuple[str, str, str, str]:
    """The share tables' names: a user's grants, a group's, the permissions, group membership."""
    return (
        CaseUserObjectPermission._meta.db_table,
        CaseGroupObjectPermission._meta.db_table,
        Permission._meta.db_table,
        User.groups.through._meta.db_table,
    )


def _grants_sql(permissions: frozenset[str]) -> str:
    """
    Both grant tables in one statement, each read by its (holder, permission) index and each
    stopped one row past the list's limit: the rows then tell which kinds the user holds even
    when there are too many to list. Written as SQL because this runs on every request that
    asks the door, and building it through the ORM's union cost five times what it runs in.
    """
    codenames = ", ".join(["%s"] * len(permissions))  # placeholders only: values are bound
    user_grants, group_grants, permission, memberships = _grant_tables()
    return (
        f"SELECT * FROM (SELECT g.content_object_id, 1 FROM {user_grants} g"  # noqa: S608
        f" INNER JOIN {permission} p ON p.id = g.permission_id"
        f" WHERE g.user_id = %s AND p.codename IN ({codenames}) LIMIT %s) by_user"
        " UNION ALL"
        f" SELECT * FROM (SELECT g.content_object_id, 2 FROM {group_grants} g"
        f" INNER JOIN {permission} p ON p.id = g.permission_id"
        f" WHERE g.group_id IN (SELECT m.group_id FROM {memberships} m WHERE m.user_id = %s)"
        f" AND p.codename IN ({codenames}) LIMIT %s) by_group"
    )


def share_grants(user: User, permissions: frozenset[str]) -> ShareGrants:
    """The cases on which shares give the user any of `permissions` (one query, bounded)."""
    return _shares.get((user.pk, permissions), lambda: _read_grants(user, permissions))


def _read_grants(user: User, permissions: frozenset[str]) -> ShareGrants:
    codenames = sorted(permissions)
    limit = SHARES_LISTED_UP_TO + 1
    with connection.cursor() as cursor:
        cursor.execute(
            _grants_sql(permissions),
            [user.pk, *codenames, limit, user.pk, *codenames, limit],
        )
        rows = cursor.fetchall()
    more = len(rows) > SHARES_LISTED_UP_TO
    return ShareGrants(
        case_ids=() if more else tuple(sorted({pk for pk, _kind in rows})),
        more=more,
        by_user=any(kind == 1 for _pk, kind in rows),
        by_group=any(kind == 2 for _pk, kind in rows),
    )


def _share_arms(user: User, permissions: frozenset[str], prefix: str) -> list[Q]:
    """The share arms of the door: none without grants, a list of ids, or the grant subqueries."""
    grants = share_grants(user, permissions)
    if not grants.more:
        return [Q(**{f"{prefix}pk__in": grants.case_ids})] if grants.case_ids else []
    arms = []
    if grants.by_user:
        arms.append(
            Q(
                **{
                    f"{prefix}pk__in": CaseUserObjectPermission.objects.filter(
                        user_id=user.pk, permission__codename__in=permissions
                    ).values("content_object_id")
                }
            )
        )
    if grants.by_group:
        groups = list(
            User.groups.through.objects.filter(user_id=user.pk).values_list("group_id", flat=True)
        )
        arms.append(
            Q(
                **{
                    f"{prefix}pk__in": CaseGroupObjectPermission.objects.filter(
                        group_id__in=groups, permission__codename__in=permissions
                    ).values("content_object_id")
                }
            )
        )
    return arms


def _case_shares_sql() -> str:
    """The codenames both grant tables give the user on one case (see _grants_sql)."""
    user_grants, group_grants, permission, memberships = _grant_tables()
    return (
        f"SELECT p.codename FROM {user_grants} g"  # noqa: S608
        f" INNER JOIN {permission} p ON p.id = g.permission_id"
        " WHERE g.user_id = %s AND g.content_object_id = %s"
        " UNION"
        f" SELECT p.codename FROM {group_grants} g"
        f" INNER JOIN {permission} p ON p.id = g.permission_id"
        f" WHERE g.group_id IN (SELECT m.group_id FROM {memberships} m WHERE m.user_id = %s)"
        " AND g.content_object_id = %s"
    )


def shared_permissions(user: User, case: Case) -> set[str]:
    """Return the permissions on this case that shares give the user (one query)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_case_shares_sql(), [user.pk, case.pk, user.pk, case.pk])
        codenames = {codename for (codename,) in cursor.fetchall()}
    return codenames & ALL_CASE_PERMISSIONS


class CasePermissions(frozenset):
    """
    The case permissions a user holds on one case, read once for a page or an answer. Asking
    it about an action that does not exist is an error, not a quiet "no": `"chnage_case" in
    permissions` raises, as can() does. (A template's {% if %} turns any error into False, so
    templates are given named flags, e.g. `can_change`, not this set.)
    """

    def __contains__(self, action: object) -> bool:
        if action not in ALL_CASE_PERMISSIONS:
            raise ValueError(f"Unknown case action: {action}")
        return frozenset.__contains__(self, action)

    def can(self, action: str) -> bool:
        return action in self


NO_PERMISSIONS = CasePermissions()


def case_permissions(user: User, case: Case) -> CasePermissions:
    """Return every case permission the user holds on this one case."""
    if not user.is_authenticated or not user.is_active:
        return NO_PERMISSIONS
    return CasePermissions(
        jurisdiction_of(user).permissions_for(case) | shared_permissions(user, case)
    )


def can(user: User, action: str, case: Case) -> bool:
    """Decide whether the user may take `action` (a case permission codename) on the case."""
    return case_permissions(user, case).can(action)


def can_see(user: User, case: Case) -> bool:
    return bool(case_permissions(user, case) & VIEW_PERMISSIONS)


def visible_condition(user: User, *, permission: str | None = None, prefix: str = "") -> Q | None:
    """
    The door's condition on a case (under `prefix`, e.g. "case__" from a notification), or
    None when the user may see no case. It is the union of cheap arms, each served by an index:
    the communes and the provinces the user holds (the scope-and-order indexes), and the cases
    the user's shares name (see share_grants). A user with one arm gets a plain indexed filter.
    """
    if permission is not None and permission not in ALL_CASE_PERMISSIONS:
        raise ValueError(f"Unknown case action: {permission}")
    if not user.is_authenticated or not user.is_active:
        return None
    wanted = VIEW_PERMISSIONS if permission is None else frozenset({permission})
    jurisdiction = jurisdiction_of(user)
    communes = [pk for pk, perms in jurisdiction.communes.items() if perms & wanted]
    provinces = [pk for pk, perms in jurisdiction.provinces.items() if perms & wanted]
    arms = []
    if communes:
        arms.append(Q(**{f"{prefix}commune_id__in": sorted(communes)}))
    if provinces:
        arms.append(Q(**{f"{prefix}province_id__in": sorted(provinces)}))
    arms.extend(_share_arms(user, wanted, prefix))
    if not arms:
        return None
    condition = arms[0]
    for arm in arms[1:]:
        condition |= arm
    return condition


def cases_visible_to(user: User, *, permission: str | None = None) -> QuerySet[Case]:
    """
    Return every case the user may see at all (the whole file or its summary), or, with
    `permission`, every case on which the user holds that permission (visible_condition).
    """
    condition = visible_condition(user, permission=permission)
    if condition is None:
        return Case.objects.none()
    return Case.objects.filter(condition)


def full_file_ids(user: User, cases: list[Case]) -> set[int]:
    """
    Of cases already visible to the user, return the ids of those whose whole file they may
    read (the others they see as a summary). At most one query beyond the jurisdiction.
    """
    jurisdiction = jurisdiction_of(user)
    full = {case.pk for case in cases if VIEW_CASE in jurisdiction.permissions_for(case)}
    rest = [case.pk for case in cases if case.pk not in full]
    if rest and user.is_authenticated and user.is_active:
        by_user = CaseUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename=VIEW_CASE, content_object_id__in=rest
        ).values_list("content_object_id", flat=True)
        by_group = CaseGroupObjectPermission.objects.filter(
            group_id__in=User.groups.through.objects.filter(user_id=user.pk).values("group_id"),
            permission__codename=VIEW_CASE,
            content_object_id__in=rest,
        ).values_list("content_object_id", flat=True)
        full |= set(by_user.union(by_group))
    return full


@dataclass(frozen=True)
class AccessEntry:
    """Who can see a case right now, with what, and why."""

    kind: str  # "jurisdiction", "group_share" or "user_share"
    users: list[User]
    organisation: Organisation | None
    role: str
    permissions: frozenset[str]
    reason: str


def case_access_explained(case: Case) -> list[AccessEntry]:
    """List everyone who can see the case now, and why: jurisdiction, or which share."""
    from accounts.models import GROUP_PREFIX, Membership

    entries: list[AccessEntry] = []
    scopes = [
        (
            Organisation.Kind.COMMUNE_COMMITTEE,
            case.commune_id,
            (Role.CP_OFFICER, Role.CHAIRMAN, Role.DEPUTY_CHAIRMAN),
        ),
        (Organisation.Kind.PROVINCIAL_HEALTH, case.province_id, (Role.SUPERVISOR,)),
    ]
    holders = Q(pk__in=[])
    for kind, area_id, roles in scopes:
        holders |= Q(organisation__kind=kind, organisation__area_id=area_id, role__in=roles)
    memberships = (
        Membership.objects.filter(holders)
        .filter(organisation__is_active=True, is_active=True, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("organisation__kind", "organisation_id", "role", "user_id")
    )
    grouped: dict[tuple[int, str], list[User]] = {}
    orgs: dict[int, Organisation] = {}
    for m in memberships:
        grouped.setdefault((m.organisation_id, m.role), []).append(m.user)
        orgs[m.organisation_id] = m.organisation
    for (org_id, role), users in grouped.items():
        entries.append(
            AccessEntry(
                "jurisdiction", users, orgs[org_id], role, JURISDICTION_PERMISSIONS[role], ""
            )
        )
    group_rows = list(
        CaseGroupObjectPermission.objects.filter(content_object=case).select_related(
            "group", "permission"
        )
    )
    by_group: dict[int, list[CaseGroupObjectPermission]] = {}
    for row in group_rows:
        by_group.setdefault(row.group_id, []).append(row)
    # Group names are org:<organisation uuid>:<role>; read only the organisations named.
    parsed: dict[int, tuple[str, str]] = {}
    for group_id, rows in by_group.items():
        parts = rows[0].group.name.split(":")
        if len(parts) == 3 and parts[0] + ":" == GROUP_PREFIX:
            parsed[group_id] = (parts[1], parts[2])
    organisations = {
        str(o.public_id): o
        for o in Organisation.objects.filter(public_id__in=[v[0] for v in parsed.values()])
    }
    members: dict[int, list[User]] = {}
    if by_group:
        for group_id, user in (
            (m.group_id, m.user)
            for m in User.groups.through.objects.filter(
                group_id__in=list(by_group), user__is_active=True
            ).select_related("user")
        ):
            members.setdefault(group_id, []).append(user)
    for group_id, rows in by_group.items():
        uuid_text, role = parsed.get(group_id, ("", ""))
        entries.append(
            AccessEntry(
                "group_share",
                members.get(group_id, []),
                organisations.get(uuid_text),
                role,
                frozenset(r.permission.codename for r in rows),
                rows[0].reason,
            )
        )
    user_rows = CaseUserObjectPermission.objects.filter(content_object=case).select_related(
        "user", "permission"
    )
    by_user: dict[int, list[CaseUserObjectPermission]] = {}
    for row in user_rows:
        by_user.setdefault(row.user_id, []).append(row)
    for rows in by_user.values():
        entries.append(
            AccessEntry(
                "user_share",
                [rows[0].user],
                None,
                "",
                frozenset(r.permission.codename for r in rows),
                rows[0].reason,
            )
        )
    return entries
