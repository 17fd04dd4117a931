from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import memberships_active_for
from accounts.serializers import MeSerializer


class MeView(APIView):
    """The signed-in user, their memberships, roles and areas."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        memberships = list(memberships_active_for(user=request.user))
        serializer = MeSerializer(request.user, context={"memberships": memberships})
        return Response(serializer.data)
