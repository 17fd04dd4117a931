from __future__ import annotations

from rest_framework import serializers

from accounts.serializers import AdministrativeUnitSerializer
from cases.models import Case


class CaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    commune = AdministrativeUnitSerializer(read_only=True)
    province = AdministrativeUnitSerializer(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "child_name",
            "commune",
            "province",
            "status",
            "received_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
