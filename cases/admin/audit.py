"""The audit trail: read by supervisors, changed by nobody."""

from __future__ import annotations

from django.contrib import admin

from cases.admin.base import ReadOnlyAdmin
from cases.models import (
    AuditEvent,
)
from reunite.admin import GuardedModelAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, GuardedModelAdmin):
    """Supervisors read the trail here; nobody can add, change or delete it."""

    list_display = [
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "case_reference",
        "fields",
        "ip_address",
    ]
    list_filter = ["action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    search_fields = ["case_reference", "object_id", "detail"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
