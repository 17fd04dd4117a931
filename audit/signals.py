"""Logins, failed logins and the administrators' changes go into the trail."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
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


ADMIN_OPERATIONS = {1: "admin_add", 2: "admin_change", 3: "admin_delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="audit-admin-change")
def on_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """
    A change made in the admin (memberships, organisations, users, deadline rules): Django logs
    it inside the admin's transaction, so the entry commits or rolls back with the change. The
    object's name (`object_repr`) and the change message stay out: they may name a person.
    """
    if not created:
        return
    audit_record(
        action=AuditEntry.Action.WRITE,
        actor=instance.user,
        object_type=instance.content_type.model if instance.content_type_id else "",
        object_id=instance.object_id or "",
        detail={"operation": ADMIN_OPERATIONS.get(instance.action_flag, "admin")},
    )
