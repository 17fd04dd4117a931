"""
A realistic country at national scale, written fast (``manage.py generate_scale``).

Over the real 34 provinces and 3,321 communes: the organisations that act (a People's Committee,
a school, a health station and a police unit per commune, a Department of Health per province,
the national hotline 111), their staff with memberships and role groups, and N cases at every
stage of the Decree 56 workflow, each with the history, clocks, assessments, plans, referrals,
shares and notifications the services would have left, and a verifiable audit trail.

Rows are generated in Python, deterministically from a seed, and streamed to PostgreSQL with
``COPY ... FROM STDIN`` by a writer thread (so the generator and the server work at the same
time). When the tables start empty the whole load is one transaction that truncates them and
copies with FREEZE (VACUUM then has little to do), with secondary indexes dropped during the
load and rebuilt at its end. Triggers (foreign-key checks) are off for the loading session
(``session_replication_role = replica``): the ids are assigned here and checked afterwards
(``--check``).

What the services do and this module mirrors, not calls: cases.services (steps, numbers,
history rows), cases.deadlines (the rules as data: the engine below applies the seeded rules'
started_by / met_by / waived_by with the same keys), referrals.services (shares per open
referral, the referral's own group permissions, history rows), hotline.services (the hotline's
share) and accounts.services (users in exactly the groups of their active memberships).
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import io
import itertools
import json
import math
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connection, models
from django.utils import translation

from accounts.models import GROUP_PREFIX, AdministrativeUnit, Membership, Organisation, Role, User
from audit.chain import GENESIS, content_of, entry_hash
from audit.models import AuditEntry
from cases.calendar import is_working_day
from cases.models import (
    Assessment,
    Case,
    CaseDeadline,
    CaseGroupObjectPermission,
    CaseNumberSequence,
    CaseTransition,
    Child,
    DeadlineRule,
    EmergencyDecision,
    NeedsMeeting,
    Notification,
    Plan,
    PlanActivity,
)
from cases.names import name_key
from cases.workflow import OPEN_STATES
from referrals.models import Referral, ReferralGroupObjectPermission, ReferralUpdate

DAY = 86400
HOUR = 3600
LOCAL_OFFSET = 7 * HOUR  # Asia/Ho_Chi_Minh, no daylight saving time
YEARS = 5

# ---------------------------------------------------------------------------------------------
# COPY text format


def esc(text: str) -> str:
    """Escape text for COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


NULL = "\\N"


def copy_text(value: Any) -> str:
    """Any Python value as a COPY field (used for the slow, rare paths and for defaults)."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        return esc(json.dumps(value, ensure_ascii=False))
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return esc(str(value))


_TIMES = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]
_DAYS: dict[int, str] = {}


def _day_text(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()
    return text


def ts(t: int) -> str:
    """An epoch second (UTC) as a timestamptz literal."""
    return f"{_day_text(t // DAY)} {_TIMES[t % DAY]}+00"


def local_day(t: int) -> int:
    return (t + LOCAL_OFFSET) // DAY


def local_date_text(t: int) -> str:
    return _day_text(local_day(t))


def end_of_local_day(day: int) -> tuple[int, str]:
    """The last instant of a local day: (epoch second, literal with .999999 as the app writes)."""
    return day * DAY + DAY - 1 - LOCAL_OFFSET, f"{_day_text(day)} 23:59:59.999999+07"


_WORKING: dict[tuple[int, int], int] = {}


def add_working_days_local(day: int, days: int) -> int:
    """cases.calendar.add_working_days on local day numbers (cached)."""
    key = (day, days)
    result = _WORKING.get(key)
    if result is None:
        date = datetime.date(1970, 1, 1) + datetime.timedelta(days=day)
        for _ in range(days):
            date += datetime.timedelta(days=1)
            while not is_working_day(date):
                date += datetime.timedelta(days=1)
        result = _WORKING[key] = (date - datetime.date(1970, 1, 1)).days
    return result


def uuid4(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


_UUID_MASK = ~(0xF000 << 64) & ~(0xC000 << 48) & ((1 << 128) - 1)
_UUID_BITS = (0x4000 << 64) | (0x8000 << 48)


def uuid4_text(rng: random.Random) -> str:
    """str(uuid4(rng)), faster: a version-4 UUID from the seeded generator."""
    h = "%032x" % ((rng.getrandbits(128) & _UUID_MASK) | _UUID_BITS)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAME_KEYS: dict[str, str] = {}


def name_key_cached(name: str) -> str:
    key = _NAME_KEYS.get(name)
    if key is None:
        key = _NAME_KEYS[name] = name_key(name)
    return key


# ---------------------------------------------------------------------------------------------
# The loader: tables, the writer thread


def _default_text(field: models.Field, now_text: str) -> str:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now_text
    if field.has_default():
        value = field.get_default()
        if isinstance(value, uuid.UUID):
            raise ValueError(f"{field.model.__name__}.{field.name} needs a value per row")
        return copy_text(value)
    if field.null:
        return NULL
    if isinstance(field, (models.CharField, models.TextField)):
        return ""
    raise ValueError(f"{field.model.__name__}.{field.name} has no default: give it a value")


class Table:
    """One table being loaded: its columns (the given ones, then every other with its default)."""

    def __init__(self, loader: Loader, model: type[models.Model], columns: list[str]) -> None:
        self.loader = loader
        self.model = model
        self.name = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no field {unknown}")
        rest = [f for f in model._meta.concrete_fields if f.attname not in columns]
        self.columns = [fields[c].column for c in columns] + [f.column for f in rest]
        self.suffix = "".join("\t" + _default_text(f, loader.now_text) for f in rest)
        self.lines: list[str] = []
        self.rows = 0
        self.copy_seconds = 0.0
        self.next_id = 1
        self.freeze = loader.freeze

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= self.loader.batch:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        suffix = self.suffix
        if suffix:
            data = (suffix + "\n").join(self.lines) + suffix + "\n"
        else:
            data = "\n".join(self.lines) + "\n"
        self.rows += len(self.lines)
        self.lines = []
        self.loader.send(self, data.encode())

    def take_ids(self, count: int) -> int:
        first = self.next_id
        self.next_id += count
        return first


class Loader:
    """Streams COPY batches to the database from a writer thread."""

    def __init__(self, raw_connection: Any, *, freeze: bool, batch: int, now_text: str) -> None:
        self.raw = raw_connection
        self.freeze = freeze
        self.batch = batch
        self.now_text = now_text
        self.tables: dict[str, Table] = {}
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def sync(self) -> None:
        """Wait until everything sent is copied: only then may this thread use the connection."""
        self.queue.join()
        if self.error is not None:
            raise self.error

    def table(self, model: type[models.Model], columns: list[str]) -> Table:
        self.sync()
        table = Table(self, model, columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}")  # noqa: S608
            table.next_id = cursor.fetchone()[0] + 1
        self.tables[table.name] = table
        return table

    def send(self, table: Table, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((table, data))

    def _write(self) -> None:
        cursor = self.raw.cursor()
        while True:
            item = self.queue.get()
            if item is None:
                self.queue.task_done()
                return
            if self.error is not None:
                self.queue.task_done()
                continue
            table, data = item
            started = time.monotonic()
            freeze = " WITH (FREEZE)" if table.freeze else ""
            try:
                cursor.copy_expert(
                    f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN{freeze}",
                    io.BytesIO(data),
                    size=1 << 20,
                )
            except BaseException as error:  # reported by the next send or by close
                self.error = error
            table.copy_seconds += time.monotonic() - started
            self.queue.task_done()

    def flush_all(self) -> None:
        for table in self.tables.values():
            table.flush()

    def close(self) -> None:
        self.flush_all()
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


# ---------------------------------------------------------------------------------------------
# Names and texts

FAMILY = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương "
    "Lâm Mai Đào Cao Hà Lương Tạ Triệu Quách Chu Lục Thái"
).split()
FAMILY_WEIGHTS = [38, 11, 9.5, 7, 5.1, 5, 4.5, 3.9, 3.5, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5]
FAMILY_WEIGHTS += [0.4] * (len(FAMILY) - len(FAMILY_WEIGHTS))
FAMILY_CUM = list(itertools.accumulate(FAMILY_WEIGHTS))
MIDDLE_M = "Văn Đức Minh Quang Hữu Thành Công Xuân Gia Anh".split()
MIDDLE_F = "Thị Ngọc Thu Thanh Kim Bảo Minh Phương Mai Diệu".split()
GIVEN_M = (
    "An Bình Cường Dũng Đạt Đức Hải Hiếu Hoàng Huy Hùng Khang Khánh Khoa Kiên Lâm Long Minh "
    "Nam Nghĩa Nhân Phát Phong Phúc Quân Quang Sơn Tài Thắng Thành Thịnh Tiến Toàn Trung Tuấn "
    "Tùng Việt Vinh Vũ"
).split()
GIVEN_F = (
    "Anh Ánh Chi Diệp Dung Giang Hà Hân Hằng Hiền Hoa Huệ Hương Lan Linh Loan Ly Mai My Nga "
    "Ngân Ngọc Nhi Nhung Oanh Phương Quỳnh Tâm Thảo Thu Thủy Trang Trâm Trinh Tú Uyên Vân Vy "
    "Xuân Yến"
).split()
# Codes of the ethnic groups (cases.models.EthnicGroup): mostly Kinh, then the larger minorities.
ETHNICITIES = ["01"] * 17 + ["02", "03", "06", "05", "08", "07", "09"]
PLACES = ["tại nhà", "tại trường học", "gần chợ", "trên đường đi học", "tại nhà hàng xóm"]
CONDITIONS = [
    "Trẻ có vết bầm tím ở tay và lưng, sợ hãi khi nhắc đến người nhà.",
    "Trẻ bỏ học nhiều ngày, thường xuyên bị bỏ đói.",
    "Trẻ có dấu hiệu bị xâm hại, cần được khám và hỗ trợ tâm lý.",
    "Trẻ bị bạn học đánh nhiều lần, không muốn đến trường.",
    "Trẻ ở nhà một mình, cha mẹ đi làm ăn xa.",
    "Trẻ bị ép đi bán hàng rong đến khuya.",
]
MEASURES = ["s_carer_counselling", "s_social_assistance", "s_skills", "s_education", "s_health"]
KIND_PURPOSE = {
    Organisation.Kind.SCHOOL: ("s_education", "Đề nghị nhà trường theo dõi, hỗ trợ trẻ đi học."),
    Organisation.Kind.HEALTH_FACILITY: ("i_medical", "Đề nghị khám sức khỏe và hỗ trợ tâm lý."),
    Organisation.Kind.POLICE: ("s_legal", "Đề nghị xác minh và xử lý theo quy định."),
}
RATINGS = ("high", "medium", "low")


def person_name(rng: random.Random, female: bool) -> str:
    family = rng.choices(FAMILY, cum_weights=FAMILY_CUM)[0]
    if female:
        return f"{family} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
    return f"{family} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"


# ---------------------------------------------------------------------------------------------
# The world: organisations, users, memberships, groups


@dataclass
class OrgInfo:
    id: int
    public_id: str
    kind: str
    area_id: int | None
    name: str
    groups: dict[str, int] = field(default_factory=dict)  # role -> group id
    members: dict[str, list[int]] = field(default_factory=dict)  # role -> active user ids


@dataclass
class CommuneInfo:
    id: int
    code: str
    name: str
    province_id: int
    committee: OrgInfo | None = None
    sectors: dict[str, OrgInfo] = field(default_factory=dict)


@dataclass
class World:
    provinces: dict[int, AdministrativeUnit]
    communes: list[CommuneInfo]
    provincial: dict[int, OrgInfo]  # province id -> Department of Health
    hotline: OrgInfo
    usernames: dict[int, str]
    created: bool


ROLES_OF_KIND = {
    Organisation.Kind.COMMUNE_COMMITTEE: (Role.CP_OFFICER, Role.CHAIRMAN, Role.COLLABORATOR),
    Organisation.Kind.SCHOOL: (Role.SECTOR_STAFF,),
    Organisation.Kind.HEALTH_FACILITY: (Role.SECTOR_STAFF,),
    Organisation.Kind.POLICE: (Role.SECTOR_STAFF,),
    Organisation.Kind.PROVINCIAL_HEALTH: (Role.SUPERVISOR, Role.AUDITOR),
    Organisation.Kind.HOTLINE: (Role.HOTLINE_OPERATOR, Role.AUDITOR),
}
SECTOR_KINDS = (
    Organisation.Kind.SCHOOL,
    Organisation.Kind.HEALTH_FACILITY,
    Organisation.Kind.POLICE,
)


def current_units() -> tuple[dict[int, AdministrativeUnit], list[CommuneInfo]]:
    units = AdministrativeUnit.objects.filter(valid_to__isnull=True)
    provinces = {u.pk: u for u in units.filter(level=AdministrativeUnit.Level.PROVINCE)}
    parents = dict(AdministrativeUnit.objects.values_list("pk", "parent_id"))
    communes = []
    for unit in units.filter(level=AdministrativeUnit.Level.COMMUNE).order_by("code"):
        parent = unit.parent_id
        while parent is not None and parent not in provinces:
            parent = parents.get(parent)
        if parent is None:
            continue
        communes.append(CommuneInfo(unit.pk, unit.code, unit.name, parent))
    return provinces, communes


def world_load_existing(provinces, communes) -> World | None:
    """The world a previous run made (one People's Committee per commune), or None."""
    committees = Organisation.objects.filter(kind=Organisation.Kind.COMMUNE_COMMITTEE)
    by_area = {}
    orgs: dict[int, OrgInfo] = {}
    for o in Organisation.objects.filter(is_active=True).order_by("pk"):
        orgs[o.pk] = OrgInfo(o.pk, str(o.public_id), o.kind, o.area_id, o.name)
    for o in committees.filter(is_active=True).order_by("pk"):
        by_area.setdefault(o.area_id, orgs[o.pk])
    if any(c.id not in by_area for c in communes):
        return None
    hotline = next((o for o in orgs.values() if o.kind == Organisation.Kind.HOTLINE), None)
    provincial = {}
    for o in orgs.values():
        if o.kind == Organisation.Kind.PROVINCIAL_HEALTH:
            provincial.setdefault(o.area_id, o)
    if hotline is None or any(p not in provincial for p in provinces):
        return None
    groups = dict(Group.objects.filter(name__startswith=GROUP_PREFIX).values_list("name", "pk"))
    by_public = {o.public_id: o for o in orgs.values()}
    for name, pk in groups.items():
        _prefix, public_id, role = name.split(":")
        if public_id in by_public:
            by_public[public_id].groups[role] = pk
    for user_id, org_id, role in Membership.objects.filter(
        is_active=True, user__is_active=True, organisation__is_active=True
    ).values_list("user_id", "organisation_id", "role"):
        if org_id in orgs:
            orgs[org_id].members.setdefault(role, []).append(user_id)
    sectors: dict[tuple[int, str], OrgInfo] = {}
    for o in orgs.values():
        if o.kind in SECTOR_KINDS:
            sectors.setdefault((o.area_id, o.kind), o)
    for commune in communes:
        commune.committee = by_area[commune.id]
        for kind in SECTOR_KINDS:
            if (commune.id, kind) in sectors:
                commune.sectors[kind] = sectors[(commune.id, kind)]
        if not commune.committee.members.get(Role.CP_OFFICER) or not commune.committee.members.get(
            Role.CHAIRMAN
        ):
            return None
    usernames = dict(User.objects.values_list("pk", "username"))
    return World(provinces, communes, provincial, hotline, usernames, created=False)


def world_create(loader: Loader, rng: random.Random, provinces, communes, now: int) -> World:
    """Organisations, users, memberships and role groups over the real units."""
    orgs_t = loader.table(Organisation, ["id", "public_id", "kind", "name", "area_id", "is_active"])
    users_t = loader.table(
        User,
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "is_staff",
            "is_active",
            "date_joined",
            "public_id",
            "full_name",
            "phone",
        ],
    )
    groups_t = loader.table(Group, ["id", "name"])
    members_t = loader.table(
        Membership, ["id", "user_id", "organisation_id", "role", "is_active", "created_at"]
    )
    user_groups_t = loader.table(User.groups.through, ["id", "user_id", "group_id"])
    usernames: dict[int, str] = {}
    start = now - YEARS * 365 * DAY - 60 * DAY

    def org(kind: str, name: str, area_id: int | None) -> OrgInfo:
        info = OrgInfo(orgs_t.take_ids(1), str(uuid4(rng)), kind, area_id, name)
        orgs_t.add(f"{info.id}\t{info.public_id}\t{kind}\t{esc(name)}\t{copy_text(area_id)}\tt")
        for role in ROLES_OF_KIND[kind]:
            gid = groups_t.take_ids(1)
            info.groups[role] = gid
            groups_t.add(f"{gid}\t{GROUP_PREFIX}{info.public_id}:{role}")
        return info

    def user(username: str, *, active: bool = True) -> int:
        uid = users_t.take_ids(1)
        female = rng.random() < 0.55
        joined = ts(start + rng.randrange(YEARS * 180 * DAY))
        password = "!" + "".join(
            rng.choices("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=40)
        )
        phone = f"+849{rng.randrange(10**7, 10**8)}"
        users_t.add(
            f"{uid}\t{password}\tf\t{username}\tf\t{'t' if active else 'f'}\t{joined}\t"
            f"{uuid4(rng)}\t{person_name(rng, female)}\t{phone}"
        )
        usernames[uid] = username
        return uid

    def member(uid: int, info: OrgInfo, role: str, *, active: bool = True) -> None:
        members_t.add(
            f"{members_t.take_ids(1)}\t{uid}\t{info.id}\t{role}\t{'t' if active else 'f'}\t"
            f"{ts(start + rng.randrange(YEARS * 180 * DAY))}"
        )
        if active:
            info.members.setdefault(role, []).append(uid)
            user_groups_t.add(f"{user_groups_t.take_ids(1)}\t{uid}\t{info.groups[role]}")

    hotline = org(Organisation.Kind.HOTLINE, "Tổng đài quốc gia bảo vệ trẻ em 111", None)
    for i in range(1, 41):
        member(user(f"tongdai111.{i:02d}"), hotline, Role.HOTLINE_OPERATOR)
    member(user("kiemtoan.111"), hotline, Role.AUDITOR)
    provincial = {}
    for pid, province in sorted(provinces.items(), key=lambda p: p[1].code):
        info = provincial[pid] = org(
            Organisation.Kind.PROVINCIAL_HEALTH, f"Sở Y tế {province.name}", pid
        )
        for i in range(1, 2 + rng.randrange(3)):
            member(user(f"giamsat.{province.code}.{i}"), info, Role.SUPERVISOR)
        member(user(f"kiemtoan.{province.code}"), info, Role.AUDITOR)
    sector_names = {
        Organisation.Kind.SCHOOL: ("Trường THCS", "gv", 2, 4),
        Organisation.Kind.HEALTH_FACILITY: ("Trạm Y tế", "yt", 2, 4),
        Organisation.Kind.POLICE: ("Công an", "ca", 2, 4),
    }
    for commune in communes:
        code = commune.code
        committee = commune.committee = org(
            Organisation.Kind.COMMUNE_COMMITTEE, f"UBND {commune.name}", commune.id
        )
        for i in range(1, 2 + (rng.random() < 0.5)):
            member(user(f"canbo.{code}.{i}"), committee, Role.CP_OFFICER)
        if rng.random() < 0.15:  # an officer who moved on: the membership ended, no groups
            member(user(f"canbo.{code}.cu"), committee, Role.CP_OFFICER, active=False)
        member(user(f"chutich.{code}"), committee, Role.CHAIRMAN)
        for i in range(1, 4 + rng.randrange(4)):
            member(user(f"ctv.{code}.{i}"), committee, Role.COLLABORATOR)
        for kind, (prefix, short, low, high) in sector_names.items():
            info = commune.sectors[kind] = org(kind, f"{prefix} {commune.name}", commune.id)
            for i in range(1, low + 1 + rng.randrange(high - low + 1)):
                uid = user(f"{short}.{code}.{i}")
                member(uid, info, Role.SECTOR_STAFF)
                if kind == Organisation.Kind.SCHOOL and rng.random() < 0.15:
                    member(uid, committee, Role.COLLABORATOR)  # a teacher who also reports
    return World(provinces, communes, provincial, hotline, usernames, created=True)


# ---------------------------------------------------------------------------------------------
# The deadline engine, mirrored on the seeded rules


@dataclass
class Rule:
    id: int
    code: str
    started_by: frozenset[str]
    met_by: frozenset[str]
    waived_by: frozenset[str]
    duration: int
    unit: str
    escalate_to: tuple[str, ...]


class Clocks:
    """One case's clocks, as cases.deadlines.deadlines_on_event would leave them."""

    __slots__ = ("index", "clocks")

    def __init__(self, index: dict[str, tuple[list[Rule], list[Rule]]]) -> None:
        self.index = index  # event -> (rules it meets or waives, rules it starts)
        # [rule, key, starts, due_ts, due_text, met, waived]
        self.clocks: list[list[Any]] = []

    def event(
        self,
        event: str,
        at: int,
        key: str = "",
        start_key: str | None = None,
        due_on: int | None = None,
        due: tuple[int, str] | None = None,
    ) -> None:
        clocks = self.clocks
        if event == "case_finished":
            for clock in clocks:
                if clock[5] is None and clock[6] is None:
                    clock[6] = at
            return
        touched, started = self.index.get(event, ((), ()))
        prefix = key + "-"
        for rule in touched:
            waive = event in rule.waived_by
            meet = event in rule.met_by
            if waive or meet:
                for clock in clocks:
                    if (
                        clock[0] is rule
                        and clock[5] is None
                        and clock[6] is None
                        and (clock[1] == key or clock[1].startswith(prefix))
                    ):
                        if waive:
                            clock[6] = at
                        if meet and clock[6] is None:
                            clock[5] = at
        for rule in started:
            new_key = start_key if start_key is not None else key
            if any(c[0] is rule and c[1] == new_key for c in clocks):
                continue
            if due is not None:
                due_ts, due_text = due
            elif rule.unit == "hours":
                due_ts = at + rule.duration * HOUR
                due_text = ts(due_ts)
            elif rule.unit == "working_days":
                due_ts, due_text = end_of_local_day(
                    add_working_days_local(local_day(at), rule.duration)
                )
            elif rule.unit == "calendar_days":
                due_ts, due_text = end_of_local_day(local_day(at) + rule.duration)
            else:  # plan_date
                due_ts, due_text = end_of_local_day(due_on)
            clocks.append([rule, new_key, at, due_ts, due_text, None, None])


# ---------------------------------------------------------------------------------------------
# The cases


@dataclass
class Options:
    cases: int
    seed: int
    now: int
    audit_days: int = 21
    audit_max: int = 400_000
    referral_rate: float = 0.05
    hotline_rate: float = 0.095
    progress: Callable[[str], None] = print


S = Case.Status
OPEN = {s.value for s in OPEN_STATES}  # the workflow's own list, as plain strings


def province_shares(rng: random.Random, world: World) -> dict[int, float]:
    """Cases per province: about the commune count, skewed, the largest at 5% of the country."""
    count: dict[int, int] = {}
    for c in world.communes:
        count[c.province_id] = count.get(c.province_id, 0) + 1
    weights = {p: n * rng.lognormvariate(0, 0.35) for p, n in sorted(count.items())}
    largest = max(weights, key=weights.get)
    rest = sum(w for p, w in weights.items() if p != largest)
    if len(weights) == 1:
        return {largest: 1.0}
    shares = {p: 0.95 * w / rest for p, w in weights.items() if p != largest}
    shares[largest] = 0.05
    return shares


class Generator:
    """Writes N cases with everything that follows from each one's stage."""

    def __init__(self, loader: Loader, world: World, options: Options) -> None:
        loader.sync()  # the queries below use the connection the writer thread copies on
        self.loader = loader
        self.world = world
        self.o = options
        self.rng = random.Random(options.seed * 7919 + 1)
        self.now = options.now
        self.audit_from = options.now - options.audit_days * DAY
        self.audit_events: list[tuple] = []
        rules = []
        for r in DeadlineRule.objects.filter(is_active=True).order_by("pk"):
            rules.append(
                Rule(
                    r.pk,
                    r.code,
                    frozenset(r.started_by),
                    frozenset(r.met_by),
                    frozenset(r.waived_by),
                    r.duration,
                    r.unit,
                    tuple(r.escalate_to),
                )
            )
        self.rules = rules
        events = {e for r in rules for e in (*r.started_by, *r.met_by, *r.waived_by)}
        self.clock_index = {
            e: (
                [r for r in rules if e in r.met_by or e in r.waived_by],
                [r for r in rules if e in r.started_by],
            )
            for e in events
        }
        self.rules_by_code = {r.code: r for r in rules}
        perms = {
            (p.content_type.app_label, p.codename): p.pk
            for p in Permission.objects.select_related("content_type").filter(
                content_type__app_label__in=["cases", "referrals"]
            )
        }
        self.perm_view_case = perms[("cases", "view_case")]
        self.perm_summary = perms[("cases", "view_case_summary")]
        self.perm_view_referral = perms[("referrals", "view_referral")]
        self.perm_respond_referral = perms[("referrals", "respond_referral")]
        with translation.override("vi"):
            self.hotline_reason = esc(translation.gettext("Received by hotline 111"))
        t = loader.table
        self.children = t(
            Child,
            [
                "id",
                "public_id",
                "full_name",
                "name_key",
                "sex",
                "date_of_birth",
                "estimated_age",
                "ethnic_group",
                "residence_commune_id",
                "address",
                "special_circumstances",
                "created_at",
            ],
        )
        self.cases = t(
            Case,
            [
                "id",
                "public_id",
                "number",
                "child_id",
                "commune_id",
                "province_id",
                "incident_commune_id",
                "status",
                "received_at",
                "received_by_id",
                "source",
                "channel",
                "target_group",
                "abuse_forms",
                "abuse_settings",
                "protection_level",
                "incident_place",
                "child_condition",
                "emergency_required",
                "merged_into_id",
                "closed_at",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        self.transitions = t(
            CaseTransition,
            [
                "id",
                "case_id",
                "name",
                "from_status",
                "to_status",
                "actor_id",
                "at",
                "reason",
                "details",
            ],
        )
        self.deadlines = t(
            CaseDeadline,
            [
                "id",
                "case_id",
                "commune_id",
                "rule_id",
                "key",
                "starts_at",
                "due_at",
                "met_at",
                "waived_at",
                "escalated_at",
            ],
        )
        self.assessments = t(
            Assessment,
            [
                "id",
                "public_id",
                "case_id",
                "kind",
                "assessed_at",
                "assessor_id",
                "harm_severity",
                "abuser_access",
                "care_obstacles",
                "self_protection",
                "recovery",
                "summary",
                "emergency_required",
                "needs",
                "carer_safe",
                "no_remaining_risk",
                "child_stable",
                "recommendation",
            ],
        )
        self.decisions = t(
            EmergencyDecision,
            [
                "id",
                "public_id",
                "case_id",
                "kind",
                "decision_number",
                "decided_at",
                "decided_by_id",
                "measures",
                "separated_from",
                "ground",
                "safe_place",
                "alternative_care",
                "starts_at",
                "ends_at",
                "ended_at",
                "end_reason",
            ],
        )
        self.meetings = t(
            NeedsMeeting,
            [
                "id",
                "case_id",
                "held_at",
                "chaired_by",
                "attendees",
                "minutes",
                "recorded_by_id",
                "recorded_at",
            ],
        )
        self.plans = t(
            Plan,
            [
                "id",
                "public_id",
                "case_id",
                "version",
                "status",
                "objectives",
                "review_on",
                "drafted_by_id",
                "drafted_at",
                "submitted_at",
                "submission_count",
                "approved_by_id",
                "approved_at",
                "decision_number",
                "decision_date",
            ],
        )
        self.activities = t(
            PlanActivity,
            [
                "id",
                "public_id",
                "plan_id",
                "measure",
                "description",
                "organisation_id",
                "starts_on",
                "ends_on",
                "status",
            ],
        )
        self.referrals = t(
            Referral,
            [
                "id",
                "public_id",
                "case_id",
                "organisation_id",
                "purpose",
                "message",
                "status",
                "sent_by_id",
                "sent_at",
                "acknowledge_due_at",
                "feedback_due_at",
                "acknowledged_at",
                "acknowledged_by_id",
                "receipt_number",
                "receipt_hash",
                "responded_at",
                "decline_reason",
                "closed_at",
                "revoke_reason",
            ],
        )
        self.referral_updates = t(
            ReferralUpdate, ["id", "referral_id", "kind", "text", "author_id", "created_at"]
        )
        self.referral_perms = t(
            ReferralGroupObjectPermission, ["id", "permission_id", "group_id", "content_object_id"]
        )
        self.shares = t(
            CaseGroupObjectPermission,
            ["id", "permission_id", "group_id", "content_object_id", "reason"],
        )
        self.notifications = t(
            Notification,
            ["id", "recipient_id", "kind", "case_id", "deadline_id", "created_at", "read_at"],
        )
        self.sequences: dict[int, int] = dict(
            CaseNumberSequence.objects.values_list("year", "last_value")
        )
        self.status_counts: dict[str, int] = {}
        self.last_open_case: dict[int, tuple[int, str, int]] = {}  # commune -> (id, number, t)

    # -- helpers ------------------------------------------------------------------------------

    def _number(self, received: int) -> str:
        year = (datetime.date(1970, 1, 1) + datetime.timedelta(days=local_day(received))).year
        value = self.sequences.get(year, 0) + 1
        self.sequences[year] = value
        return f"{year}-{value:06d}"

    def _audit(self, at: int, actor: int | None, org: OrgInfo | None, action: str, **rest) -> None:
        if at >= self.audit_from and at <= self.now:
            self.audit_events.append((at, actor, org, action, rest))

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        o, rng, world = self.o, self.rng, self.world
        shares = province_shares(rng, world)
        by_province: dict[int, list[CommuneInfo]] = {}
        for c in world.communes:
            by_province.setdefault(c.province_id, []).append(c)
        communes: list[CommuneInfo] = []
        weights: list[float] = []
        for pid, members in sorted(by_province.items()):
            local = [rng.lognormvariate(0, 1.0) for _ in members]
            total = sum(local)
            for commune, w in zip(members, local, strict=True):
                communes.append(commune)
                weights.append(shares[pid] * w / total)
        cum = []
        acc = 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        # Received times over the last five years, more each year (density rising 1 → 2).
        span = YEARS * 365 * DAY
        start = self.now - span
        us = sorted(rng.random() for _ in range(o.cases))
        received_all = [start + int(span * (-1 + math.sqrt(1 + 3 * u))) for u in us]
        del us
        started = time.monotonic()
        step = max(o.cases // 20, 1)
        for index, received in enumerate(received_all):
            commune = communes[bisect.bisect_left(cum, rng.random() * acc)]
            self.case(commune, received)
            if (index + 1) % step == 0:
                elapsed = time.monotonic() - started
                o.progress(f"  cases {index + 1:,}/{o.cases:,} ({elapsed:.0f}s)")

    def case(self, commune: CommuneInfo, received: int) -> None:  # noqa: C901 (one story)
        rng = self.rng
        r = rng.random
        now = self.now
        audit_from = self.audit_from
        committee = commune.committee
        officers = committee.members[Role.CP_OFFICER]
        officer = officers[int(r() * len(officers))]
        chairman = committee.members[Role.CHAIRMAN][0]
        case_id = self.cases.take_ids(1)
        case_uuid = uuid4_text(rng)
        number = self._number(received)
        clocks = Clocks(self.clock_index)
        trans: list[tuple] = []  # (at, name, from, to, actor, reason, details)
        status = S.RECEIVED.value
        version = 1

        # Intake: the hotline (a share to it), a collaborator, the commune itself.
        u = r()
        if u < self.o.hotline_rate:
            source, channel = "hotline", ("phone" if r() < 0.85 else "app")
            operators = self.world.hotline.members[Role.HOTLINE_OPERATOR]
            received_by = operators[int(r() * len(operators))]
        elif u < 0.40:
            source, channel, received_by = "collaborator", "third_party", officer
        else:
            source = ("commune", "school", "police", "health", "other")[int(r() * 5)]
            channel, received_by = "in_person", officer
        clocks.event("case_received", received)
        created = received + (int(r() * 900) if source == "hotline" else 0)
        self._audit(
            created,
            received_by,
            self.world.hotline if source == "hotline" else committee,
            "write",
            object_type="case",
            object_id=case_uuid,
            case_id=case_uuid,
            detail={
                "operation": "intake_open_case" if source == "hotline" else "case_create",
                "via": "page",
            },
        )

        def step(
            at: int, name: str, to: str | None, actor: int, reason: str = "", details: str = "{}"
        ):
            nonlocal status, version
            frm = status
            if to is not None:
                status = to
            version += 1
            trans.append((at, name, frm, status, actor, reason, details))
            if at < audit_from:
                return
            self._audit(
                at,
                actor,
                committee,
                "transition",
                object_type="case",
                object_id=case_uuid,
                case_id=case_uuid,
                detail={
                    "step": name,
                    "from": frm,
                    "to": status,
                    "via": "page",
                    "view": "cases:step",
                },
            )

        # The story: how far it gets (cut at now), and how it ends.
        emergency = r() < 0.15
        outcome = r()
        stuck_at = int(r() * 12) if r() < 0.05 else 99
        t = received
        closed_at = None
        merged_into = None
        assessments: list[tuple] = []
        plan_rows: list[list[Any]] = []
        decision_row = None
        meeting_row = None
        phase = 0
        kinds_referred: list[str] = []
        specific_at = None

        def ratings(level: float) -> str:
            return "\t".join(RATINGS[min(2, int(r() * 2 + level))] for _ in range(5))

        def alive(at: int) -> bool:
            nonlocal phase
            phase += 1
            return at <= now and phase < stuck_at

        # Transfer from a neighbouring commune (a case reported where it did not happen).
        if r() < 0.01:
            other = self.world.communes[int(r() * len(self.world.communes))]
            at = received + 3600 + int(r() * 2 * DAY)
            if at <= now and other.id != commune.id:
                step(
                    at,
                    "transfer",
                    None,
                    other.committee.members[Role.CP_OFFICER][0],
                    "Trẻ cư trú tại địa bàn khác.",
                    json.dumps({"from_commune": other.code, "to_commune": commune.code}),
                )
                t = at

        if outcome < 0.35 and not emergency:
            # Not substantiated, after an initial assessment or at once.
            if r() < 0.6:
                at = t + int(rng.expovariate(1 / (4 * HOUR))) + 600
                if alive(at):
                    assessments.append(("initial", at, officer, ratings(1.4), "f"))
                    step(
                        at,
                        "assess_initial",
                        S.INITIAL_ASSESSED,
                        officer,
                        details='{"emergency_required": false}',
                    )
                    clocks.event("initial_assessed_no_emergency", at)
                    t = at
            at = t + 2 * HOUR + int(r() * 9 * DAY if status != "received" else r() * 9 * HOUR)
            if status in ("received", "initial_assessed") and alive(at):
                step(
                    at,
                    "mark_not_substantiated",
                    S.NOT_SUBSTANTIATED,
                    officer,
                    "Thông tin phản ánh không có cơ sở.",
                )
                clocks.event("case_finished", at)
                closed_at = at
        elif outcome < 0.38 and not emergency:
            at = t + HOUR + int(r() * 10 * HOUR)
            previous = self.last_open_case.get(commune.id)
            if previous is not None and alive(at):
                merged_into = previous[0]
                step(
                    at,
                    "merge",
                    S.MERGED,
                    officer,
                    "Trùng với hồ sơ đã có.",
                    json.dumps({"into": previous[1]}),
                )
                clocks.event("case_finished", at)
                closed_at = at
        else:
            # The Decree 56 path.
            direct = emergency and r() < 0.3
            if not direct:
                delay = int(rng.expovariate(1 / (3 * HOUR))) + 600
                if emergency:
                    delay = min(delay, 8 * HOUR)
                at = t + delay
                if alive(at):
                    assessments.append(
                        (
                            "initial",
                            at,
                            officer,
                            ratings(0.3 if emergency else 1.2),
                            "t" if emergency else "f",
                        )
                    )
                    step(
                        at,
                        "assess_initial",
                        S.INITIAL_ASSESSED,
                        officer,
                        details='{"emergency_required": true}'
                        if emergency
                        else '{"emergency_required": false}',
                    )
                    if not emergency:
                        clocks.event("initial_assessed_no_emergency", at)
                    t = at
            if emergency and (direct or status == "initial_assessed"):
                at = t + HOUR + int(r() * (9 if r() < 0.92 else 30) * HOUR)
                if alive(at):
                    separation = r() < 0.3
                    decision_uuid = uuid4_text(rng)
                    dnum = f"{int(r() * 300) + 1}/QĐ-UBND"
                    kind = "separation" if separation else "intervention"
                    step(
                        at,
                        "decide_emergency",
                        S.EMERGENCY_PROTECTION,
                        chairman,
                        details=json.dumps(
                            {"kind": kind, "decision_number": dnum}, ensure_ascii=False
                        ),
                    )
                    clocks.event("emergency_decided", at)
                    decision_row = [decision_uuid, kind, dnum, at, None, None]
                    if separation:
                        ends = at + (7 + int(r() * 8)) * DAY
                        decision_row[4] = ends
                        clocks.event("separation_started", at, key=decision_uuid.replace("-", ""))
                    t = at
            if status in ("initial_assessed", "emergency_protection"):
                at = t + DAY + int(r() * 9 * DAY)
                if alive(at):
                    assessments.append(("specific", at, officer, ratings(0.6), "f"))
                    step(at, "assess_specific", S.SPECIFIC_ASSESSED, officer)
                    specific_at = at
                    t = at
            if (
                decision_row is not None
                and decision_row[4] is not None
                and status == "specific_assessed"
            ):
                at = max(t + HOUR, decision_row[4] - int(r() * 3 * DAY))
                if at <= now:
                    decision_row[5] = at
                    step(
                        at,
                        "end_separation",
                        None,
                        chairman,
                        "Người chăm sóc được đánh giá an toàn.",
                        json.dumps({"decision_number": decision_row[2]}, ensure_ascii=False),
                    )
                    clocks.event("separation_ended", at, key=decision_row[0].replace("-", ""))
                    t = at
            if status == "specific_assessed" and (
                decision_row is None or decision_row[4] is None or decision_row[5] is not None
            ):
                at = t + DAY + int(r() * 6 * DAY)
                if alive(at):
                    meeting_row = (at, officer)
                    step(at, "hold_needs_meeting", S.NEEDS_MEETING_HELD, officer)
                    clocks.event("needs_meeting_held", at, key="v1")
                    t = at
            replan = r() < 0.1
            plan_version = 0
            while status in ("needs_meeting_held", "under_review"):
                plan_version += 1
                at = t + DAY + int(r() * 5 * DAY)
                if not alive(at):
                    break
                review_day = local_day(at) + 60 + int(r() * 90)
                plan = [plan_version, "draft", at, None, 0, None, None, review_day, officer]
                plan_rows.append(plan)
                replanning = status == "under_review"
                step(
                    at,
                    "draft_plan",
                    S.PLAN_DRAFTED,
                    officer,
                    details=f'{{"plan_version": {plan_version}}}',
                )
                if replanning:
                    clocks.event("replan_started", at, key=f"v{plan_version}")
                t = at
                submissions = 2 if r() < 0.1 else 1
                approved = False
                for submission in range(1, submissions + 1):
                    at = t + int(r() * 2 * DAY) + 1800
                    if not alive(at):
                        break
                    plan[1], plan[3], plan[4] = "submitted", at, submission
                    step(
                        at,
                        "submit_plan",
                        S.PLAN_SUBMITTED,
                        officer,
                        details=f'{{"plan_version": {plan_version}}}',
                    )
                    clocks.event(
                        "plan_submitted",
                        at,
                        key=f"v{plan_version}",
                        start_key=f"v{plan_version}-{submission}",
                    )
                    t = at
                    at = t + int(r() * 2 * DAY) + 1800
                    if submission < submissions:
                        if not alive(at):
                            break
                        plan[1] = "draft"
                        step(
                            at,
                            "return_plan",
                            S.PLAN_DRAFTED,
                            chairman,
                            "Đề nghị bổ sung nguồn lực.",
                            f'{{"plan_version": {plan_version}}}',
                        )
                        clocks.event("plan_returned", at, key=f"v{plan_version}-{submission}")
                        t = at
                        continue
                    if not alive(at):
                        break
                    for other in plan_rows[:-1]:
                        if other[1] == "approved":
                            other[1] = "superseded"
                    plan[1], plan[5], plan[6] = "approved", at, f"{int(r() * 500) + 1}/QĐ-UBND"
                    step(
                        at,
                        "approve_plan",
                        S.PLAN_APPROVED,
                        chairman,
                        details=json.dumps(
                            {"plan_version": plan_version, "decision_number": plan[6]},
                            ensure_ascii=False,
                        ),
                    )
                    clocks.event("plan_approved", at, key=f"v{plan_version}", due_on=review_day)
                    approved = True
                    t = at
                if not approved:
                    break
                at = t + int(r() * 2 * DAY) + 600
                if not alive(at):
                    break
                step(at, "start_implementation", S.IN_IMPLEMENTATION, officer)
                t = at
                midnight = review_day * DAY - LOCAL_OFFSET  # due by the end of that day
                if r() < 0.92:
                    at = max(t + DAY, midnight + 8 * HOUR - int(r() * 4 * DAY))
                else:
                    at = midnight + DAY + int(r() * 10 * DAY)
                if not alive(at):
                    break
                new_plan = replan and plan_version == 1
                rec = "new_plan" if new_plan else "close"
                assessments.append(
                    ("review", at, officer, ratings(1.5 if not new_plan else 0.8), rec)
                )
                step(
                    at,
                    "record_review",
                    S.UNDER_REVIEW,
                    officer,
                    details=f'{{"recommendation": "{rec}"}}',
                )
                clocks.event("review_recorded", at, key=f"v{plan_version}")
                t = at
                if new_plan:
                    continue
                at = t + HOUR + int(r() * 10 * DAY)
                if alive(at):
                    step(at, "close", S.CLOSED, chairman)
                    clocks.event("case_finished", at)
                    closed_at = at
                break

        # Referrals to the commune's school, health station, police.
        referral_rows = []
        if specific_at is not None and r() < self.o.referral_rate * 2.2:
            end = closed_at if closed_at is not None else now
            for kind in rng.sample(SECTOR_KINDS, 1 if r() < 0.8 else 2):
                sent = specific_at + HOUR + int(r() * 5 * DAY)
                if sent >= end - HOUR or kind not in commune.sectors:
                    continue
                referral_rows.append(
                    self.referral(
                        commune, kind, sent, end, officer, clocks, trans, closed_at is not None
                    )
                )
                kinds_referred.append(kind)

        if status in OPEN:
            self.last_open_case[commune.id] = (case_id, number, received)
        self.status_counts[status] = self.status_counts.get(status, 0) + 1

        # ---- rows --------------------------------------------------------------------------
        child_id = self.children.take_ids(1)
        female = r() < 0.52
        name = person_name(rng, female)
        age_days = int(r() * 17.9 * 365) + 30
        known_dob = r() < 0.8
        dob = _day_text(local_day(received) - age_days) if known_dob else NULL
        estimated = NULL if known_dob else str(min(17, age_days // 365))
        circumstances = (
            '["sexually_abused"]' if r() < 0.05 else ('["dropped_out"]' if r() < 0.05 else "[]")
        )
        self.children.add(
            f"{child_id}\t{uuid4_text(rng)}\t{name}\t{name_key_cached(name)}\t"
            f"{'female' if female else 'male'}\t"
            f"{dob}\t{estimated}\t{ETHNICITIES[int(r() * len(ETHNICITIES))]}\t{commune.id}\t"
            f"Thôn {int(r() * 12) + 1}, {esc(commune.name)}\t{circumstances}\t{ts(created)}"
        )
        form = ("violence", "neglect", "sexual_abuse", "exploitation", "abandonment", "other")[
            min(5, int(rng.expovariate(0.8)))
        ]
        target = "abused" if r() < 0.6 else ("at_risk" if r() < 0.7 else "special")
        setting = ("family", "school", "community", "online")[min(3, int(rng.expovariate(1.2)))]
        # Law on Children Arts. 49-50: an abused child's case is an intervention.
        level = "intervention" if emergency or target == "abused" else "support"
        last = trans[-1][0] if trans else created
        if emergency and status != "received":
            emergency_text = "t"
        else:
            emergency_text = "f" if assessments else NULL
        self.cases.add(
            f"{case_id}\t{case_uuid}\t{number}\t{child_id}\t{commune.id}\t{commune.province_id}\t"
            f"{commune.id}\t{status}\t{ts(received)}\t{received_by}\t{source}\t{channel}\t{target}\t"
            f'["{form}"]\t["{setting}"]\t{level}\t{PLACES[int(r() * len(PLACES))]}\t'
            f"{CONDITIONS[int(r() * len(CONDITIONS))]}\t"
            f"{emergency_text}\t"
            f"{copy_text(merged_into)}\t{ts(closed_at) if closed_at is not None else NULL}\t"
            f"{version}\t{ts(created)}\t{ts(max(last, created))}"
        )
        trans.sort(key=lambda row: row[0])
        tr = self.transitions
        first = tr.take_ids(len(trans))
        for offset, (at, name_, frm, to, actor, reason, details) in enumerate(trans):
            tr.add(
                f"{first + offset}\t{case_id}\t{name_}\t{frm}\t{to}\t{actor}\t{ts(at)}\t{reason}\t"
                f"{details}"
            )
        for kind, at, assessor, rating_text, extra in assessments:
            aid = self.assessments.take_ids(1)
            if kind == "initial":
                tail = f"Đánh giá ban đầu.\t{extra}\t\t{NULL}\t{NULL}\t{NULL}\t"
            elif kind == "specific":
                safe = "t" if r() < 0.7 else "f"
                tail = (
                    f"Đánh giá chi tiết.\t{NULL}\tHỗ trợ tâm lý, học tập.\t{safe}\t{NULL}\t{NULL}\t"
                )
            else:
                ok = "t" if extra == "close" else "f"
                tail = f"Rà soát kế hoạch.\t{NULL}\t\t{NULL}\t{ok}\t{ok}\t{extra}"
            self.assessments.add(
                f"{aid}\t{uuid4_text(rng)}\t{case_id}\t{kind}\t{ts(at)}\t{assessor}\t{rating_text}\t{tail}"
            )
        if decision_row is not None:
            d_uuid, kind, dnum, at, ends, ended = decision_row
            if kind == "separation":
                sep = f"Cha dượng\tcarer_abuse\tNhà tạm lánh {esc(commune.name)}\tÔng bà nội\t"
                sep += f"{ts(at)}\t{ts(ends)}\t"
                sep += (
                    f"{ts(ended)}\tNgười chăm sóc được đánh giá an toàn." if ended else f"{NULL}\t"
                )
            else:
                sep = f"\t\t\t\t{NULL}\t{NULL}\t{NULL}\t"
            self.decisions.add(
                f"{self.decisions.take_ids(1)}\t{d_uuid}\t{case_id}\t{kind}\t{dnum}\t{ts(at)}\t{chairman}\t"
                f"Đưa trẻ đến nơi an toàn, khám sức khỏe.\t{sep}"
            )
        if meeting_row is not None:
            at, by = meeting_row
            self.meetings.add(
                f"{self.meetings.take_ids(1)}\t{case_id}\t{ts(at)}\tChủ tịch UBND\t"
                "Cán bộ LĐTBXH, giáo viên, trạm y tế, gia đình\tThống nhất nhu cầu của trẻ.\t"
                f"{by}\t{ts(at)}"
            )
        for (
            version_,
            pstatus,
            drafted,
            submitted,
            count,
            approved_at,
            dnum,
            review_day,
            by,
        ) in plan_rows:
            pid = self.plans.take_ids(1)
            approved_by = chairman if approved_at is not None else None
            self.plans.add(
                f"{pid}\t{uuid4_text(rng)}\t{case_id}\t{version_}\t{pstatus}\t"
                "Bảo đảm an toàn và đi học đều cho trẻ.\t"
                f"{_day_text(review_day)}\t{by}\t{ts(drafted)}\t"
                f"{ts(submitted) if submitted else NULL}\t{count}\t"
                f"{copy_text(approved_by)}\t{ts(approved_at) if approved_at else NULL}\t"
                f"{dnum or ''}\t"
                f"{local_date_text(approved_at) if approved_at else NULL}"
            )
            start_day = local_day(drafted) + 3
            for kind in (SECTOR_KINDS[int(r() * 3)],):
                org = commune.sectors.get(kind)
                measure, text = KIND_PURPOSE[kind]
                state = (
                    "done"
                    if status == "closed"
                    else ("in_progress" if pstatus == "approved" else "planned")
                )
                self.activities.add(
                    f"{self.activities.take_ids(1)}\t{uuid4_text(rng)}\t{pid}\t{measure}\t{text}\t"
                    f"{copy_text(org.id if org else None)}\t{_day_text(start_day)}\t"
                    f"{_day_text(review_day)}\t{state}"
                )
        # Shares: the hotline follows what it opened; live referrals (below) grant the summary.
        if source == "hotline":
            group = self.world.hotline.groups[Role.HOTLINE_OPERATOR]
            for perm in (self.perm_view_case, self.perm_summary):
                self.shares.add(
                    f"{self.shares.take_ids(1)}\t{perm}\t{group}\t{case_id}\t{self.hotline_reason}"
                )
            for user in officers:
                read = created < now - 14 * DAY or r() < 0.3
                self.notifications.add(
                    f"{self.notifications.take_ids(1)}\t{user}\tcase_assigned\t{case_id}\t{NULL}\t"
                    f"{ts(created + 60)}\t"
                    f"{ts(created + 3600 + int(r() * 2 * DAY)) if read else NULL}"
                )
        for referral in referral_rows:
            self.referral_write(case_id, case_uuid, number, commune, referral)
        # Clocks, and the escalation of every one that ran out (as escalate_deadlines leaves it).
        notify_from = now - 180 * DAY
        for clock in clocks.clocks:
            rule, key, starts, due_ts, due_text, met, waived = clock
            did = self.deadlines.take_ids(1)
            end = met if met is not None else (waived if waived is not None else now)
            escalated = None
            if end > due_ts + 600:
                escalated = due_ts + 60 + int(r() * 240)
                if escalated > now:
                    escalated = None
            self.deadlines.add(
                f"{did}\t{case_id}\t{commune.id}\t{rule.id}\t{key}\t{ts(starts)}\t{due_text}\t"
                f"{ts(met) if met is not None else NULL}\t"
                f"{ts(waived) if waived is not None else NULL}\t"
                f"{ts(escalated) if escalated is not None else NULL}"
            )
            if escalated is None or escalated < notify_from:
                continue  # older notices are not generated (the app keeps them for ever)
            recipients: list[int] = []
            for role in rule.escalate_to:
                if role in (Role.CP_OFFICER, Role.CHAIRMAN):
                    recipients += committee.members.get(role, [])
                elif role == Role.SUPERVISOR:
                    recipients += self.world.provincial[commune.province_id].members.get(role, [])
            for user in dict.fromkeys(recipients):
                read = escalated < now - 14 * DAY and r() < 0.95
                self.notifications.add(
                    f"{self.notifications.take_ids(1)}\t{user}\tdeadline_missed\t{case_id}\t{did}\t"
                    f"{ts(escalated)}\t{ts(escalated + int(r() * 3 * DAY)) if read else NULL}"
                )
            self._audit(
                escalated,
                None,
                None,
                "write",
                actor_username="system",
                object_type="casedeadline",
                object_id=str(did),
                case_id=case_uuid,
                detail={"operation": "deadline_escalated", "rule": rule.code},
            )

    # -- referrals ----------------------------------------------------------------------------

    def referral(self, commune, kind, sent, end, officer, clocks, trans, final) -> dict:
        """One referral's story, cut at the case's end (a finished case has none still open)."""
        rng, r = self.rng, self.rng.random
        org = commune.sectors[kind]
        rid = self.referrals.take_ids(1)
        ruuid = uuid4(rng)
        key = f"ref-{ruuid.hex}"
        ack_due = end_of_local_day(add_working_days_local(local_day(sent), 1))
        feedback_due = end_of_local_day(add_working_days_local(local_day(sent), 5))
        clocks.event("referral_sent", sent, key=key)
        staff = org.members.get(Role.SECTOR_STAFF, [])
        responder = staff[int(r() * len(staff))] if staff else None
        row = {
            "id": rid,
            "uuid": ruuid,
            "org": org,
            "kind": kind,
            "sent": sent,
            "officer": officer,
            "ack_due": ack_due,
            "feedback_due": feedback_due,
            "status": "sent",
            "ack": None,
            "responded": None,
            "closed": None,
            "decline": "",
            "revoke": "",
            "feedback": None,
            "responder": responder,
        }
        history = [(sent, "referral_sent", officer, "")]
        limit = end - 60
        t = sent
        if responder is not None and r() < 0.92:
            at = t + 1800 + int(rng.expovariate(1 / (10 * HOUR)))
            if at < limit:
                row["status"], row["ack"] = "acknowledged", at
                clocks.event("referral_acknowledged", at, key=key)
                history.append(
                    (
                        at,
                        "referral_acknowledged",
                        responder,
                        f"BN-{local_date_text(at)[:4]}-{rid:06d}",
                    )
                )
                t = at
        if row["status"] == "acknowledged":
            at = t + 600 + int(r() * 2 * DAY)
            if at < limit:
                row["responded"] = at
                if r() < 0.1:
                    row["status"], row["decline"] = "declined", "Không thuộc thẩm quyền của đơn vị."
                    row["closed"] = at
                    history.append((at, "referral_declined", responder, row["decline"]))
                else:
                    row["status"] = "accepted"
                    history.append((at, "referral_accepted", responder, ""))
                t = at
        if row["status"] == "accepted":
            at = t + DAY + int(r() * 6 * DAY)
            if at < limit:
                row["feedback"] = at
                clocks.event("referral_feedback", at, key=key)
                t = at
            at = t + 5 * DAY + int(r() * 40 * DAY)
            if at < limit or final:
                at = min(at, limit)
                row["status"], row["closed"] = "completed", at
                history.append((at, "referral_completed", officer, "Đã hoàn thành hỗ trợ."))
        if row["status"] in ("sent", "acknowledged") and (final or r() < 0.03):
            at = min(t + DAY + int(r() * 5 * DAY), limit)
            if at <= self.now:
                row["status"], row["closed"] = "revoked", at
                row["revoke"] = "Trẻ đã chuyển nơi cư trú."
                history.append((at, "referral_revoked", officer, row["revoke"]))
        if row["closed"] is not None:
            clocks.event("referral_ended", row["closed"], key=key)
        details = json.dumps({"organisation": org.name, "referral": str(ruuid)}, ensure_ascii=False)
        for at, name, actor, reason in history:
            status = _status_at(trans, at)
            trans.append((at, name, status, status, actor, esc(reason), esc(details)))
        return row

    def referral_write(self, case_id, case_uuid, number, commune, row) -> None:
        rng = self.rng
        org = row["org"]
        rid = row["id"]
        purpose, message = KIND_PURPOSE[row["kind"]]
        ack = row["ack"]
        receipt_number = f"BN-{local_date_text(ack)[:4]}-{rid:06d}" if ack else ""
        receipt_hash = ""
        if ack:
            payload = {
                "referral": str(row["uuid"]),
                "case": number,
                "organisation": org.public_id,
                "purpose": purpose,
                "message": message,
                "sent_at": datetime.datetime.fromtimestamp(
                    row["sent"], datetime.timezone.utc
                ).isoformat(),
            }
            canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
            receipt_hash = hashlib.sha256(canonical.encode()).hexdigest()
        self.referrals.add(
            f"{rid}\t{row['uuid']}\t{case_id}\t{org.id}\t{purpose}\t{message}\t{row['status']}\t"
            f"{row['officer']}\t{ts(row['sent'])}\t{row['ack_due'][1]}\t{row['feedback_due'][1]}\t"
            f"{ts(ack) if ack else NULL}\t{row['responder'] if ack else NULL}\t{receipt_number}\t"
            f"{receipt_hash}\t{ts(row['responded']) if row['responded'] else NULL}\t"
            f"{row['decline']}\t"
            f"{ts(row['closed']) if row['closed'] else NULL}\t{row['revoke']}"
        )
        if row["feedback"]:
            self.referral_updates.add(
                f"{self.referral_updates.take_ids(1)}\t{rid}\tfeedback\tĐã phối hợp hỗ trợ trẻ.\t"
                f"{row['responder']}\t{ts(row['feedback'])}"
            )
        group = org.groups[Role.SECTOR_STAFF]
        live = row["status"] in Referral.OPEN
        self.referral_perms.add(
            f"{self.referral_perms.take_ids(1)}\t{self.perm_view_referral}\t{group}\t{rid}"
        )
        if live:
            self.referral_perms.add(
                f"{self.referral_perms.take_ids(1)}\t{self.perm_respond_referral}\t{group}\t{rid}"
            )
            # One share per organisation (two live referrals to one organisation cannot occur:
            # each case refers each kind at most once here).
            self.shares.add(
                f"{self.shares.take_ids(1)}\t{self.perm_summary}\t{group}\t{case_id}\treferral:{row['uuid']}"
            )
        for user in org.members.get(Role.SECTOR_STAFF, []):
            read = ack is not None or rng.random() < 0.2
            self.notifications.add(
                f"{self.notifications.take_ids(1)}\t{user}\treferral_received\t{case_id}\t{NULL}\t"
                f"{ts(row['sent'])}\t{ts(ack or row['sent'] + 3600) if read else NULL}"
            )
        self._audit(
            row["sent"],
            row["officer"],
            commune.committee,
            "write",
            object_type="referral",
            object_id=str(row["uuid"]),
            case_id=case_uuid,
            detail={"operation": "referral_send", "via": "page"},
        )


def _status_at(trans: list[tuple], at: int) -> str:
    status = "received"
    for row in sorted(trans, key=lambda x: x[0]):
        if row[0] > at:
            break
        status = row[3]
    return status


# ---------------------------------------------------------------------------------------------
# The audit trail


class _Row:
    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


def audit_write(generator: Generator, world: World, rng: random.Random, progress) -> int:
    """
    Chain and copy the recent entries, after the chain's head, under the chain's lock (the
    advisory lock audit_append takes). Hashes are audit.chain's, computed on the values as
    they will be read back, so verify_audit recomputes the same.
    """
    events = generator.audit_events
    events.sort(key=lambda e: e[0])
    events = events[-generator.o.audit_max :]
    # Logins of the people whose work is in the trail: one each morning they worked.
    actors = {}
    for at, actor, org, _action, _rest in events:
        if actor is not None:
            actors[(actor, local_day(at))] = org
    logins = []
    for (actor, day), org in actors.items():
        at = day * DAY - LOCAL_OFFSET + 7 * HOUR + int(rng.random() * 90 * 60)
        if at >= generator.audit_from:
            logins.append((at, actor, org, "login", {"detail": {"via": "page", "view": "login"}}))
    events = sorted(events + logins, key=lambda e: e[0])
    generator.loader.sync()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(7111111)")
        cursor.execute("SELECT seq, hash FROM audit_auditentry ORDER BY seq DESC LIMIT 1")
        head = cursor.fetchone()
    seq, prev = head if head else (0, GENESIS)
    last = 0
    if head:
        last = int(AuditEntry.objects.get(seq=seq).at.timestamp())
    names = [f.attname for f in AuditEntry._meta.concrete_fields]
    table = Table(generator.loader, AuditEntry, names)
    table.freeze = False
    table.next_id = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    table.next_id += 1
    generator.loader.tables[table.name] = table
    utc = datetime.timezone.utc
    for at, actor, org, action, rest in events:
        at = max(at, last)
        seq += 1
        ip = (
            f"10.{(actor or 0) // 65536 % 256}.{(actor or 0) // 256 % 256}.{(actor or 0) % 256}"
            if actor
            else None
        )
        row = {
            "seq": seq,
            "at": datetime.datetime.fromtimestamp(at, utc),
            "actor_id": actor,
            "actor_username": world.usernames.get(actor, "")
            if actor
            else rest.get("actor_username", ""),
            "organisation": org.name if org else "",
            "organisation_id": org.public_id if org else "",
            "action": action,
            "object_type": rest.get("object_type", ""),
            "object_id": rest.get("object_id", ""),
            "case_id": rest.get("case_id", ""),
            "outcome": "ok",
            "ip": ip,
            "detail": rest.get("detail", {}),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(prev, content_of(_Row(row)))
        values = {
            **row,
            "id": table.take_ids(1),
            "at": row["at"].isoformat(),
        }
        table.add("\t".join(copy_text(values[name]) for name in names))
    table.flush()
    progress(f"  audit: {len(events):,} entries after seq {head[0] if head else 0}")
    return len(events)


# ---------------------------------------------------------------------------------------------
# Checks, through the app's own code


def _one(sql: str, params: list | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row if row is None or len(row) > 1 else row[0]


def _allowed_steps() -> list[tuple[str, str, str]]:
    from cases.workflow import STEPS

    rows = []
    for step in STEPS.values():
        for source in step.sources:
            rows.append((step.name, str(source), step.leads_to(source)))
    for name in (
        "referral_sent",
        "referral_acknowledged",
        "referral_accepted",
        "referral_declined",
        "referral_completed",
        "referral_revoked",
    ):
        for status in Case.Status.values:
            rows.append((name, status, status))
    return rows


def run_checks(say: Callable[[str], None], *, sample: int = 25, seed: int = 111) -> None:  # noqa: C901
    """Verify invariants of the generated data; raise CommandError naming what failed."""
    from django.conf import settings
    from django.core.management.base import CommandError
    from django.test import Client
    from django.urls import reverse

    from audit.verify import audit_verify
    from cases.access import can, cases_visible_to

    failures: list[str] = []
    started = time.monotonic()

    def check(ok: bool, text: str) -> None:
        say(f"  [{'ok' if ok else 'FAIL'}] {text}")
        if not ok:
            failures.append(text)

    say("Checks:")
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 404s
    unit = AdministrativeUnit._meta.db_table
    case_t = Case._meta.db_table
    bad = _one(
        f"SELECT count(*) FROM {case_t} c JOIN {unit} u ON u.id = c.commune_id "  # noqa: S608
        "WHERE u.parent_id IS DISTINCT FROM c.province_id"
    )
    check(bad == 0, f"every case's province is its commune's parent province ({bad} wrong)")

    membership_t, org_t = Membership._meta.db_table, Organisation._meta.db_table
    group_t, user_groups_t = Group._meta.db_table, User.groups.through._meta.db_table
    wanted = (
        f"SELECT m.user_id, g.id FROM {membership_t} m "  # noqa: S608
        f"JOIN {org_t} o ON o.id = m.organisation_id AND o.is_active "
        f"JOIN {group_t} g ON g.name = '{GROUP_PREFIX}' || o.public_id::text || ':' || m.role "
        "WHERE m.is_active"
    )
    have = (
        f"SELECT ug.user_id, ug.group_id FROM {user_groups_t} ug "  # noqa: S608
        f"JOIN {group_t} g ON g.id = ug.group_id AND g.name LIKE '{GROUP_PREFIX}%%'"
    )
    missing, extra = _one(
        f"SELECT (SELECT count(*) FROM ({wanted} EXCEPT {have}) a), "  # noqa: S608
        f"(SELECT count(*) FROM ({have} EXCEPT {wanted}) b)"
    )
    no_group = _one(
        f"SELECT count(*) FROM {membership_t} m JOIN {org_t} o ON o.id = m.organisation_id "  # noqa: S608
        f"WHERE m.is_active AND NOT EXISTS (SELECT 1 FROM {group_t} g WHERE g.name = "
        f"'{GROUP_PREFIX}' || o.public_id::text || ':' || m.role)"
    )
    check(
        missing == 0 and extra == 0 and no_group == 0,
        "users are in exactly the role groups of their active memberships "
        f"({missing} missing, {extra} extra, {no_group} memberships without a group)",
    )

    summary = Permission.objects.get(content_type__app_label="cases", codename="view_case_summary")
    referral_t = Referral._meta.db_table
    share_t = CaseGroupObjectPermission._meta.db_table
    open_statuses = "', '".join(Referral.OPEN)
    unshared = _one(
        f"SELECT count(*) FROM {referral_t} r JOIN {org_t} o ON o.id = r.organisation_id "  # noqa: S608
        f"JOIN {group_t} g ON g.name = '{GROUP_PREFIX}' || o.public_id::text || ':sector_staff' "
        f"WHERE r.status IN ('{open_statuses}') AND NOT EXISTS (SELECT 1 FROM {share_t} s "
        "WHERE s.content_object_id = r.case_id AND s.group_id = g.id AND s.permission_id = %s)",
        [summary.pk],
    )
    stale = _one(
        f"SELECT count(*) FROM {share_t} s WHERE s.reason LIKE 'referral:%%' AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {referral_t} r WHERE r.public_id::text = substr(s.reason, 10) "
        f"AND r.case_id = s.content_object_id AND r.status IN ('{open_statuses}'))"
    )
    live = Referral.objects.filter(status__in=Referral.OPEN).count()
    check(
        unshared == 0 and stale == 0,
        f"each of the {live:,} live referrals grants its organisation's group the summary, "
        f"and no share outlives its referral ({unshared} unshared, {stale} stale)",
    )

    transition_t = CaseTransition._meta.db_table
    allowed = _allowed_steps()
    values = ", ".join(["(%s, %s, %s)"] * len(allowed))
    params = [v for row in allowed for v in row]
    off_table = _one(
        f"SELECT count(*) FROM {transition_t} t WHERE NOT EXISTS (SELECT 1 FROM "  # noqa: S608
        f"(VALUES {values}) a(name, f, t) WHERE a.name = t.name AND a.f = t.from_status "
        "AND a.t = t.to_status)",
        params,
    )
    check(
        off_table == 0, f"every history row is a step the workflow table allows ({off_table} not)"
    )
    broken, wrong_end = _one(
        f"WITH t AS (SELECT case_id, from_status, to_status, "  # noqa: S608
        "lag(to_status) OVER w AS prev, row_number() OVER w AS n, "
        "count(*) OVER (PARTITION BY case_id) AS total "
        f"FROM {transition_t} WINDOW w AS (PARTITION BY case_id ORDER BY at, id)) "
        "SELECT count(*) FILTER (WHERE (n = 1 AND from_status <> 'received') "
        "OR (n > 1 AND from_status <> prev)), "
        f"(SELECT count(*) FROM t JOIN {case_t} c ON c.id = t.case_id "
        "WHERE t.n = t.total AND t.to_status <> c.status) FROM t"
    )
    lonely = _one(
        f"SELECT count(*) FROM {case_t} c WHERE c.status <> 'received' AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {transition_t} t WHERE t.case_id = c.id)"
    )
    check(
        broken == 0 and wrong_end == 0 and lonely == 0,
        "each case's history is one path from 'received' to its status "
        f"({broken} breaks, {wrong_end} ending elsewhere, {lonely} without history)",
    )
    deadline_t = CaseDeadline._meta.db_table
    final = "', '".join(s for s in Case.Status.values if s not in OPEN)
    open_on_final = _one(
        f"SELECT count(*) FROM {deadline_t} d JOIN {case_t} c ON c.id = d.case_id "  # noqa: S608
        f"WHERE c.status IN ('{final}') AND d.met_at IS NULL AND d.waived_at IS NULL"
    )
    open_clocks, overdue = _one(
        f"SELECT count(*), count(*) FILTER (WHERE due_at < now()) FROM {deadline_t} "  # noqa: S608
        "WHERE met_at IS NULL AND waived_at IS NULL"
    )
    no_clock = _one(
        f"SELECT count(*) FROM {case_t} c WHERE NOT EXISTS (SELECT 1 FROM {deadline_t} d "  # noqa: S608
        "WHERE d.case_id = c.id)"
    )
    check(
        open_on_final == 0 and no_clock == 0,
        f"finished cases have no running clock ({open_on_final}); every case has its clocks "
        f"({no_clock} without); {open_clocks:,} clocks running, {overdue:,} of them overdue",
    )
    plan_t = Plan._meta.db_table
    planless = _one(
        f"SELECT count(*) FROM {case_t} c WHERE c.status IN ('plan_drafted', 'plan_submitted', "  # noqa: S608
        "'plan_approved', 'in_implementation', 'under_review') AND NOT EXISTS "
        f"(SELECT 1 FROM {plan_t} p WHERE p.case_id = c.id)"
    )
    check(planless == 0, f"every case past drafting has a plan ({planless} without)")

    # Who sees what, through cases.access and the case page.
    host = "testserver" if "testserver" in settings.ALLOWED_HOSTS else "localhost"
    client = Client(HTTP_HOST=host)
    rng = random.Random(seed)
    first, last = (
        Case.objects.order_by("pk").values_list("pk", flat=True)[:1][0],
        (Case.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]),
    )
    picks = Case.objects.filter(
        pk__in=[rng.randint(first, last) for _ in range(sample)]
    ).select_related("commune")
    live_case = Referral.objects.filter(status__in=Referral.OPEN).order_by("pk").first()
    cases = list(picks) + ([live_case.case] if live_case else [])
    pages = 0
    for case in cases:
        officer = (
            User.objects.filter(
                memberships__role=Role.CP_OFFICER,
                memberships__is_active=True,
                memberships__organisation__kind=Organisation.Kind.COMMUNE_COMMITTEE,
                memberships__organisation__area_id=case.commune_id,
            )
            .order_by("pk")
            .first()
        )
        ok = officer is not None and cases_visible_to(officer).filter(pk=case.pk).exists()
        ok = ok and can(officer, "view_case", case) and can(officer, "assess_case", case)
        client.force_login(officer)
        response = client.get(reverse("cases:detail", args=[case.public_id]))
        pages += 1
        if not ok or response.status_code != 200:
            check(
                False,
                f"officer of {case.commune} sees case {case.number} (page {response.status_code})",
            )
        for kind in SECTOR_KINDS:
            staff = (
                User.objects.filter(
                    memberships__role=Role.SECTOR_STAFF,
                    memberships__is_active=True,
                    memberships__organisation__kind=kind,
                    memberships__organisation__area_id=case.commune_id,
                )
                .order_by("pk")
                .first()
            )
            if staff is None:
                continue
            referred = Referral.objects.filter(
                case=case,
                organisation__kind=kind,
                organisation__area_id=case.commune_id,
                status__in=Referral.OPEN,
            ).exists()
            sees = cases_visible_to(staff).filter(pk=case.pk).exists()
            client.force_login(staff)
            status = client.get(reverse("cases:detail", args=[case.public_id])).status_code
            pages += 1
            if sees != referred or status != (200 if referred else 404):
                check(
                    False,
                    f"{kind} of {case.commune} on case {case.number}: sees={sees}, "
                    f"referred={referred}, page {status}",
                )
            if can(staff, "view_case", case):
                check(False, f"{kind} staff reads the whole file of {case.number}")
        collaborator = (
            User.objects.filter(
                memberships__role=Role.COLLABORATOR,
                memberships__is_active=True,
                memberships__organisation__area_id=case.commune_id,
            )
            .exclude(memberships__role=Role.SECTOR_STAFF)
            .order_by("pk")
            .first()
        )
        if collaborator is not None and cases_visible_to(collaborator).filter(pk=case.pk).exists():
            check(False, f"a collaborator sees case {case.number}")
    check(
        not failures,
        f"{len(cases)} sampled cases: the commune's officer sees and may assess each "
        "(cases_visible_to, can, page 200); each commune's school, health station and police "
        "see it exactly when a referral to them is live (page 200, else 404) and never the "
        f"whole file; collaborators never ({pages} pages)",
    )
    if cases:
        case = cases[0]
        officer = (
            User.objects.filter(
                memberships__role=Role.CP_OFFICER,
                memberships__is_active=True,
                memberships__organisation__area_id=case.commune_id,
            )
            .order_by("pk")
            .first()
        )
        visible = cases_visible_to(officer).count()
        held = Case.objects.filter(commune_id=case.commune_id).count()
        check(
            visible == held,
            f"an officer of {case.commune} sees exactly its {held:,} cases ({visible:,})",
        )
    if live_case is not None:
        org = live_case.organisation
        staff = (
            User.objects.filter(
                memberships__organisation=org,
                memberships__is_active=True,
                memberships__role=Role.SECTOR_STAFF,
            )
            .order_by("pk")
            .first()
        )
        if staff is not None:
            seen = set(cases_visible_to(staff).values_list("pk", flat=True))
            referred = set(
                Referral.objects.filter(organisation=org, status__in=Referral.OPEN).values_list(
                    "case_id", flat=True
                )
            )
            check(
                seen == referred,
                f"{org.name} sees exactly the {len(referred)} cases referred to it and still "
                f"open ({len(seen)})",
            )
    report = audit_verify()
    check(report.ok, f"the audit chain verifies: {report.checked:,} entries {report.problem}")
    say(
        f"Checks done in {time.monotonic() - started:.1f}s: "
        + ("all passed." if not failures else f"{len(failures)} FAILED.")
    )
    if failures:
        raise CommandError("Checks failed: " + "; ".join(failures))
