"""The caseworkers' daily tool. Thin: queries live on the QuerySets, changes that
belong on the timeline go through `cases.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases import services
from cases.models import (
    Family,
    GovernmentContact,
    Membership,
    Person,
    Separation,
    TimelineEntry,
)
from cases.partial_dates import PartialDate, PartialDateField
from cases.timeline import case_timeline


def _display_partial(value: PartialDate | None) -> str:
    return value.display() if value else "—"


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


class SeparationChoicesOfThisFamily:
    """Inline mixin: the "separation" menu offers only this family's separations."""

    def get_formset(self, request: HttpRequest, obj: Family | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("separation")
        if field is not None:
            field.queryset = Separation.objects.filter(family=obj).select_related("person")
        return formset


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["person"]
    extra = 0


class SeparationForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person = cleaned.get("person")
        if person and person in (cleaned.get("separated_from") or []):
            self.add_error("separated_from", _("A person cannot be separated from themselves."))
        return cleaned


class SeparationInline(admin.StackedInline):
    model = Separation
    form = SeparationForm
    autocomplete_fields = ["person", "separated_from"]
    fields = [("person", "status"), "separated_from", ("since", "circumstance"), "details"]
    extra = 0


class GovernmentContactInline(SeparationChoicesOfThisFamily, admin.StackedInline):
    model = GovernmentContact
    fields = [
        ("contacted_on", "direction", "channel"),
        ("government", "body_kind"),
        ("body", "official"),
        "separation",
        "summary",
        ("outcome", "follow_up_on", "response_on"),
    ]
    extra = 0


class EvidenceFileInput(admin.widgets.AdminFileWidget):
    """Names an evidence file without a link: evidence has no public address."""

    template_name = "admin/cases/widgets/evidence_file_input.html"


class TimelineEntryInline(SeparationChoicesOfThisFamily, admin.StackedInline):
    model = TimelineEntry
    formfield_overrides = {models.FileField: {"widget": EvidenceFileInput}}
    fields = [
        ("occurred_on", "kind", "separation"),
        "title",
        "description",
        ("source", "reliability"),
        ("source_url", "source_document"),
        "publishable",
    ]
    extra = 0


class FamilyForm(forms.ModelForm):
    """The admin builds the model fields from FamilyAdmin.fieldsets; this adds the note."""

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


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    form = FamilyForm
    change_form_template = "admin/cases/family/change_form.html"
    list_display = [
        "reference",
        "name",
        "status",
        "priority",
        "host_country",
        "caseworker_names",
        "next_follow_up",
        "last_contact",
    ]
    list_display_links = ["reference", "name"]
    list_filter = [
        "status",
        "priority",
        "host_country",
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
        (None, {"fields": [("reference", "name"), ("status", "priority"), "status_note"]}),
        (_("People"), {"fields": ["reporting_contact", "caseworkers", "host_country"]}),
        (_("Summaries"), {"fields": ["internal_summary", "public_summary"]}),
        (_("Dates"), {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]
    inlines = [MembershipInline, SeparationInline, GovernmentContactInline, TimelineEntryInline]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Family]:
        open_follow_ups = GovernmentContact.objects.filter(
            family=OuterRef("pk"), response_on__isnull=True, follow_up_on__isnull=False
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
        return ", ".join(user.get_username() for user in family.caseworkers.all()) or "—"

    @admin.display(description=_("next follow-up"), ordering="next_follow_up")
    def next_follow_up(self, family: Family) -> Any:
        return family.next_follow_up or "—"

    @admin.display(description=_("last contact"), ordering="oldest_last_contact")
    def last_contact(self, family: Family) -> str:
        return _display_partial(family.oldest_last_contact)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        family = self.get_object(request, object_id)
        if family is not None:
            extra_context = {**(extra_context or {}), "timeline": case_timeline(family)[::-1]}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Family, form: forms.Form, change: bool) -> None:
        note = form.cleaned_data.get("status_note", "")
        if not change:
            services.family_create(family=obj, actor=request.user, note=note)
            return
        if "status" in form.changed_data:
            services.family_change_status(
                family=obj, status=obj.status, actor=request.user, note=note
            )
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in formset.new_objects:
            if isinstance(obj, Separation):
                services.separation_create(separation=obj, actor=request.user)
                continue
            if hasattr(obj, "created_by_id"):
                obj.created_by = request.user
            obj.save()
        for obj, changed_fields in formset.changed_objects:
            if isinstance(obj, Separation) and "status" in changed_fields:
                services.separation_change_status(
                    separation=obj, status=obj.status, actor=request.user
                )
            obj.save()
        formset.save_m2m()


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = [
        "name_latin",
        "name_uyghur",
        "name_chinese",
        "whereabouts",
        "condition",
        "born",
        "last_contact_display",
        "consent",
    ]
    list_filter = ["whereabouts", "condition", "ethnicity", "consent", "gender"]
    search_fields = ["name_latin", "name_uyghur", "name_chinese", "aliases"]
    search_help_text = _("Any name, in any script, or any other spelling.")
    readonly_fields = ["consent_recorded_by", "consent_recorded_at", "created_at", "updated_at"]
    fieldsets = [
        (
            _("Names"),
            {"fields": ["name_latin", "name_uyghur", "name_chinese", "aliases"]},
        ),
        (
            _("Identity"),
            {"fields": [("gender", "birth_date"), ("ethnicity", "citizenship")]},
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
            _("Consent to publish"),
            {"fields": ["consent", ("consent_recorded_by", "consent_recorded_at")]},
        ),
        (_("Private"), {"fields": ["contact_details", "notes"]}),
    ]

    @admin.display(description=_("born"), ordering="birth_date")
    def born(self, person: Person) -> str:
        return _display_partial(person.birth_date)

    @admin.display(description=_("last contact"), ordering="last_contact")
    def last_contact_display(self, person: Person) -> str:
        return _display_partial(person.last_contact)

    def save_model(self, request: HttpRequest, obj: Person, form: forms.Form, change: bool) -> None:
        if "consent" in form.changed_data:
            services.person_record_consent(person=obj, consent=obj.consent, actor=request.user)
        super().save_model(request, obj, form, change)


@admin.register(Separation)
class SeparationAdmin(admin.ModelAdmin):
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
        if not change:
            services.separation_create(separation=obj, actor=request.user)
            return
        if "status" in form.changed_data:
            services.separation_change_status(separation=obj, status=obj.status, actor=request.user)
        super().save_model(request, obj, form, change)


@admin.register(GovernmentContact)
class GovernmentContactAdmin(admin.ModelAdmin):
    list_display = [
        "contacted_on",
        "family",
        "government",
        "body",
        "direction",
        "outcome",
        "follow_up_on",
        "response_on",
    ]
    list_filter = ["outcome", "direction", "body_kind", "government"]
    list_select_related = ["family"]
    search_fields = ["body", "official", "summary", "family__reference", "family__name"]
    autocomplete_fields = ["family"]
    readonly_fields = ["created_by", "created_at"]
    date_hierarchy = "contacted_on"

    def save_model(
        self, request: HttpRequest, obj: GovernmentContact, form: forms.Form, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
