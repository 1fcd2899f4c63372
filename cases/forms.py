"""Staff forms that are more than one model's form: several people typed at once, and
the "separated person" choice of contacts and entries (cases/admin/families.py wires them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import access, matching, services
from cases.models import Family, Membership, Person, Separation
from cases.partial_dates import PartialDateFormField, parse_birth, validate_not_in_future
from cases.text import (
    arabic_letters,
    chinese_characters,
    isolate,
    latin_letters,
    normalise_name,
)

# As many new people a save as an inline takes new rows (admin.BoundedInline).
PEOPLE_PER_SAVE = 20

_COMMAS = ",\u060c\uff0c"  # Latin, Arabic-script (Uyghur) and full-width commas
_BRACKETS = {"(": ")", "\uff08": "\uff09"}  # and full-width brackets
_NAME_FIELDS = (
    ("name_latin", latin_letters),
    ("name_uyghur", arabic_letters),
    ("name_chinese", chinese_characters),
)


def _messages(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


def parse_person_line(line: str) -> Person:
    """One line of "Add several people", as an unsaved person.

    "Who, born": a name in one script (Latin, Uyghur or Chinese), or a description in
    brackets for someone whose name is not known ("(son of Memet)"); then, after the
    last comma, optionally a birth date or an estimate ("2011-04", "about 2011", "10
    years old in 2021"). Raises ValidationError with what is wrong with the line.
    """
    who, comma, born = line, "", ""
    cut = max(line.rfind(c) for c in _COMMAS)
    if cut >= 0:
        who, comma, born = line[:cut], line[cut], line[cut + 1 :]
    who = normalise_name(who)
    try:
        birth_date, approximate = parse_birth(born)
    except ValueError:
        raise ValidationError(
            _(
                "“%(born)s” is not a birth date: write a year, month or day (2011, 2011-04), "
                "or an estimate (“about 2011”, “10 years old in 2021”)."
            )
            % {"born": born.strip()}
        ) from None
    if comma and birth_date is None:
        raise ValidationError(_("Write the birth date after the comma, or remove the comma."))
    fields: dict[str, Any] = {"birth_date": birth_date, "birth_date_approximate": approximate}
    if who[:1] in _BRACKETS and who.endswith(_BRACKETS[who[0]]):
        fields["description"] = normalise_name(who[1:-1])
    elif who:
        for name, letters in _NAME_FIELDS:
            try:
                letters(who)
            except ValidationError:
                continue
            if name == "name_latin" and who[0].islower():
                raise ValidationError(
                    _(
                        "A name starts with a capital letter. If “%(who)s” describes someone "
                        "whose name is not known, put it in brackets: (%(who)s)."
                    )
                    % {"who": who}
                )
            fields[name] = who
            break
        else:
            raise ValidationError(
                _(
                    "Write the name in one script: Latin, Uyghur or Chinese. Other spellings "
                    "can be added on the person's page afterwards."
                )
            )
    person = Person(**fields)
    try:
        person.full_clean(exclude=list(services.CONDITION_FIELDS))
    except ValidationError as error:
        raise ValidationError(" ".join(_messages(error))) from None
    return person


def parse_people(text: str) -> list[Person]:
    """Every non-blank line as an unsaved person; errors name their line, and one bad
    line fails all of them."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise ValidationError(_("Write one person a line."), code="required")
    if len(lines) > PEOPLE_PER_SAVE:
        raise ValidationError(
            _("At most %(count)d people at a time.") % {"count": PEOPLE_PER_SAVE},
            code="too_many",
        )
    people, errors = [], []
    for number, line in lines:
        try:
            people.append(parse_person_line(line))
        except ValidationError as error:
            errors.append(
                ValidationError(
                    _("Line %(number)d (“%(line)s”): %(problem)s")
                    % {
                        "number": number,
                        "line": isolate(line),
                        "problem": " ".join(error.messages),
                    },
                    code="bad_line",
                )
            )
    if errors:
        raise ValidationError(errors)
    return people


def _blank_first(label: str, choices: list) -> list:
    return [("", label), *choices]


class PeopleForm(forms.Form):
    """Several people of one case, typed one a line, in one role; optionally separated
    together (one separation each, the same values) and in one condition as of a date
    (state orphanage, boarding school). Cleans to the arguments of
    `services.family_add_people`: `people`, `role`, `separated_together`, `condition_update`.
    """

    people = forms.CharField(
        label=gettext_lazy("people, one a line"),
        max_length=PEOPLE_PER_SAVE * 250,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=gettext_lazy(
            "A name in one script, then after a comma the birth date or an estimate, e.g. "
            "“Ayshe Tohti, about 2009” or “Ekrem, 2011-04”. Someone whose name is not "
            "known: a description in brackets, e.g. “(son of Memet), 10 years old in 2021”."
        ),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("role"), choices=Membership.Role.choices, initial=Membership.Role.CHILD
    )
    circumstance = forms.ChoiceField(
        label=gettext_lazy("how it happened"),
        choices=_blank_first("—", Separation.Circumstance.choices),
        required=False,
        help_text=gettext_lazy("Leave blank if they were not separated together."),
    )
    since = PartialDateFormField(
        label=gettext_lazy("since"), required=False, validators=[validate_not_in_future]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("status"),
        choices=Separation.Status.choices,
        initial=Separation.Status.REPORTED,
    )
    status_effective_on = PartialDateFormField(
        label=gettext_lazy("status reached on"),
        required=False,
        validators=[validate_not_in_future],
        help_text=gettext_lazy(
            "When the status took effect: a year, a month or a day. Blank: today."
        ),
    )
    separated_from = forms.ModelMultipleChoiceField(
        label=gettext_lazy("separated from"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    condition = forms.ChoiceField(
        label=gettext_lazy("condition"),
        choices=_blank_first("—", Person._meta.get_field("condition").choices),
        required=False,
    )
    whereabouts = forms.ChoiceField(
        label=gettext_lazy("where they are"),
        choices=_blank_first("—", Person.Whereabouts.choices),
        required=False,
    )
    location_place = forms.CharField(
        label=gettext_lazy("place"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Town, prefecture, facility. Sensitive inside China."),
    )
    condition_effective_on = PartialDateFormField(
        label=gettext_lazy("this took effect on"),
        required=False,
        validators=[validate_not_in_future],
    )
    condition_source = forms.CharField(
        label=gettext_lazy("known from"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Who said it, where: a report, a testimony, an official statement."),
    )
    condition_source_url = forms.URLField(
        label=gettext_lazy("source link"), max_length=500, required=False
    )
    not_a_duplicate = forms.BooleanField(
        label=gettext_lazy("These are different people"),
        required=False,
        help_text=gettext_lazy("Tick only after checking the possible duplicates listed here."),
    )

    SEPARATION_FIELDS = ("since", "status_effective_on", "separated_from")
    CONDITION_CHANGES = ("condition", "whereabouts", "location_place")

    def __init__(
        self, *args: Any, family: Family, user: AbstractBaseUser | AnonymousUser, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.family = family
        self.user = user
        members = access.visible(Person.objects.filter(memberships__family=family), user)
        if members.exists():
            self.fields["separated_from"].queryset = members
        else:
            del self.fields["separated_from"]  # nobody on the case yet to be separated from
        if "location_place" in access.hidden_fields(user, Person):
            del self.fields["location_place"]
        self.separated_together: services.SeparatedTogether | None = None
        self.condition_update: services.ConditionUpdate | None = None

    def fieldsets(self) -> list[tuple[Any, dict[str, Any]]]:
        """For the admin's fieldset template (django.contrib.admin.helpers.AdminForm),
        without the fields this form dropped."""

        def shown(*lines: str | tuple[str, str]) -> list[str | tuple[str, str]]:
            return [line for line in lines if isinstance(line, tuple) or line in self.fields]

        return [
            (None, {"fields": ["people", "role", "not_a_duplicate"]}),
            (
                _("Separated together"),
                {
                    "fields": shown(
                        ("circumstance", "since"),
                        ("status", "status_effective_on"),
                        "separated_from",
                    ),
                    "description": _(
                        "Each of them gets a separation of their own with these values, "
                        "and its status on the timeline."
                    ),
                },
            ),
            (
                _("What happened to them"),
                {
                    "fields": shown(
                        ("condition", "whereabouts"),
                        "location_place",
                        ("condition_effective_on", "condition_source"),
                        "condition_source_url",
                    ),
                    "description": _(
                        "A condition they are all in, e.g. a state orphanage: it goes on the "
                        "timeline with the date it took effect and the source."
                    ),
                },
            ),
        ]

    def clean_people(self) -> list[Person]:
        return parse_people(self.cleaned_data["people"])

    def check_duplicates(self, cleaned: dict[str, Any]) -> None:
        """The add-person form's check (`PersonForm.check_duplicates`), for each line: the
        people are added only once the caseworker says none is someone on record already,
        under another spelling or script. A match on a case they cannot open says only
        that it exists."""
        if cleaned.get("not_a_duplicate"):
            return
        found = [
            f"{person}: {matching.describe(match, user=self.user)}"
            for person in cleaned.get("people") or ()
            for match in matching.duplicates_of(person, user=self.user)
        ]
        if found:
            heading = _(
                "Possible duplicates: take them off the list and open their records "
                "instead, or tick the box."
            )
            self.add_error("not_a_duplicate", [heading, *found])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_duplicates(cleaned)
        if cleaned.get("circumstance"):
            self.separated_together = services.SeparatedTogether(
                circumstance=cleaned["circumstance"],
                since=cleaned.get("since"),
                status=cleaned.get("status") or Separation.Status.REPORTED,
                status_effective_on=cleaned.get("status_effective_on"),
                separated_from=tuple(cleaned.get("separated_from") or ()),
            )
        elif any(cleaned.get(name) for name in self.SEPARATION_FIELDS):
            self.add_error(
                "circumstance",
                _("Say how they were separated, or clear the other separation fields."),
            )
        self._clean_condition(cleaned)
        return cleaned

    def _clean_condition(self, cleaned: dict[str, Any]) -> None:
        changes = {name: cleaned[name] for name in self.CONDITION_CHANGES if cleaned.get(name)}
        effective_on = cleaned.get("condition_effective_on")
        source, url = cleaned.get("condition_source", ""), cleaned.get("condition_source_url", "")
        if not changes:
            if effective_on or source or url:
                self.add_error(
                    "condition", _("Choose the condition or place these go with, or clear them.")
                )
            return
        if not effective_on:
            self.add_error(
                "condition_effective_on", _("Say when this took effect: a year, a month or a day.")
            )
        if not (source or url):
            self.add_error(
                "condition_source", _("Say where this is known from: a source or a link.")
            )
        try:
            Person(**changes).clean()
        except ValidationError as error:
            self.add_error("condition", error.message_dict.get("condition", error.messages))
        if effective_on and (source or url):
            self.condition_update = services.ConditionUpdate(
                effective_on=effective_on, source=source, source_url=url, changes=changes
            )


# --- Contacts and entries name the separated person -------------------------------------

# The prefix of the separations rows on the family page (their default: the related name).
SEPARATIONS_PREFIX = "separations"
_MAX_ROWS_READ = 1000


def people_separated_after_save(data: Any, family: Family) -> set[str]:
    """The people (their pks as text) who have a separation in `family` once this post
    of the family page is saved: its saved separations as the post edits or deletes
    them, and the ones it adds. Whether those rows are valid is for their own formset:
    if one is not, nothing is saved anyway."""
    saved = (
        {str(pk): str(person) for pk, person in family.separations.values_list("pk", "person_id")}
        if family.pk is not None
        else {}
    )
    added = set()
    try:
        rows = min(int(data.get(f"{SEPARATIONS_PREFIX}-TOTAL_FORMS", 0)), _MAX_ROWS_READ)
    except (TypeError, ValueError):
        rows = 0
    deleted = forms.CheckboxInput()
    for index in range(rows):
        row = f"{SEPARATIONS_PREFIX}-{index}-"
        pk, person = data.get(row + "id", ""), data.get(row + "person", "")
        is_deleted = deleted.value_from_datadict(data, {}, row + "DELETE")
        if pk in saved:
            if is_deleted:
                del saved[pk]
            elif person:
                saved[pk] = person
        elif person and not is_deleted:
            added.add(person)
    return set(saved.values()) | added


class SeparatedPersonForm(forms.ModelForm):
    """A contact's or entry's form names the separated person it is about instead of
    one of the case's separations, so that it can be about a separation added in the
    same save (on the add page, none is saved yet). `SeparatedPersonFormSet` checks the
    person has a separation in this case and links it when saved."""

    separated_person = forms.ModelChoiceField(
        label=gettext_lazy("about the separated person"),
        queryset=Person.objects.none(),  # the inline sets the people this user may see
        required=False,
        help_text=gettext_lazy("Someone under Separations, saved before or in this save."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.separation_id is not None:
            self.initial.setdefault("separated_person", self.instance.separation.person_id)


class SeparatedPersonFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        separated: set[str] | None = None
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            person = getattr(form, "cleaned_data", {}).get("separated_person")
            if person is None or "separated_person" not in form.changed_data:
                continue
            if separated is None:
                separated = people_separated_after_save(self.data, self.instance)
            if str(person.pk) not in separated:
                form.add_error(
                    "separated_person",
                    _(
                        "%(person)s has no separation in this case: add it under "
                        "Separations, or leave this blank."
                    )
                    % {"person": person},
                )

    def link_separations(self) -> None:
        """Point each row whose person changed at that person's separation in this case
        (the latest, if several). Called once the separations of this save are saved."""
        family_separations = Separation.objects.filter(family=self.instance)
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or "separated_person" not in form.changed_data:
                continue
            person = form.cleaned_data.get("separated_person")
            form.instance.separation = (
                None
                if person is None
                else family_separations.filter(person=person).order_by("-since", "-pk").first()
            )
