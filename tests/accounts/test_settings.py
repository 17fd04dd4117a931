"""Settings come from the environment through helpers that refuse malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import envbool, envint, envlist

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("False", False), ("0", False)]
)
def test_envbool_reads_true_false_and_1_0(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert envbool("X_FLAG", not expected) is expected


def test_envbool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG", False)


def test_envint_refuses_words(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        envint("X_NUM", 1)
    monkeypatch.setenv("X_NUM", " 42 ")
    assert envint("X_NUM", 1) == 42


def test_envlist_splits_and_refuses_empty_items(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.vn, b.vn")
    assert envlist("X_LIST", []) == ["a.vn", "b.vn"]
    monkeypatch.setenv("X_LIST", "a.vn,,b.vn")
    with pytest.raises(ImproperlyConfigured):
        envlist("X_LIST", [])


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_placeholder_secret_key_is_refused_with_debug_off():
    result = _manage("check", "--deploy", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is the development placeholder" in result.stderr


def test_the_web_entry_points_refuse_the_placeholder_with_debug_off():
    for module in ("config.wsgi", "config.asgi"):
        clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT,
            env={**clean, "DEBUG": "false"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode != 0
        assert "SECRET_KEY is the development placeholder" in result.stderr


def test_code_only_commands_run_with_no_environment_set():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_a_malformed_debug_value_is_refused():
    result = _manage("check", DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG must be true/false or 1/0" in result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-" + "x9Qz" * 16,
        ALLOWED_HOSTS="bvte.example.vn",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
