from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AdministrativeUnit, Membership, User


@extend_schema_field({"type": "string", "description": "The commune's official code (mã xã)."})
class CommuneCodeField(serializers.RelatedField):
    """
    A current commune (level commune, no end of validity), given by its official code: the one
    field for it in every API. Anything but a printable code is "invalid", never a crash.
    """

    default_error_messages = {
        "does_not_exist": _("No current commune has the code “{value}”."),
        "invalid": _("Give the commune's official code."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "queryset",
            AdministrativeUnit.objects.filter(
                level=AdministrativeUnit.Level.COMMUNE, valid_to__isnull=True
            ),
        )
        kwargs.setdefault("help_text", 'The commune\'s official code (mã xã), e.g. "00004".')
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> AdministrativeUnit:
        if not isinstance(data, (str, int)) or isinstance(data, bool) or not str(data).strip():
            self.fail("invalid")
        code = str(data).strip()[:20]
        if not code.isprintable() or any("\ud800" <= ch <= "\udfff" for ch in code):
            self.fail("invalid")
        commune = self.get_queryset().filter(code=code).order_by("-valid_from", "pk").first()
        if commune is None:
            self.fail("does_not_exist", value=code)
        return commune

    def to_representation(self, value: AdministrativeUnit) -> str:
        return value.code


class AdministrativeUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdministrativeUnit
        fields = ["code", "name", "level"]


class MembershipSerializer(serializers.ModelSerializer):
    organisation = serializers.SerializerMethodField()
    area = AdministrativeUnitSerializer(source="organisation.area", allow_null=True)

    class Meta:
        model = Membership
        fields = ["organisation", "role", "area"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
                "kind": {"type": "string"},
            },
        }
    )
    def get_organisation(self, membership: Membership) -> dict[str, str]:
        organisation = membership.organisation
        return {
            "id": str(organisation.public_id),
            "name": organisation.name,
            "kind": organisation.kind,
        }


class MeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    memberships = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "is_staff", "roles", "memberships"]

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list[dict[str, object]]:
        return MembershipSerializer(self.context["memberships"], many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, user: User) -> list[str]:
        return sorted({m.role for m in self.context["memberships"]})
