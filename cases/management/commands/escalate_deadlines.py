from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.deadlines import deadlines_escalate
from cases.hooks import escalators


class Command(BaseCommand):
    help = (
        "Record each missed deadline once and notify the people it escalates to. "
        "Safe to run from any scheduler, even twice at the same time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        count = deadlines_escalate(now=now) + sum(escalate(now) for escalate in escalators())
        self.stdout.write(f"Escalated {count} missed deadline(s).")
