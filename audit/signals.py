"""Logins and failed logins go into the trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEntry
from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit-login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditEntry.Action.LOGIN, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # The username typed, never the password (Django already masks it in `credentials`).
    audit_record(
        action=AuditEntry.Action.LOGIN_FAILED,
        outcome=AuditEntry.Outcome.DENIED,
        actor_username=str(credentials.get("username", ""))[:150],
        request=request,
    )
