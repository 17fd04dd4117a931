"""The audit API under /api/v1/audit/: for auditors only."""

from __future__ import annotations

from django.urls import path

from audit import api

urlpatterns = [path("audit/entries/", api.AuditEntryListView.as_view(), name="api-audit-entries")]
