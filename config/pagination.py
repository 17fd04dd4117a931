"""The API's keyset pagination (config.keyset): `?cursor=`, a capped count, next and previous."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.keyset import COUNT_CAP, InvalidCursor, keyset_page

CURSOR_PARAM = "cursor"


class KeysetPagination(BasePagination):
    """Newest first; each page starts after the last row of the one before (no OFFSET)."""

    page_size = 50
    fields: tuple[str, ...] = ("received_at", "id")

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        try:
            page = keyset_page(
                queryset,
                cursor=request.query_params.get(CURSOR_PARAM),
                size=self.page_size,
                fields=self.fields,
            )
        except InvalidCursor:
            raise exceptions.ValidationError(
                {CURSOR_PARAM: [_("This page link is not valid. Start again from the first page.")]}
            ) from None
        self.page = page
        self.count = page.count(queryset)
        return page.rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), CURSOR_PARAM, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count.value,
                "count_capped": self.count.capped,
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_capped", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"How many rows the list holds, counted up to {COUNT_CAP}.",
                },
                "count_capped": {
                    "type": "boolean",
                    "description": f"True when the list holds more than {COUNT_CAP} rows.",
                },
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The page of older rows, if any.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The page of newer rows, if any.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the cursor of a `next` or `previous` link.",
                "schema": {"type": "string"},
            }
        ]
