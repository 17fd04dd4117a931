"""
The call-centre webhook: signed events (call started, answered, ended) that build the ringing
call the operator's screen opens from.

Contract (README "Telephony webhook"): the body is JSON
  {"event_id": "...", "type": "call.started" | "call.answered" | "call.ended",
   "call_id": "...", "caller_number": "...", "occurred_at": "2026-11-29T08:15:00+07:00"}
with headers `X-Telephony-Timestamp: <unix seconds>` and
`X-Telephony-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from audit.services import audited
from hotline.models import TelephonyCall, TelephonyEvent, WebhookSignature
from hotline.phones import caller_number_parse

SIGNATURE_HEADER = "X-Telephony-Signature"
TIMESTAMP_HEADER = "X-Telephony-Timestamp"
FIELD_BY_KIND = {
    TelephonyEvent.Kind.STARTED: "started_at",
    TelephonyEvent.Kind.ANSWERED: "answered_at",
    TelephonyEvent.Kind.ENDED: "ended_at",
}


class SignatureRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """Return the signature header value a sender puts on `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signature_verify(*, body: bytes, timestamp: str | None, signature: str | None) -> None:
    """Refuse a missing, wrong, stale or replayed signature; remember a good one."""
    secret = settings.TELEPHONY_WEBHOOK_SECRET
    if not secret:
        raise SignatureRefused("not_configured", _("The telephony webhook is not configured."))
    if not timestamp or not signature:
        raise SignatureRefused("missing_signature", _("The request is not signed."))
    if len(timestamp) > 12 or not timestamp.strip().isdigit():
        raise SignatureRefused("bad_timestamp", _("The timestamp is not a number of seconds."))
    sent_at = int(timestamp)
    if abs(timezone.now().timestamp() - sent_at) > settings.TELEPHONY_WEBHOOK_WINDOW_SECONDS:
        raise SignatureRefused("stale_signature", _("The signature is too old or too new."))
    expected = sign(body, sent_at, secret)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureRefused("bad_signature", _("The signature does not match."))
    # Signatures older than twice the window can no longer pass the time check: forget them.
    window = settings.TELEPHONY_WEBHOOK_WINDOW_SECONDS
    WebhookSignature.objects.filter(timestamp__lt=sent_at - 2 * window).delete()
    try:
        with transaction.atomic():
            WebhookSignature.objects.create(signature=expected[7:], timestamp=sent_at)
    except IntegrityError:
        raise SignatureRefused(
            "replayed_signature", _("This signed request was already received.")
        ) from None


@dataclass(frozen=True)
class EventResult:
    call: TelephonyCall
    created: bool  # False: the same event was delivered before and changed nothing


def _parse(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": _("The body is not JSON.")}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": _("The body must be a JSON object.")})
    errors = {}
    for name in ("event_id", "type", "call_id", "occurred_at"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            errors[name] = _("This field is required.")
    if data.get("type") and data["type"] not in TelephonyEvent.Kind.values:
        errors["type"] = _("Use call.started, call.answered or call.ended.")
    try:
        raw_time = data.get("occurred_at")
        occurred = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        occurred = None
    if data.get("occurred_at") and (occurred is None or timezone.is_naive(occurred)):
        errors["occurred_at"] = _("Give an ISO 8601 time with its offset.")
    for name in ("event_id", "call_id", "caller_number"):
        value = data.get(name)
        if isinstance(value, str) and (len(value) > 100 or "\x00" in value):
            errors[name] = _("At most 100 characters, and no control characters.")
    if errors:
        raise ValidationError(errors)
    data["occurred_at"] = occurred
    return data


@audited("telephony_event_apply")
def telephony_event_apply(*, body: bytes) -> EventResult:
    """
    Apply one event. A second delivery of the same event changes nothing; events of one call
    may come in any order and end in the same state.
    """
    data = _parse(body)
    call, _created = TelephonyCall.objects.get_or_create(call_id=data["call_id"])
    call = TelephonyCall.objects.select_for_update().get(pk=call.pk)
    try:
        with transaction.atomic():
            TelephonyEvent.objects.create(
                event_id=data["event_id"],
                call=call,
                kind=data["type"],
                occurred_at=data["occurred_at"],
            )
    except IntegrityError:
        return EventResult(call=call, created=False)
    field = FIELD_BY_KIND[data["type"]]
    occurred: datetime.datetime = data["occurred_at"]
    changed = []
    current = getattr(call, field)
    if current is None or occurred < current:
        setattr(call, field, occurred)
        changed.append(field)
    raw_number = data.get("caller_number")
    if raw_number is not None and not call.caller_number_kind:
        try:
            parsed = caller_number_parse(str(raw_number))
            call.caller_number, call.caller_number_kind = parsed.value, parsed.kind
        except ValidationError:
            call.caller_number, call.caller_number_kind = "", "invalid"
        changed += ["caller_number", "caller_number_kind"]
    if changed:
        call.save(update_fields=[*changed, "updated_at"])
    return EventResult(call=call, created=True)


def telephony_calls_waiting(*, within: datetime.timedelta = datetime.timedelta(hours=2)):
    """Calls the call centre announced in the last hours that no operator has logged yet."""
    since = timezone.now() - within
    return (
        TelephonyCall.objects.filter(logged_call__isnull=True)
        .exclude(started_at__lt=since)
        .order_by("-started_at", "-id")
    )
