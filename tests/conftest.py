"""Personas for every role, in a small world of two provinces and three communes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import time_machine
from django.db.backends.signals import connection_created
from django.test import Client

from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.services import organisation_group
from cases.models import Case
from cases.services import case_share_grant
from tests.factories import (
    CommuneFactory,
    OrganisationFactory,
    ProvinceFactory,
    make_case,
    make_user,
)

PASSWORD = "pw-for-tests-111"


def allow_truncating_the_trail(sender, connection, **kwargs) -> None:
    """
    Django empties a test database with TRUNCATE after each transactional test; the trail's
    table refuses TRUNCATE unless the session says otherwise (audit migration 0004).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET audit.allow_truncate = on")


connection_created.connect(allow_truncating_the_trail, dispatch_uid="tests-allow-truncate")


@pytest.fixture(autouse=True, scope="session")
def clock_at_test_clock():
    """
    With TEST_CLOCK set (an ISO 8601 moment, e.g. 2026-12-03T17:30:00+00:00, half past midnight
    in Vietnam), the whole run starts at that moment and the clock runs on from it: the way to
    prove that no test depends on the hour at which CI happens to run.
    """
    moment = os.environ.get("TEST_CLOCK")
    if not moment:
        yield
        return
    with time_machine.travel(moment, tick=True):
        yield


@dataclass
class World:
    province: AdministrativeUnit
    other_province: AdministrativeUnit
    commune: AdministrativeUnit
    other_commune: AdministrativeUnit
    far_commune: AdministrativeUnit
    committee: Organisation
    other_committee: Organisation
    hotline_org: Organisation
    health_department: Organisation
    school_org: Organisation
    users: dict[str, User]
    case: Case  # in `commune`, shared with the hotline
    other_case: Case  # in `other_commune`, same province
    far_case: Case  # in another province

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(db) -> World:
    province = ProvinceFactory(name="Tỉnh Quảng Trị Thử")
    other_province = ProvinceFactory(name="Tỉnh Khác")
    commune = CommuneFactory(parent=province, name="Xã Đông Hà")
    other_commune = CommuneFactory(parent=province, name="Xã Cam Lộ")
    far_commune = CommuneFactory(parent=other_province, name="Xã Xa Xôi")
    kinds = Organisation.Kind
    committee = OrganisationFactory(kind=kinds.COMMUNE_COMMITTEE, area=commune, name="UBND Đông Hà")
    other_committee = OrganisationFactory(
        kind=kinds.COMMUNE_COMMITTEE, area=other_commune, name="UBND Cam Lộ"
    )
    far_committee = OrganisationFactory(kind=kinds.COMMUNE_COMMITTEE, area=far_commune)
    hotline_org = OrganisationFactory(kind=kinds.HOTLINE, area=None, name="Tổng đài 111")
    health_department = OrganisationFactory(
        kind=kinds.PROVINCIAL_HEALTH, area=province, name="Sở Y tế"
    )
    school_org = OrganisationFactory(kind=kinds.SCHOOL, area=commune, name="Trường Tiểu học")
    health_org = OrganisationFactory(kind=kinds.HEALTH_FACILITY, area=commune, name="Trạm Y tế")
    police_org = OrganisationFactory(kind=kinds.POLICE, area=commune, name="Công an xã")
    users = {
        "officer": make_user((committee, Role.CP_OFFICER), username="officer"),
        "officer2": make_user((other_committee, Role.CP_OFFICER), username="officer2"),
        "far_officer": make_user((far_committee, Role.CP_OFFICER), username="far_officer"),
        "chairman": make_user((committee, Role.CHAIRMAN), username="chairman"),
        "collaborator": make_user((committee, Role.COLLABORATOR), username="collaborator"),
        "hotline": make_user((hotline_org, Role.HOTLINE_OPERATOR), username="hotline"),
        "school": make_user((school_org, Role.SECTOR_STAFF), username="school"),
        "health": make_user((health_org, Role.SECTOR_STAFF), username="health"),
        "police": make_user((police_org, Role.SECTOR_STAFF), username="police"),
        "supervisor": make_user((health_department, Role.SUPERVISOR), username="supervisor"),
        "auditor": make_user((health_department, Role.AUDITOR), username="auditor"),
        "admin": make_user(username="admin", is_staff=True, is_superuser=True),
        "nobody": make_user(username="nobody"),
    }
    case = make_case(commune, "Nguyễn Văn An")
    case_share_grant(
        case=case,
        permissions=["view_case", "view_case_summary"],
        reason="Opened by hotline 111",
        group=organisation_group(organisation=hotline_org, role=Role.HOTLINE_OPERATOR),
    )
    return World(
        province=province,
        other_province=other_province,
        commune=commune,
        other_commune=other_commune,
        far_commune=far_commune,
        committee=committee,
        other_committee=other_committee,
        hotline_org=hotline_org,
        health_department=health_department,
        school_org=school_org,
        users=users,
        case=case,
        other_case=make_case(other_commune, "Trần Thị Bình"),
        far_case=make_case(far_commune, "Lê Minh Châu"),
    )


@pytest.fixture
def client_for(world: World):
    """Return a logged-in test client for a persona name."""

    def _client(name: str) -> Client:
        client = Client()
        client.force_login(world.users[name])
        return client

    return _client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply; the real hasher is Django's default PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Serve static files unhashed: tests do not run collectstatic (STACK-NOTES)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def reseed_data_migrations(request):
    """
    Transactional tests (browser tests, races) empty every table afterwards, data-migration
    rows included; put the seeded rules back before each such test so it sees the real rules.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("cases.migrations.0002_seed_deadline_rules").seed(apps, None)
    import_module("referrals.migrations.0002_seed_sharing_and_deadline_rules").seed(apps, None)
    yield
