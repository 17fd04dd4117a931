"""Logins, failed logins and the administrators' changes go into the trail."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from audit.context import current
from audit.models import AuditEntry
from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit-login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditEntry.Action.LOGIN, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    """
    The username typed only when it is an account's: people type their email, phone number or
    even password into that box, and the trail keeps what it is given for ever. Never the
    password (Django already masks it in `credentials`).
    """
    typed = str(credentials.get("username", ""))[:150]
    known = bool(typed) and get_user_model().objects.filter(username=typed).exists()
    audit_record(
        action=AuditEntry.Action.LOGIN_FAILED,
        outcome=AuditEntry.Outcome.DENIED,
        actor_username=typed if known else "",
        request=request,
        detail={} if known else {"unknown_user": True},
    )


ADMIN_OPERATIONS = {ADDITION: "admin_add", CHANGE: "admin_change"}


@receiver(post_save, sender=LogEntry, dispatch_uid="audit-admin-change")
def on_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """
    A change made in the admin (memberships, organisations, users, deadline rules): Django logs
    it inside the admin's transaction, so the entry commits or rolls back with the change. The
    object's name (`object_repr`) and the change message stay out: they may name a person.
    """
    if not created or instance.action_flag == DELETION:
        return  # deletions: on_admin_delete, which also sees bulk deletions
    audit_record(
        action=AuditEntry.Action.WRITE,
        actor=instance.user,
        object_type=instance.content_type.model if instance.content_type_id else "",
        object_id=instance.object_id or "",
        detail={"operation": ADMIN_OPERATIONS.get(instance.action_flag, "admin")},
    )


@receiver(pre_delete, dispatch_uid="audit-admin-delete")
def on_admin_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """
    Every row an admin page deletes, cascades included, by id: Django logs a bulk "delete
    selected" with bulk_create, which sends no post_save. In the deletion's transaction.
    """
    context = current()
    if context is None or not context.view.startswith("admin:") or sender is AuditEntry:
        return
    audit_record(
        action=AuditEntry.Action.WRITE,
        actor=getattr(context.request, "user", None),
        object_type=instance._meta.model_name,
        object_id=str(instance.pk),
        detail={"operation": "admin_delete"},
    )
