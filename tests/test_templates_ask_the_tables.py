"""
Templates ask the models and the life-cycle tables, never restate a state (issue #12): no
template compares a status with a literal, so renaming or adding a state cannot leave a page
deciding by an old copy of the rule.
"""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATUS_LITERAL = re.compile(r"""\bstatus\s*(==|!=|in)\s*["']""")


def test_no_template_compares_a_status_with_a_literal():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ROOT.glob("templates/**/*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{%" in line and STATUS_LITERAL.search(line)
    ]
    assert found == []


def test_the_check_finds_a_literal_comparison():
    assert STATUS_LITERAL.search("{% if item.status == 'no_case' %}")
    assert STATUS_LITERAL.search('{% if r.status != "sent" %}')
    assert not STATUS_LITERAL.search("{% if r.acknowledgement_late %}")
