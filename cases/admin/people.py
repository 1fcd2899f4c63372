"""The people admin: names in every script, births as reports give them, and what
happened to each person, with when and how it is known."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from cases import access, matching, services
from cases.admin.base import (
    CaseRecordAdmin,
    CaseRecordForm,
    _display_partial,
    isolated_column,
)
from cases.admin.merges import PersonMerging
from cases.crypto import search_digest
from cases.models import (
    Person,
)
from cases.partial_dates import (
    PartialDate,
    PartialDateFormField,
    parse_birth,
    validate_not_in_future,
)
from cases.text import isolate
from cases.transliteration import spelling_lookup


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

    not_a_duplicate = forms.BooleanField(
        label=_("This is a different person"),
        required=False,
        help_text=_("Tick only after checking the possible duplicates listed here."),
    )
    # Set by PersonAdmin.get_form: whose view of the possible duplicates to check.
    reader: Any = None

    def clean_birth_date(self) -> PartialDate | None:
        date, self.birth_is_estimate = self.cleaned_data["birth_date"]
        return date

    def check_duplicates(self, cleaned: dict[str, Any]) -> None:
        """A new person who may be someone on record already, under another spelling or
        script, is saved only once the caseworker says they are someone else."""
        if self.instance.pk is not None or self.reader is None or cleaned.get("not_a_duplicate"):
            return
        names = ("name_latin", "name_uyghur", "name_chinese", "aliases")
        entered = Person(
            **{field: cleaned.get(field) or "" for field in names},
            birth_date=cleaned.get("birth_date"),
            location_country=cleaned.get("location_country") or "",
        )
        matches = matching.duplicates_of(entered, user=self.reader)
        if matches:
            self.add_error(
                "not_a_duplicate",
                [_("Possible duplicates: open the record instead, or tick the box.")]
                + [matching.describe(match, user=self.reader) for match in matches],
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_duplicates(cleaned)
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
class PersonAdmin(PersonMerging, CaseRecordAdmin):
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
    readonly_fields = [
        "consent_recorded_by",
        "consent_recorded_at",
        "created_at",
        "updated_at",
    ]
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
                    "id_number",
                ]
            },
        ),
        (
            _("Where they are"),
            {
                "fields": [
                    ("whereabouts", "location_country"),
                    ("location_place", "detention_place_prefecture"),
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

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.reader = request.user  # PersonForm.check_duplicates
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        """A new person's names come with the duplicate check's box."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        (title, names), *rest = fieldsets
        return [(title, {**names, "fields": [*names["fields"], "not_a_duplicate"]}), *rest]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        """A recorded person's page lists their possible duplicates, under any spelling
        (the object the page already loaded, not a second read)."""
        if obj is not None and request.method == "GET":
            context["possible_duplicates"] = matching.duplicates_of(obj, user=request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

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
        """Names as usual, and under any other spelling or script; a whole phone number,
        e-mail address or handle also finds the people whose encrypted contact details
        hold it, through their blind index; that only for staff who may see contact
        details: to anyone else it would be an oracle."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if spelling := spelling_lookup(search_term):  # any spelling or script of the name
            results |= queryset.filter(spelling)
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
