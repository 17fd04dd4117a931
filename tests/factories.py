"""factory_boy factories for the people, places and cases the tests need."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.services import membership_grant, organisation_group
from cases.models import Case, CaseGroupObjectPermission
from cases.services import case_create


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit

    level = AdministrativeUnit.Level.PROVINCE
    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"Tỉnh Thử Nghiệm {n}")
    division_type = "tỉnh"
    valid_from = datetime.date(2025, 7, 1)


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit

    level = AdministrativeUnit.Level.COMMUNE
    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    division_type = "xã"
    parent = factory.SubFactory(ProvinceFactory)
    valid_from = datetime.date(2025, 7, 1)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.COMMUNE_COMMITTEE
    name = factory.Sequence(lambda n: f"Tổ chức {n}")
    area = factory.SubFactory(CommuneFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Người dùng {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-111")

    @factory.post_generation
    def memberships(self, create: bool, extracted: list[tuple[Organisation, str]] | None) -> None:
        self.save()
        for organisation, role in extracted or []:
            membership_grant(user=self, organisation=organisation, role=role)


def make_case(commune: AdministrativeUnit, child_name: str = "Nguyễn Văn Bé", **kwargs) -> Case:
    return case_create(commune=commune, child_name=child_name, **kwargs)


def share_many_with_hotline(world, count: int, prefix: str) -> list[Case]:
    """
    `count` cases of the far commune shared with the hotline's group, made directly (bulk): more
    grants than the door lists (cases.access.SHARES_LISTED_UP_TO), newest first by minute.
    """
    group = organisation_group(organisation=world.hotline_org, role=Role.HOTLINE_OPERATOR)
    view = CaseGroupObjectPermission.objects.filter(group=group).first().permission
    start = timezone.now()
    cases = Case.objects.bulk_create(
        Case(
            number=f"{prefix}-{index:06d}",
            child=world.case.child,
            commune=world.far_commune,
            province=world.other_province,
            received_at=start - datetime.timedelta(minutes=index),
        )
        for index in range(count)
    )
    CaseGroupObjectPermission.objects.bulk_create(
        CaseGroupObjectPermission(group=group, permission=view, content_object=case)
        for case in cases
    )
    return cases


def make_user(*memberships: tuple[Organisation, str], **kwargs) -> User:
    return UserFactory(memberships=list(memberships), **kwargs)


__all__ = [
    "CommuneFactory",
    "OrganisationFactory",
    "ProvinceFactory",
    "Role",
    "UserFactory",
    "make_case",
    "make_user",
    "share_many_with_hotline",
    "timezone",
]
