"""Administrators manage the deadline rules; case content stays out of the admin."""

from __future__ import annotations

from django.contrib import admin

from cases.models import DeadlineRule


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "citation", "duration", "unit", "is_active"]
    list_filter = ["unit", "is_active"]
    search_fields = ["code", "name_vi", "name_en", "citation"]
    readonly_fields = ["code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Clocks on cases point at their rule; retire a rule by making it inactive.
        return False
