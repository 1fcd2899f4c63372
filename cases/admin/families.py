"""The family (case) page: its inlines, the status and its date, adding several people
at once, and the case's timeline."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases import access, editing, services
from cases.admin.base import (
    BoundedInline,
    CaseAccess,
    CaseRecordAdmin,
    CaseRecordForm,
    CountryInUseFilter,
    FollowUpFilter,
    NoRecentContactFilter,
    SubmissionKeyField,
    _display_partial,
    isolated_column,
)
from cases.admin.dashboard import AssignedFilter, AttentionFilter
from cases.admin.imports import SpreadsheetImportAdmin
from cases.audit import audit_record
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
    PartialDateField,
    PartialDateFormField,
    validate_not_in_future,
)
from cases.timeline import case_timeline
from cases.transliteration import spelling_lookup


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
        # What the UN Working Groups ask (cases/exports/un.py).
        ("last_seen_place", "last_seen_prefecture"),
        "responsible_forces",
        ("detention_ordered_by", "detention_legal_basis"),
        "no_inquiry_reason",
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
class FamilyAdmin(SpreadsheetImportAdmin, CaseRecordAdmin):
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
        AttentionFilter,  # the dashboard's lists (cases/dashboard.py)
        AssignedFilter,
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

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Family], search_term: str
    ) -> tuple[QuerySet[Family], bool]:
        """The fields above, and a member named the same under another spelling or
        script (cases/transliteration.py): Mamutjan finds Memetjan and 买买提江."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if spelling := spelling_lookup(search_term):
            named = Person.objects.filter(spelling)
            results |= queryset.filter(
                Exists(named.filter(memberships__family=OuterRef("pk")))
                | Exists(named.filter(separations__family=OuterRef("pk")))
            )
        return results, may_have_duplicates

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
    actions = ["export_selected"]

    # --- Export: the selection opens the export page (cases/exports/views.py) -------

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cases.export_cases")

    @admin.action(description=_("Export selected cases"), permissions=["export"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet[Family]) -> HttpResponse:
        """The export page with these cases (among those this user may open) as its
        filter; the page checks, counts and exports like any other."""
        from cases.exports.views import selection_link

        references = list(queryset.order_by("reference").values_list("reference", flat=True))
        return redirect(selection_link(request, references))

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
