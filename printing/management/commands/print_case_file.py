"""
Print a case file from the shell, recorded in the print register like any print:

    manage.py print_case_file 2026-000042 --output hs.pdf --as supervisor --purpose "…"

There is no default user: `--as` must name a user who may print the case (docs/DESIGN.md §4), so a
shell print is accounted for as one person's act, exactly like a print from the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import translation

from cases.models import Case
from printing import documents, services
from printing.render import RenderRefused
from printing.selectors import may_print_case

DEFAULT_PURPOSE = "In từ dòng lệnh (manage.py print_case_file)"


class Command(BaseCommand):
    help = "Print the whole file of a case as PDF, recorded in the print register."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case_number", help="The case number, e.g. 2026-000042.")
        parser.add_argument("--output", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--as",
            dest="username",
            help="The user printing (required): one who may print this case.",
        )
        parser.add_argument("--purpose", default=DEFAULT_PURPOSE, help="Why it is printed.")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the file's labels (Vietnamese by default).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if not username:
            raise CommandError(
                "Say who prints: --as USERNAME (a commune officer, chairman or provincial "
                "supervisor who may print this case). Every print is recorded under a name."
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        case = Case.objects.filter(number=options["case_number"]).first()
        # The same answer whether the case does not exist or the user may not print it.
        if case is None or not may_print_case(user=user, case=case):
            raise CommandError(
                f"{username} may not print a case numbered {options['case_number']!r} "
                "(no such case, or it is outside their role and area)."
            )
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        with translation.override(options["language"]):
            try:
                issued = services.document_print(
                    actor=user,
                    document=documents.case_file(case),
                    case=case,
                    purpose=options["purpose"],
                    verify_url=reverse("printing:verify"),
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            except RenderRefused as refused:
                raise CommandError(refused.message) from None
        output.write_bytes(issued.pdf)
        record = issued.record
        self.stdout.write(
            f"{output}: {record.page_count} pages, document id {record.public_id}, "
            f"SHA-256 {record.sha256}"
        )
