"""The print section of the case page (registered through cases.hooks in PrintingConfig)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.hooks import CaseSection
from config.keyset import first_rows_counted
from printing.documents import FORM_NUMBERS, FORM_TITLES, forms_available
from printing.models import PrintRecord
from printing.selectors import PRINT_CASE

REGISTER_SHOWN = 10


def print_section(request: HttpRequest, case: Any, permissions: set[str]) -> CaseSection | None:
    """Links to print the file and each form, and the latest prints; for `print_case` only."""
    if PRINT_CASE not in permissions:
        return None
    available = forms_available(case)
    records, record_count = first_rows_counted(
        PrintRecord.objects.filter(case=case).select_related("printed_by"), REGISTER_SHOWN
    )
    return CaseSection(
        template="printing/case_section.html",
        context={
            "forms": [
                {"number": n, "title": FORM_TITLES[n], "available": available[n]}
                for n in FORM_NUMBERS
            ],
            "records": records,
            "record_count": record_count,
        },
        order=90,
    )
