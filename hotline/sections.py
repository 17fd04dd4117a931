"""
The hotline's block on the case page (cases.hooks.register_case_section, from
HotlineConfig.ready): the calls to 111 behind the case, each leading to its call sheet.
"""

from __future__ import annotations

from django.http import HttpRequest

from cases.access import VIEW_CASE
from cases.hooks import CaseSection
from cases.models import Case
from hotline.selectors import calls_behind_case


def calls_case_section(
    request: HttpRequest, case: Case, permissions: set[str]
) -> CaseSection | None:
    """Who reads the whole file reads the call sheets it came from (the caller sealed unless
    they agreed to be named)."""
    if VIEW_CASE not in permissions:
        return None
    calls = list(calls_behind_case(user=request.user, case=case, permissions=permissions))
    if not calls:
        return None
    return CaseSection(template="hotline/case_calls.html", context={"calls": calls}, order=30)


CASE_SECTIONS = (calls_case_section,)
