"""Recording into the trail. Call inside the transaction of what is recorded."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import GENESIS, content_of, entry_hash
from audit.models import AuditEntry

# Any constant: the advisory lock that makes the chain one chain on PostgreSQL.
CHAIN_LOCK = 7_111_111


def _lock_chain() -> None:
    """Serialise appends: two transactions must not both extend the same last entry."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    # SQLite allows one writer at a time: the insert below serialises appends by itself.


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def audit_record(
    *,
    action: str,
    outcome: str = AuditEntry.Outcome.OK,
    actor: Any = None,
    actor_username: str = "",
    organisation: str = "",
    object_type: str = "",
    object_id: str = "",
    case_id: str = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """
    Append one entry. It commits or rolls back with the surrounding transaction, so a write
    is never without its entry and a rolled-back write leaves none.
    """
    _lock_chain()
    last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=timezone.now(),
        actor_id=actor.pk if authenticated else None,
        actor_username=(actor.get_username() if authenticated else actor_username)[:150],
        organisation=organisation[:255],
        action=action,
        object_type=object_type[:40],
        object_id=str(object_id)[:64],
        case_id=str(case_id)[:64],
        outcome=outcome,
        ip=client_ip(request),
        # Only JSON-native values, so the hash recomputed from the stored row is the same.
        detail=json.loads(json.dumps(detail or {}, default=str)),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, content_of(entry))
    entry.save(force_insert=True)
    return entry
