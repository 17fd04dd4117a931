"""Who acts where: users, administrative units, organisations and the roles people hold in them."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


class AdministrativeUnit(models.Model):
    """
    A province, a commune, or (for records made before 1 July 2025) a district.

    Units are data, not code: the next reform is a data load with new validity dates. Codes are
    the official statistical codes (2 digits for provinces, 3 for districts, 5 for communes).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        DISTRICT = "district", _("district (before 1 July 2025)")
        COMMUNE = "commune", _("commune")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("official code"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    division_type = models.CharField(_("division type"), max_length=40, blank=True)
    codename = models.SlugField(_("code name"), max_length=200, blank=True, allow_unicode=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"],
                condition=models.Q(valid_to__isnull=True),
                name="admin_unit_one_current_per_code",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="admin_unit_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def province(self) -> AdministrativeUnit:
        """Return the province this unit lies in (itself for a province)."""
        unit = self
        while unit.level != self.Level.PROVINCE and unit.parent_id is not None:
            unit = unit.parent
        return unit

    def clean(self) -> None:
        expected_parent = {
            self.Level.PROVINCE: None,
            self.Level.DISTRICT: {self.Level.PROVINCE},
            self.Level.COMMUNE: {self.Level.PROVINCE, self.Level.DISTRICT},
        }[self.level]
        if expected_parent is None and self.parent_id is not None:
            raise ValidationError({"parent": _("A province has no parent unit.")})
        if expected_parent is not None and (
            self.parent_id is None or self.parent.level not in expected_parent
        ):
            raise ValidationError(
                {"parent": _("A commune or district must lie in a province (or a district).")}
            )


class Organisation(models.Model):
    """A body with a duty in child protection, and the area it serves."""

    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("Hotline 111 centre")
        COMMUNE_COMMITTEE = "commune_committee", _("Commune People's Committee")
        PROVINCIAL_HEALTH = "provincial_health", _("Provincial Department of Health")
        SCHOOL = "school", _("School")
        HEALTH_FACILITY = "health_facility", _("Health facility")
        POLICE = "police", _("Police unit")
        COURT = "court", _("Court or procuracy")
        SOCIAL_PROTECTION = "social_protection", _("Social-protection facility")
        NGO = "ngo", _("NGO or mass organisation")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=255)
    # The national hotline serves the whole country: its area is empty. Every other body has one.
    area = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="hotline") | models.Q(area__isnull=False),
                name="organisation_area_required_except_hotline",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind != self.Kind.HOTLINE and self.area_id is None:
            raise ValidationError({"area": _("This kind of organisation needs an area.")})
        required_level = AREA_LEVEL_BY_KIND.get(self.kind)
        if required_level and self.area_id and self.area.level != required_level:
            raise ValidationError(
                {
                    "area": _("This kind of organisation serves a %(level)s.")
                    % {"level": AdministrativeUnit.Level(required_level).label}
                }
            )


# Bodies whose duty is defined by one level of area.
AREA_LEVEL_BY_KIND = {
    Organisation.Kind.COMMUNE_COMMITTEE: AdministrativeUnit.Level.COMMUNE,
    Organisation.Kind.PROVINCIAL_HEALTH: AdministrativeUnit.Level.PROVINCE,
}


class Role(models.TextChoices):
    HOTLINE_OPERATOR = "hotline_operator", _("Hotline operator")
    COLLABORATOR = "collaborator", _("Collaborator")
    CP_OFFICER = "cp_officer", _("Commune child-protection officer")
    CHAIRMAN = "chairman", _("Commune chairman")
    # Signs for the chairman (Decree 30/2020 Art. 13: «KT. CHỦ TỊCH / PHÓ CHỦ TỊCH»).
    DEPUTY_CHAIRMAN = "deputy_chairman", _("Commune deputy chairman")
    SECTOR_STAFF = "sector_staff", _("Sector staff")
    SUPERVISOR = "supervisor", _("Provincial supervisor")
    AUDITOR = "auditor", _("Auditor")


_SECTOR_KINDS = (
    Organisation.Kind.SCHOOL,
    Organisation.Kind.HEALTH_FACILITY,
    Organisation.Kind.POLICE,
    Organisation.Kind.COURT,
    Organisation.Kind.SOCIAL_PROTECTION,
    Organisation.Kind.NGO,
)

# Which roles each kind of organisation can hold (docs/DESIGN.md §2).
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    Organisation.Kind.HOTLINE: frozenset({Role.HOTLINE_OPERATOR, Role.AUDITOR}),
    Organisation.Kind.COMMUNE_COMMITTEE: frozenset(
        {Role.CP_OFFICER, Role.CHAIRMAN, Role.DEPUTY_CHAIRMAN, Role.COLLABORATOR}
    ),
    Organisation.Kind.PROVINCIAL_HEALTH: frozenset({Role.SUPERVISOR, Role.AUDITOR}),
    **{kind: frozenset({Role.SECTOR_STAFF}) for kind in _SECTOR_KINDS},
}


class Membership(models.Model):
    """A user's role in an organisation. Holding several at once is normal."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def clean(self) -> None:
        if self.organisation_id and self.role:
            allowed = ROLES_BY_KIND.get(self.organisation.kind, frozenset())
            if self.role not in allowed:
                raise ValidationError(
                    {
                        "role": _("A %(kind)s cannot hold the role %(role)s.")
                        % {
                            "kind": self.organisation.get_kind_display(),
                            "role": self.get_role_display(),
                        }
                    }
                )


GROUP_PREFIX = "org:"


def group_name(organisation: Organisation, role: str) -> str:
    """Return the deterministic guardian group name for one role in one organisation."""
    return f"{GROUP_PREFIX}{organisation.public_id}:{role}"
