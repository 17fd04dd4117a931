"""`Idempotency-Key` on create endpoints: a retry gets the first answer and creates nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import audit_transaction
from hotline.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _body_hash(request: Request) -> str:
    try:
        canonical = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        canonical = request.body.decode("utf-8", "replace")
    return hashlib.sha256(canonical.encode()).hexdigest()


def _error(code: str, message: str, http_status: int) -> Response:
    return Response(
        {"error": {"status": http_status, "code": code, "message": message, "fields": {}}},
        status=http_status,
    )


def idempotent(request: Request, endpoint: str, create: Callable[[], Response]) -> Response:
    """
    Run `create` once per (user, endpoint, key).

    The record and the creation share one transaction, so a concurrent retry waits on the
    unique key until the first request commits and then receives its answer; if the first
    request fails, its record goes with it and the retry runs afresh.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _error(
            "invalid_idempotency_key",
            _("The Idempotency-Key must be 1 to 255 characters."),
            status.HTTP_400_BAD_REQUEST,
        )
    body_hash = _body_hash(request)
    with audit_transaction():  # the created object's entries come last, after the key's row
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    key=key, user=request.user, endpoint=endpoint, request_hash=body_hash
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(key=key, user=request.user, endpoint=endpoint)
            if record.request_hash != body_hash:
                return _error(
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used with a different request body."),
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        response = create()
        if response.status_code >= 400:
            # Nothing was created: let the client correct the request under the same key.
            transaction.set_rollback(True)
            return response
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, default=str))
        record.save(update_fields=["response_status", "response_body"])
        return response
