from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.deadlines import deadlines_escalate


class Command(BaseCommand):
    help = (
        "Record each missed deadline once and notify the people it escalates to. "
        "Safe to run from any scheduler, even twice at the same time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = deadlines_escalate()
        self.stdout.write(f"Escalated {count} missed deadline(s).")
