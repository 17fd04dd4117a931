"""The hash chain: each entry's hash covers its content and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "outcome",
    "ip",
    "detail",
)


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Return the SHA-256 of the previous hash and the entry's content, canonically encoded."""
    canonical = json.dumps(
        {name: content[name] for name in CHAINED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}:{canonical}".encode()).hexdigest()


def content_of(entry: Any) -> dict[str, Any]:
    content = {name: getattr(entry, name) for name in CHAINED_FIELDS}
    content["at"] = entry.at.isoformat()
    content["ip"] = entry.ip or ""
    return content
