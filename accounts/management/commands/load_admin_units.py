from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.admin_units import load_admin_units


class Command(BaseCommand):
    help = "Load Vietnam's current provinces and communes (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_admin_units()
        self.stdout.write(
            f"Administrative units (vietnam-provinces data of {result.data_version}): "
            f"{result.provinces_total} provinces ({result.provinces_created} created, "
            f"{result.provinces_updated} updated), {result.communes_total} communes "
            f"({result.communes_created} created, {result.communes_updated} updated)."
        )
