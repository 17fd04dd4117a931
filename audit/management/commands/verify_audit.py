from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEntry
from audit.verify import audit_verify


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain and name the first entry altered, removed or moved. "
        "The chain cannot show that its newest entries were cut off: keep the head it prints "
        "outside the database and pass it back with --expect."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="An entry recorded earlier (a printed head) that must still be in the chain.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.checked} good entries: {report.problem}."
            )
        for expected in options["expect"]:
            seq_text, _sep, hash_ = expected.partition(":")
            if not seq_text.isdigit() or len(hash_) != 64:
                raise CommandError(f"--expect takes SEQ:HASH (a printed head), not {expected!r}.")
            if not AuditEntry.objects.filter(seq=int(seq_text), hash=hash_).exists():
                raise CommandError(
                    f"Entry {seq_text} with hash {hash_[:12]}… is no longer in the chain: "
                    "entries were removed from its end or rewritten."
                )
        self.stdout.write(f"Audit chain intact: {report.checked} entries.")
        if report.head is not None:
            seq, hash_ = report.head
            self.stdout.write(f"Head: {seq}:{hash_} (keep it outside the database).")
