from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo province, organisations, users and cases (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo loads known passwords: it runs only with DEBUG on.")
        result = seed_demo()
        communes = ", ".join(c.name for c in result.communes)
        self.stdout.write(f"Demo province: {result.province.name}; communes: {communes}.")
        self.stdout.write(f"Demo cases created this run: {result.cases_created}.")
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        for username in result.usernames:
            self.stdout.write(f"  {username}")
