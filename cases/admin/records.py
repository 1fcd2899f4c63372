"""Separations and government contacts on their own pages."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases import services
from cases.admin.base import (
    CaseRecordAdmin,
    ContactYearFilter,
    CountryInUseFilter,
    _display_partial,
    isolated_column,
)
from cases.admin.families import SeparationForm
from cases.models import (
    GovernmentContact,
    Separation,
)


@admin.register(Separation)
class SeparationAdmin(CaseRecordAdmin):
    form = SeparationForm
    list_display = ["person", "family", "since_display", "circumstance", "status"]
    list_filter = ["status", "circumstance"]
    list_select_related = ["person", "family"]
    search_fields = [
        "family__reference",
        "person__name_latin",
        "person__name_uyghur",
        "person__name_chinese",
        "person__aliases",
    ]
    autocomplete_fields = ["family", "person", "separated_from"]

    @admin.display(description=_("since"), ordering="since")
    def since_display(self, separation: Separation) -> str:
        return _display_partial(separation.since)

    def save_model(
        self, request: HttpRequest, obj: Separation, form: forms.Form, change: bool
    ) -> None:
        effective_on = form.cleaned_data.get("status_effective_on")
        if not change:
            services.separation_create(
                separation=obj, actor=request.user, effective_on=effective_on
            )
            return
        if "status" in form.changed_data:
            services.separation_change_status(
                separation=obj, status=obj.status, actor=request.user, effective_on=effective_on
            )
        super().save_model(request, obj, form, change)


@admin.register(GovernmentContact)
class GovernmentContactAdmin(CaseRecordAdmin):
    list_display = [
        "contacted_on",
        "family",
        "government",
        isolated_column(GovernmentContact, "body"),
        "direction",
        "outcome",
        "follow_up_on",
        "response_on",
    ]
    list_filter = [
        "outcome",
        "direction",
        "body_kind",
        ("government", CountryInUseFilter),
        ContactYearFilter,
    ]
    list_select_related = ["family"]
    search_fields = ["body", "official", "summary", "family__reference", "family__name"]
    autocomplete_fields = ["family"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(
        self, request: HttpRequest, obj: GovernmentContact, form: forms.Form, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
