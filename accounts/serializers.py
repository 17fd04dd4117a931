from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AdministrativeUnit, Membership, User


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
