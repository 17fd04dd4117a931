"""
The hash chain: each entry's hash covers its content and the previous entry's hash.

hash = SHA-256 of "<previous hash>:<content>", the content being the entry's fields as JSON with
sorted keys and no spaces. "seq" sorts last, so the content is a prefix that does not depend on
the entry's place, followed by `,"seq":<n>}`: PostgreSQL completes and hashes it where it
assigns the place (audit_append, migration 0004), Python everywhere else and when verifying.
"""

from __future__ import annotations

import hashlib
import ipaddress
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
assert max((*CHAINED_FIELDS, *LATER_FIELDS)) == "seq"  # the prefix form below relies on it


def content_prefix(content: dict[str, Any]) -> str:
    """The canonical JSON of the content without its place: everything up to `,"seq":n}`."""
    hashed = {name: content[name] for name in CHAINED_FIELDS if name != "seq"}
    hashed.update({name: content[name] for name in LATER_FIELDS if content.get(name)})
    canonical = json.dumps(
        hashed, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return canonical[:-1]


def link_hash(prev_hash: str, prefix: str, seq: int) -> str:
    return hashlib.sha256(f'{prev_hash}:{prefix},"seq":{seq}}}'.encode()).hexdigest()


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Return the SHA-256 of the previous hash and the entry's content, canonically encoded."""
    return link_hash(prev_hash, content_prefix(content), content["seq"])


def canonical_ip(value: Any) -> str:
    """An address in one spelling, whatever spelling the database hands back."""
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def content_of(entry: Any) -> dict[str, Any]:
    content = {name: getattr(entry, name) for name in (*CHAINED_FIELDS, *LATER_FIELDS)}
    content["at"] = entry.at.isoformat()
    content["ip"] = canonical_ip(entry.ip)
    return content
