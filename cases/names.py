"""Vietnamese names compared the way people type them: without diacritics or case."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """Fold a name for matching: "Nguyễn  Văn Đức" and "nguyen van duc" give the same key."""
    text = unicodedata.normalize("NFD", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D")
    return " ".join(text.lower().split())
