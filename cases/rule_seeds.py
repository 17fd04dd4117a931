"""Seeding deadline rules from a data migration (cases.DeadlineRule): one way, for each list."""

from __future__ import annotations

from typing import Any


def seed_rules(apps: Any, rules: list[dict[str, Any]]) -> None:
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    for rule in rules:
        DeadlineRule.objects.update_or_create(code=rule["code"], defaults=rule)


def unseed_rules(apps: Any, rules: list[dict[str, Any]]) -> None:
    apps.get_model("cases", "DeadlineRule").objects.filter(
        code__in=[r["code"] for r in rules]
    ).delete()
