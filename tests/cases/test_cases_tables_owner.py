"""Other apps change the cases' tables only through cases.services (issue #12)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cases import models as case_models

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"create", "bulk_create", "update", "update_or_create", "get_or_create", "delete"}
CASE_MODELS = {
    name
    for name, value in vars(case_models).items()
    if isinstance(value, type) and getattr(value, "__module__", "") == case_models.__name__
}
OTHER_APPS = ["accounts", "audit", "hotline", "printing", "referrals"]


def _writes_to_case_tables(path: Path, root: Path = ROOT) -> list[str]:
    """`<cases model>.objects.<write>(…)` calls in a module, as "file:line Model.write"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "cases.models":
            imported |= {alias.asname or alias.name for alias in node.names}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        manager = node.func.value
        if (
            node.func.attr in WRITES
            and isinstance(manager, ast.Attribute)
            and manager.attr == "objects"
            and isinstance(manager.value, ast.Name)
            and manager.value.id in imported & CASE_MODELS
        ):
            found.append(
                f"{path.relative_to(root)}:{node.lineno} {manager.value.id}.{node.func.attr}"
            )
    return found


@pytest.mark.parametrize("app", OTHER_APPS)
def test_no_other_app_writes_the_cases_tables_itself(app):
    modules = [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    assert modules
    found = [hit for path in modules for hit in _writes_to_case_tables(path)]
    assert found == []


def test_the_check_finds_a_direct_write(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(
        "from cases.models import Notification\n"
        "def f(u):\n"
        "    Notification.objects.create(recipient=u, kind='x')\n",
        encoding="utf-8",
    )
    assert _writes_to_case_tables(module, tmp_path) == ["example.py:3 Notification.create"]
