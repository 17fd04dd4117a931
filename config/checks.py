"""
The project's own system checks, and the guard the web entry points run.

A placeholder SECRET_KEY with DEBUG off is refused where it matters: the WSGI and ASGI entry
points (which runserver loads too) refuse to start, and `check --deploy` reports it as an
error. Commands that read only the code, such as `makemigrations --check`, still work on a
machine with no environment set.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

PLACEHOLDER_MESSAGE = (
    "SECRET_KEY is the development placeholder while DEBUG is off. Set SECRET_KEY to a long "
    "random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
)


def placeholder_key_in_production() -> bool:
    return not settings.DEBUG and settings.SECRET_KEY == settings.PLACEHOLDER_SECRET_KEY


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if placeholder_key_in_production():
        return [checks.Error(PLACEHOLDER_MESSAGE, id="config.E001")]
    return []


def refuse_placeholder_key() -> None:
    """Stop a web server from starting with the placeholder key and DEBUG off."""
    if placeholder_key_in_production():
        raise ImproperlyConfigured(PLACEHOLDER_MESSAGE)
