"""What every admin page of a case record holds to: only the cases the user may
open, without the fields they may not see; every view, save and delete audited; a save
from a page drawn before someone else's refused; inlines bounded."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.filters import CountryFilter

from cases import access, editing
from cases.audit import audit_record
from cases.models import (
    AuditEvent,
)
from cases.partial_dates import (
    PartialDate,
)
from cases.public import pages as public_pages
from cases.text import isolate
from reunite.admin import GuardedModelAdmin


def _display_partial(value: PartialDate | None) -> str:
    return value.display() if value else "—"


def isolated_column(model: type[models.Model], name: str) -> Any:
    """A list column showing a name field isolated, so a right-to-left name (or one
    stored before the validators) cannot reorder the rest of its row."""
    field = model._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj: models.Model) -> str:
        return isolate(getattr(obj, name)) or "—"

    column.__name__ = name
    return column


def _without(fieldsets: list, hidden: frozenset[str]) -> list:
    """The fieldsets minus the hidden fields (names may be grouped on a line as tuples)."""
    if not hidden:
        return fieldsets
    result = []
    for name, options in fieldsets:
        lines = []
        for line in options["fields"]:
            kept = (
                tuple(f for f in line if f not in hidden)
                if isinstance(line, (list, tuple))
                else (line if line not in hidden else None)
            )
            if kept:
                lines.append(kept)
        if lines:
            result.append((name, {**options, "fields": lines}))
    return result


class CaseAccess:
    """Every admin page of a case record, inline or not: only the cases the user may
    open, without the fields they may not see (rules in `cases.access`)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.visible(super().get_queryset(request), request.user)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        return _without(fieldsets, access.hidden_fields(request.user, self.model))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            *super().get_readonly_fields(request, obj),
            *sorted(access.readonly_fields(request.user, self.model)),
        ]

    # A relation field accepts only records the user may open. (Autocomplete lists them
    # already; without this, a posted id of a hidden person or case would be accepted.)
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        return self._visible_choices(db_field, request, kwargs, super().formfield_for_foreignkey)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        return self._visible_choices(db_field, request, kwargs, super().formfield_for_manytomany)

    def _visible_choices(self, db_field: Any, request: HttpRequest, kwargs: dict, make: Any):
        field = make(db_field, request, **kwargs)
        if field is not None and access.is_case_record(db_field.related_model):
            field.queryset = access.visible(field.queryset, request.user)
        return field


class FormState:
    """A hidden field about the form itself, never a change to the record (so never in
    `changed_data`, the audit trail or the change message)."""

    widget = forms.HiddenInput

    def has_changed(self, initial: Any, data: Any) -> bool:
        return False


class EditVersionField(FormState, forms.CharField):
    pass


class SubmissionKeyField(FormState, forms.UUIDField):
    pass


class CaseRecordForm(forms.ModelForm):
    """A case record's change form, which knows the version of the record it shows
    (`cases.editing`): saving over someone else's later save is refused, input kept."""

    edit_version = EditVersionField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guarded = editing.guarded_record(self.instance) if self.instance.pk else None
        if self.guarded is not None and not self.is_bound:
            self.initial["edit_version"] = editing.edit_token(self.guarded)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.guarded is None:
            return cleaned
        conflict = editing.edit_conflict(self.guarded, cleaned.get("edit_version", ""))
        if conflict is not None:
            # Shown again with the current version: saving it then applies this input.
            self.data = self.data.copy()
            self.data[self.add_prefix("edit_version")] = conflict.token
            raise forms.ValidationError(conflict.message, code="edit_conflict")
        return cleaned


class BoundedInline:
    """An inline accepts the forms of the records it already has plus NEW_PER_SAVE new
    ones. A posted TOTAL_FORMS beyond that gets a form error, and no more forms than
    that are built (Django alone builds up to 2,000 per inline: a 100,000-form post
    cost minutes of server time and a 92 MB page)."""

    NEW_PER_SAVE = 20

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        existing = 0
        if obj is not None and obj.pk is not None:
            existing = self.model._default_manager.filter(**{formset.fk.name: obj}).count()
        formset.max_num = formset.absolute_max = existing + self.NEW_PER_SAVE
        formset.validate_max = True
        return formset


class AuditedSaves:
    """Every save of the admin page, and of each of its inline records, lands on the audit
    trail by field name (never a value)."""

    def construct_change_message(
        self, request: HttpRequest, form: forms.Form, formsets: list, add: bool = False
    ) -> list:
        # Called once per successful save, inside its transaction: the audit rows for the
        # record and its inline records commit or roll back with the change itself.
        created, changed = AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE
        audit_record(
            action=created if add else changed,
            request=request,
            obj=form.instance,
            fields=form.changed_data,
        )
        for formset in formsets or ():
            for obj in formset.new_objects:
                audit_record(action=created, request=request, obj=obj)
            for obj, fields in formset.changed_objects:
                audit_record(action=changed, request=request, obj=obj, fields=fields)
        return super().construct_change_message(request, form, formsets, add)


class ReadOnlyAdmin:
    """A trail to read: nobody adds, changes or deletes its rows here."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseRecordAdmin(CaseAccess, AuditedSaves, GuardedModelAdmin):
    """A case record's own admin pages: a record the user may not open is absent (404,
    and the attempt is logged); every view, save and delete lands on the audit trail;
    a save from a page drawn before someone else's save is refused (`CaseRecordForm`)."""

    form = CaseRecordForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list:
        # The version travels in the template's own hidden input, not as a form row.
        return [name for name in super().get_fields(request, obj) if name != "edit_version"]

    def _visible_object(self, request: HttpRequest, object_id: str) -> Any:
        """The record, if this user may open it; otherwise `access.refuse` (404, logged)."""
        obj = self.get_object(request, unquote(object_id))  # reads through get_queryset
        if obj is None:
            access.refuse(request, self.model, unquote(object_id))
        return obj

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # Lists and searches are how an insider would scrape: each one is recorded,
        # the search term itself never (it is usually a name).
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            audit_record(
                action=AuditEvent.Action.VIEW,
                request=request,
                detail=f"{self.model._meta.label_lower} list"
                + (" search" if request.GET.get("q") else ""),
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self._visible_object(request, object_id)
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET":
            audit_record(action=AuditEvent.Action.VIEW, request=request, obj=obj)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self._visible_object(request, object_id)
        audit_record(action=AuditEvent.Action.VIEW, request=request, obj=obj, detail="history")
        return super().history_view(request, object_id, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        self._visible_object(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        if change and (guarded := editing.guarded_record(obj)) is not None:
            editing.record_saved(guarded)
        super().save_model(request, obj, form, change)
        # A summary, a consent or a publishable entry may be on a petition page.
        transaction.on_commit(partial(public_pages.forget_pages_of_record, obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(action=AuditEvent.Action.DELETE, request=request, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The bulk "delete selected" action: one audited delete per record.
        for obj in queryset:
            self.delete_model(request, obj)


class CountryInUseFilter(CountryFilter):
    """Only the countries of the records this user may see. (django-countries' own
    filter lists every row's country, which would reveal where restricted cases are.)"""

    def lookup_choices(self, changelist: Any) -> list[tuple[str, str]]:
        codes = (
            changelist.root_queryset.exclude(**{self.field_path: ""})
            .order_by()
            .values_list(self.field_path, flat=True)
            .distinct()
        )
        return sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1])


class ContactYearFilter(admin.SimpleListFilter):
    """The years of the contacts this user may see (their dates may be partial)."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        years = (
            model_admin.get_queryset(request)
            .annotate(year=Substr("contacted_on", 1, 4))
            .order_by("-year")
            .values_list("year", flat=True)
            .distinct()
        )
        return [(year, year) for year in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit() and len(value) == 4:
            return queryset.filter(contacted_on__startswith=value)
        return queryset


class FollowUpFilter(admin.SimpleListFilter):
    title = _("follow-up")
    parameter_name = "follow_up"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("due", _("Due within a week or overdue")), ("overdue", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "due":
            return queryset.follow_up_due()
        if self.value() == "overdue":
            return queryset.follow_up_overdue()
        return queryset


class NoRecentContactFilter(admin.SimpleListFilter):
    title = _("contact with the separated")
    parameter_name = "no_contact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("90", _("None for 90+ days, or never"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "90":
            return queryset.without_recent_contact(days=90)
        return queryset
