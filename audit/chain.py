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
# Fields added after the first entries were written: hashed only when set, so entries written
# before them still verify, and setting or clearing one on any entry breaks its hash.
LATER_FIELDS = ("organisation_id",)


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Return the SHA-256 of the previous hash and the entry's content, canonically encoded."""
    hashed = {name: content[name] for name in CHAINED_FIELDS}
    hashed.update({name: content[name] for name in LATER_FIELDS if content.get(name)})
    canonical = json.dumps(
        hashed,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}:{canonical}".encode()).hexdigest()


def content_of(entry: Any) -> dict[str, Any]:
    content = {name: getattr(entry, name) for name in (*CHAINED_FIELDS, *LATER_FIELDS)}
    content["at"] = entry.at.isoformat()
    content["ip"] = entry.ip or ""
    return content
