from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.verify import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and name the first entry altered, removed or moved."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.checked} good entries: {report.problem}."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} entries.")
