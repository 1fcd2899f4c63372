"""The caseworkers' daily tool. Thin: queries live on the QuerySets, changes that
belong on the timeline go through `cases.services`."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries
from django_countries.filters import CountryFilter

from cases import access, editing, services
from cases.audit import audit_record
from cases.crypto import search_digest
from cases.forms import PeopleForm, SeparatedPersonForm, SeparatedPersonFormSet
from cases.models import (
    AuditEvent,
    Family,
    GovernmentContact,
    Membership,
    Person,
    Separation,
    TimelineEntry,
)
from cases.partial_dates import (
    PartialDate,
    PartialDateField,
    PartialDateFormField,
    parse_birth,
    validate_not_in_future,
)
from cases.text import isolate
from cases.timeline import case_timeline
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


class CaseRecordAdmin(CaseAccess, GuardedModelAdmin):
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

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        if change and (guarded := editing.guarded_record(obj)) is not None:
            editing.record_saved(guarded)
        super().save_model(request, obj, form, change)

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


class SeparatedPersonInline:
    """Inline mixin for contacts and entries: they name the separated person, not the
    separation, so that one added in the same save can be chosen (`cases.forms`).
    Offered: the people this user may see; accepted: those with a separation in this
    case; linked to it when saved (FamilyAdmin.save_formset)."""

    form = SeparatedPersonForm
    formset = SeparatedPersonFormSet

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("separation__person")

    def get_formset(self, request: HttpRequest, obj: Family | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        # A new field for this request's form class: the declared one is shared by all.
        declared = SeparatedPersonForm.declared_fields["separated_person"]
        formset.form.base_fields["separated_person"] = forms.ModelChoiceField(
            queryset=access.visible(Person.objects.all(), request.user),
            required=False,
            label=declared.label,
            help_text=declared.help_text,
            widget=admin.widgets.AutocompleteSelect(
                Separation._meta.get_field("person"), self.admin_site
            ),
        )
        return formset

    @admin.display(description=SeparatedPersonForm.declared_fields["separated_person"].label)
    def separated_person(self, obj: GovernmentContact | TimelineEntry) -> str:
        # Shown to those who may only view the row.
        return str(obj.separation.person) if obj.separation_id else "—"


class MembershipInline(CaseAccess, BoundedInline, admin.TabularInline):
    model = Membership
    autocomplete_fields = ["person"]
    extra = 0


class StatusDateForm(forms.ModelForm):
    """A form that changes a status also says when the new status took effect, at the
    precision known (a 2019 story entered today is not dated today)."""

    status_effective_on = PartialDateFormField(
        label=_("status reached on"),
        required=False,
        validators=[validate_not_in_future],
        help_text=_("When the status took effect: a year, a month or a day. Blank: today."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        status_set = self.instance.pk is None or "status" in self.changed_data
        if cleaned.get("status_effective_on") and not status_set:
            self.add_error(
                "status_effective_on",
                _("This date goes with a status change: change the status, or clear the date."),
            )
        return cleaned


class SeparationInlineForm(StatusDateForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person = cleaned.get("person")
        if person and person in (cleaned.get("separated_from") or []):
            self.add_error("separated_from", _("A person cannot be separated from themselves."))
        return cleaned


class SeparationForm(SeparationInlineForm, CaseRecordForm):
    pass


class SeparationInline(CaseAccess, BoundedInline, admin.StackedInline):
    model = Separation
    form = SeparationInlineForm
    autocomplete_fields = ["person", "separated_from"]
    fields = [
        ("person", "status", "status_effective_on"),
        "separated_from",
        ("since", "circumstance"),
        "details",
    ]
    extra = 0


class GovernmentContactInline(
    CaseAccess, BoundedInline, SeparatedPersonInline, admin.StackedInline
):
    model = GovernmentContact
    fields = [
        ("contacted_on", "direction", "channel", "intermediary"),
        ("government", "body_kind"),
        ("body", "official"),
        "separated_person",
        "summary",
        ("outcome", "follow_up_on", "response_on"),
    ]
    extra = 0


class EvidenceFileInput(admin.widgets.AdminFileWidget):
    """Names an evidence file by the name it was uploaded under, linking to the
    permission-checked download (evidence has no public address)."""

    template_name = "admin/cases/widgets/evidence_file_input.html"

    def is_initial(self, value: Any) -> bool:
        # A stored file, which has a record; not its storage URL, which it must not have.
        return bool(value) and getattr(value, "instance", None) is not None

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        entry = getattr(value, "instance", None)
        if context["widget"]["is_initial"] and entry is not None and entry.pk:
            context["widget"]["download_url"] = reverse("staff:evidence_download", args=[entry.pk])
            context["widget"]["original_name"] = (
                getattr(entry, "source_document_name", "") or PurePath(value.name).name
            )
        return context


class TimelineEntryInline(CaseAccess, BoundedInline, SeparatedPersonInline, admin.StackedInline):
    model = TimelineEntry
    formfield_overrides = {models.FileField: {"widget": EvidenceFileInput}}
    fields = [
        ("occurred_on", "kind", "separated_person"),
        "title",
        "description",
        ("source", "reliability"),
        ("source_url", "source_document"),
        "publishable",
    ]
    extra = 0


class FamilyForm(StatusDateForm, CaseRecordForm):
    """The admin builds the model fields from FamilyAdmin.fieldsets; this adds the note,
    and on the add page the key that makes a repeated submission create one case."""

    submission_key = SubmissionKeyField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            self.initial["submission_key"] = uuid.uuid4()

    status_note = forms.CharField(
        label=_("note on the status change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the status changed. Kept on the timeline, never published."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("status_note") and "status" not in self.changed_data:
            self.add_error(
                "status_note",
                _("This note is kept with a status change: change the status, or clear the note."),
            )
        return cleaned


class CaseVersionForm(CaseRecordForm):
    """Only the version check of a case's change form, for a page that adds to the case
    another way ("Add several people"): a post from a page drawn before another save of
    the case (someone else's, or a second click on the button) is refused."""

    class Meta:
        model = Family
        fields: list[str] = []


@admin.register(Family)
class FamilyAdmin(CaseRecordAdmin):
    form = FamilyForm
    change_form_template = "admin/cases/family/change_form.html"
    case_name = staticmethod(isolated_column(Family, "name"))
    list_display = [
        "reference",
        "case_name",
        "status",
        "priority",
        "host_country",
        "caseworker_names",
        "next_follow_up",
        "last_contact",
    ]
    list_display_links = ["reference", "case_name"]
    list_filter = [
        "status",
        "priority",
        "restricted",
        ("host_country", CountryInUseFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
        ("caseworkers", admin.RelatedOnlyFieldListFilter),
        FollowUpFilter,
        NoRecentContactFilter,
    ]
    search_fields = [
        "reference",
        "name",
        "members__name_latin",
        "members__name_uyghur",
        "members__name_chinese",
        "members__aliases",
    ]
    search_help_text = _("Reference, case name, or any member's name in any script or spelling.")
    autocomplete_fields = ["reporting_contact", "caseworkers"]
    readonly_fields = ["reference", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("reference", "name"),
                    ("status", "status_effective_on", "priority"),
                    "status_note",
                ]
            },
        ),
        (
            _("People"),
            {
                "fields": [
                    "reporting_contact",
                    ("caseworkers", "team"),
                    "restricted",
                    "host_country",
                ]
            },
        ),
        (_("Summaries"), {"fields": ["internal_summary", "public_summary"]}),
        (_("Dates"), {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]
    inlines = [MembershipInline, SeparationInline, GovernmentContactInline, TimelineEntryInline]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Family]:
        open_follow_ups = GovernmentContact.objects.filter(
            family=OuterRef("pk"), response_on="", follow_up_on__isnull=False
        ).order_by("follow_up_on")
        contacts = (
            Separation.objects.filter(family=OuterRef("pk"))
            .exclude(person__last_contact="")
            .order_by("person__last_contact")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_follow_up=Subquery(open_follow_ups.values("follow_up_on")[:1]),
                oldest_last_contact=Subquery(
                    contacts.values("person__last_contact")[:1], output_field=PartialDateField()
                ),
            )
            .prefetch_related("caseworkers")
        )

    @admin.display(description=_("caseworkers"))
    def caseworker_names(self, family: Family) -> str:
        # A username may break after its dots (<wbr>), so the column stays narrow.
        names = [
            format_html_join(mark_safe(".<wbr>"), "{}", ((part,) for part in name.split(".")))
            for name in (user.get_username() for user in family.caseworkers.all())
        ]
        return format_html_join(", ", "{}", ((name,) for name in names)) or "—"

    @admin.display(description=_("follow-up"), ordering="next_follow_up")
    def next_follow_up(self, family: Family) -> str:
        """The next open follow-up as a compact date, the same in every language; an
        overdue one is marked in words, not by colour alone."""
        due = family.next_follow_up
        if due is None:
            return "—"
        when = format_html(
            '<time datetime="{}" title="{}">{}</time>',
            due.isoformat(),
            formats.date_format(due, "DATE_FORMAT"),
            due.isoformat(),
        )
        if due < timezone.localdate():
            return format_html('<mark class="overdue">{}</mark> {}', _("Overdue"), when)
        return when

    @admin.display(description=_("last contact"), ordering="oldest_last_contact")
    def last_contact(self, family: Family) -> str:
        return _display_partial(family.oldest_last_contact)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Family | None = None,
    ) -> HttpResponse:
        # The family the page already loaded: its timeline, newest first.
        if obj is not None:
            timeline = case_timeline(obj, private=access.can_see_private(request.user))
            context["timeline"] = timeline[::-1]
            if self.may_add_people(request, obj):
                context["add_people_url"] = reverse("admin:cases_family_add_people", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Add several people ---------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        # Before the admin's own: its "<path:object_id>/" would take this path too.
        add_people = path(
            "<path:object_id>/add-people/",
            self.admin_site.admin_view(self.add_people_view),
            name="cases_family_add_people",
        )
        return [add_people, *super().get_urls()]

    def may_add_people(self, request: HttpRequest, family: Family) -> bool:
        """Whoever may change the case and add people, members and separations."""
        return self.has_change_permission(request, family) and request.user.has_perms(
            ["cases.add_person", "cases.add_membership", "cases.add_separation"]
        )

    def add_people_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Several people put on a case in one step (`services.family_add_people`).
        Checked as the case's change page is: a case the user may not open is absent
        (404, logged), one they may not change is refused; the page is audited and
        carries the case's version (`CaseVersionForm`)."""
        family = self._visible_object(request, object_id)
        if not self.may_add_people(request, family):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        version = CaseVersionForm(data, instance=family)
        form = PeopleForm(data, family=family, user=request.user)
        if data is None:
            audit_record(
                action=AuditEvent.Action.VIEW, request=request, obj=family, detail="add people"
            )
        else:
            with transaction.atomic():
                if all([version.is_valid(), form.is_valid()]):  # both: every error at once
                    try:
                        added = services.family_add_people(
                            family=family,
                            people=form.cleaned_data["people"],
                            role=form.cleaned_data["role"],
                            actor=request.user,
                            separation=form.separated_together,
                            condition=form.condition_update,
                        )
                    except ValidationError as error:
                        form.add_error(None, error.messages)
                    else:
                        self._record_added_people(request, family, added)
                        return redirect("admin:cases_family_change", family.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add several people to %(case)s") % {"case": family},
            "opts": self.opts,
            "original": family,
            "adminform": helpers.AdminForm(form, form.fieldsets(), {}),
            "version_form": version,
            "errors": data is not None and bool(form.errors or version.errors),
        }
        return TemplateResponse(request, "admin/cases/family/add_people.html", context)

    def _record_added_people(
        self, request: HttpRequest, family: Family, added: list[services.AddedPerson]
    ) -> None:
        """In the save's transaction: the case's version, the audit trail, its history."""
        editing.record_saved(family)
        created = AuditEvent.Action.CREATE
        for item in added:
            for obj in (item.person, item.membership, item.separation):
                if obj is not None:
                    audit_record(action=created, request=request, obj=obj)
        self.log_change(
            request,
            family,
            [
                {"added": {"name": str(obj._meta.verbose_name), "object": str(obj)}}
                for item in added
                for obj in (item.membership, item.separation)
                if obj is not None
            ],
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d person was added to %(case)s.",
                "%(count)d people were added to %(case)s.",
                len(added),
            )
            % {"count": len(added), "case": family},
            messages.SUCCESS,
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.AlreadySubmitted as repeated:
            # Everything of the repeated post was rolled back; show what the first made.
            self.message_user(
                request,
                _("This form was already saved as %(case)s; it was not saved a second time.")
                % {"case": repeated.existing.reference},
                messages.WARNING,
            )
            if (
                self.has_view_or_change_permission(request, repeated.existing)
                and (
                    access.visible(Family.objects.filter(pk=repeated.existing.pk), request.user)
                ).exists()
            ):
                return redirect("admin:cases_family_change", repeated.existing.pk)
            return redirect("admin:cases_family_changelist")

    def save_model(self, request: HttpRequest, obj: Family, form: forms.Form, change: bool) -> None:
        note = form.cleaned_data.get("status_note", "")
        effective_on = form.cleaned_data.get("status_effective_on")
        if not change:
            services.family_create(
                family=obj,
                actor=request.user,
                note=note,
                submission_key=form.cleaned_data.get("submission_key"),
                effective_on=effective_on,
            )
            return
        if "status" in form.changed_data:
            services.family_change_status(
                family=obj,
                status=obj.status,
                actor=request.user,
                note=note,
                effective_on=effective_on,
            )
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        formset.save(commit=False)
        if isinstance(formset, SeparatedPersonFormSet):
            # The separations inline comes first: this save's separations exist by now.
            formset.link_separations()
        effective = {
            id(f.instance): f.cleaned_data.get("status_effective_on")
            for f in formset.forms
            if hasattr(f, "cleaned_data")
        }
        for obj in formset.deleted_objects:
            self.delete_model(request, obj)
        for obj in formset.new_objects:
            if isinstance(obj, Separation):
                services.separation_create(
                    separation=obj, actor=request.user, effective_on=effective.get(id(obj))
                )
                continue
            if hasattr(obj, "created_by_id"):
                obj.created_by = request.user
            obj.save()
        for obj, changed_fields in formset.changed_objects:
            if isinstance(obj, Separation) and "status" in changed_fields:
                services.separation_change_status(
                    separation=obj,
                    status=obj.status,
                    actor=request.user,
                    effective_on=effective.get(id(obj)),
                )
            obj.save()
        formset.save_m2m()


class BirthDateFormField(PartialDateFormField):
    """Takes a birth date as reports give it: "2011-04", "about 2011", "10 years old
    in 2021". Cleans to (date, approximate)."""

    def to_python(self, value: Any) -> tuple[PartialDate | None, bool]:  # type: ignore[override]
        if isinstance(value, PartialDate):
            return value, False
        try:
            return parse_birth(str(value or ""))
        except ValueError:
            raise forms.ValidationError(
                _(
                    "Enter a year, month or day (2011, 2011-04, 2011-04-02), or an estimate: "
                    "“about 2011” or “10 years old in 2021”."
                ),
                code="invalid",
            ) from None

    def validate(self, value: Any) -> None:
        super().validate(value[0])

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial)[0] != self.to_python(data)[0]
        except forms.ValidationError:
            return True

    def run_validators(self, value: Any) -> None:
        super().run_validators(value[0])


class PersonForm(CaseRecordForm):
    """A person, and when a change to what happened to them (condition, whereabouts,
    place, charge, sentence) took effect and where that is known from."""

    birth_date = BirthDateFormField(label=_("born"), required=False)
    condition_effective_on = PartialDateFormField(
        label=_("this took effect on"),
        required=False,
        validators=[validate_not_in_future],
        help_text=_("When the condition, place, charge or sentence above became true."),
    )
    condition_source = forms.CharField(
        label=_("known from"),
        max_length=300,
        required=False,
        help_text=_("Who said it, where: a report, a testimony, an official statement."),
    )
    condition_source_url = forms.URLField(label=_("source link"), required=False, max_length=500)
    condition_publishable = forms.BooleanField(
        label=_("charge, sentence and place publishable"),
        required=False,
        help_text=_("May appear on public pages, within the person's consent."),
    )

    def clean_birth_date(self) -> PartialDate | None:
        date, self.birth_is_estimate = self.cleaned_data["birth_date"]
        return date

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if getattr(self, "birth_is_estimate", False):
            cleaned["birth_date_approximate"] = True
            self.instance.birth_date_approximate = True
        if self.condition_changed:
            if not cleaned.get("condition_effective_on"):
                self.add_error(
                    "condition_effective_on",
                    _("Say when this took effect: a year, a month or a day."),
                )
            if not (cleaned.get("condition_source") or cleaned.get("condition_source_url")):
                self.add_error(
                    "condition_source", _("Say where this is known from: a source or a link.")
                )
        elif cleaned.get("condition_effective_on") or cleaned.get("condition_source"):
            self.add_error(
                "condition_effective_on",
                _("These go with a change of condition, place, charge or sentence."),
            )
        return cleaned

    @property
    def condition_changed(self) -> bool:
        changed = set(self.changed_data) & set(services.CONDITION_FIELDS)
        if self.instance.pk is None:
            # A new person's condition is news only if something is known of it.
            return bool(changed - {"whereabouts", "condition"}) or (
                self.cleaned_data.get("condition", Person.Condition.UNKNOWN)
                != Person.Condition.UNKNOWN
            )
        return bool(changed)


@admin.register(Person)
class PersonAdmin(CaseRecordAdmin):
    form = PersonForm
    list_display = [
        "latin_name_or_description",
        isolated_column(Person, "name_uyghur"),
        isolated_column(Person, "name_chinese"),
        "whereabouts",
        "condition",
        "born",
        "last_contact_display",
        "consent",
    ]
    list_filter = ["whereabouts", "condition", "ethnicity", "consent", "gender"]
    search_fields = ["name_latin", "name_uyghur", "name_chinese", "aliases"]
    search_help_text = _(
        "Any name, in any script, or any other spelling; or a whole phone number or e-mail address."
    )
    readonly_fields = ["consent_recorded_by", "consent_recorded_at", "created_at", "updated_at"]
    fieldsets = [
        (
            _("Names"),
            {"fields": ["name_latin", "name_uyghur", "name_chinese", "aliases", "description"]},
        ),
        (
            _("Identity"),
            {
                "fields": [
                    ("gender", "birth_date", "birth_date_approximate"),
                    ("ethnicity", "citizenship"),
                ]
            },
        ),
        (
            _("Where they are"),
            {
                "fields": [
                    ("whereabouts", "location_country"),
                    "location_place",
                    "condition",
                    "last_contact",
                ]
            },
        ),
        (
            _("Imprisonment"),
            {
                "fields": ["charge", ("sentence_years", "sentence_start", "sentence_end")],
                "classes": ["collapse"],
            },
        ),
        (
            _("When and how this is known"),
            {
                "fields": [
                    ("condition_effective_on", "condition_source"),
                    ("condition_source_url", "condition_publishable"),
                ],
                "description": _(
                    "A change of condition, place, charge or sentence goes on the timeline "
                    "of every case this person is on: say when it took effect and the source."
                ),
            },
        ),
        (
            _("Consent to publish"),
            {"fields": ["consent", ("consent_recorded_by", "consent_recorded_at")]},
        ),
        (_("Private"), {"fields": ["contact_details", "notes"]}),
    ]

    @admin.display(description=_("name (Latin script)"), ordering="name_latin")
    def latin_name_or_description(self, person: Person) -> str:
        """The Latin name, or for someone whose name is not known, their description."""
        if person.name_latin:
            return isolate(person.name_latin)
        return "—" if person.is_named else person.unnamed_label

    @admin.display(description=_("born"), ordering="birth_date")
    def born(self, person: Person) -> str:
        return person.birth_display or "—"

    @admin.display(description=_("last contact"), ordering="last_contact")
    def last_contact_display(self, person: Person) -> str:
        return _display_partial(person.last_contact)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        """Names as usual; a whole phone number, e-mail address or handle also finds the
        people whose encrypted contact details hold it, through their blind index. Only
        for staff who may see contact details: to anyone else it would be an oracle."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if access.can_see_private(request.user) and (digest := search_digest(search_term)):
            results |= queryset.filter(contact_index__contains=digest)
        return results, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: Person, form: forms.Form, change: bool) -> None:
        if "consent" in form.changed_data:
            services.person_record_consent(person=obj, consent=obj.consent, actor=request.user)
        if form.condition_changed:
            data = form.cleaned_data
            services.person_change_condition(
                person=obj,
                actor=request.user,
                effective_on=data["condition_effective_on"],
                source=data["condition_source"],
                source_url=data["condition_source_url"],
                publishable=data["condition_publishable"],
            )
        super().save_model(request, obj, form, change)


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


@admin.register(AuditEvent)
class AuditEventAdmin(GuardedModelAdmin):
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
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

