"""The dry run: every row of a sheet as the records it would make, checked by the
models' own rules, and what the duplicate finder says of its people. Writes nothing.

A row is one separated person (or a member who is not separated: no circumstance, date
or status of a separation), with the columns of their case repeated. Rows are grouped
into cases by the file's case ID column, or by the case name where there is none; the
case's columns come from its first row, and a later row that says otherwise is refused.

What a row holds is converted as the staff forms convert it: names as `NameField`
normalises and validates them, dates as `PartialDate` (2015, 2015-06, 2015-06-12), a
birth also as an estimate ("about 2011", "10 years old in 2021", an age column),
countries by ISO code or by their English or Uyghur name, choices by their value,
their English or Uyghur label, or a common word for them ("son" is a child). Then
`full_clean()` judges the unsaved person, family and separation. A row's problems are
all reported, each under the heading of its column in the file.

A case any of whose rows is refused is not imported at all, so that fixing those rows
and importing them again never leaves half a family. A person the duplicate finder
matches (`cases.matching.possible_duplicates`) waits for the caseworker's decision:
a new person, or one of the matches they may open. A match on a case they cannot open
is shown only as such, never by name. Two rows of the file that may name one person
(`find_file_matches`, by the same rules) wait for a decision too: a new person, or the
person of the earlier row ("row N of this file"), created once and a member of both
cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from cases import access, matching
from cases.imports.columns import BY_KEY, CASE, guess_mapping, heading_key, mapping_errors
from cases.imports.sheets import Sheet
from cases.matching import PossibleDuplicate
from cases.models import Family, Membership, Person, Separation
from cases.partial_dates import PartialDate, parse_birth, validate_not_in_future
from cases.services import ConditionUpdate, SeparatedTogether
from cases.text import arabic_letters, chinese_characters, latin_letters
from cases.transliteration import word_keys
from cases.validation import full_clean

NEW = "new"  # the decision "a new person", against an existing person's id

CHOICES: dict[str, type[models.Choices]] = {
    "case_status": Family.Status,
    "role": Membership.Role,
    "gender": Person.Gender,
    "ethnicity": Person.Ethnicity,
    "whereabouts": Person.Whereabouts,
    "condition": Person.Condition,
    "circumstance": Separation.Circumstance,
    "status": Separation.Status,
}
# Words spreadsheets use for a choice, besides its value and its labels.
SYNONYMS: dict[str, dict[str, str]] = {
    "role": {
        "dad": "father", "mum": "mother", "mom": "mother", "son": "child",
        "daughter": "child", "kid": "child", "husband": "spouse", "wife": "spouse",
        "brother": "sibling", "sister": "sibling", "grandfather": "grandparent",
        "grandmother": "grandparent", "uncle": "other", "aunt": "other", "cousin": "other",
        "niece": "other", "nephew": "other", "ئاتا": "father", "ئانا": "mother",
        "دادا": "father", "ئاپا": "mother", "ئوغۇل": "child", "قىز": "child", "بالا": "child",
        "ئەر": "spouse", "ئايال": "spouse", "ئاكا": "sibling", "ئۇكا": "sibling",
        "ھەدە": "sibling", "سىڭىل": "sibling", "بوۋا": "grandparent", "موما": "grandparent",
    },
    "gender": {
        "f": "female", "woman": "female", "girl": "female", "m": "male", "man": "male",
        "boy": "male", "ئايال": "female", "ئەر": "male",
    },
    "whereabouts": {
        "xinjiang": "uyghur_region", "east turkistan": "uyghur_region",
        "east turkestan": "uyghur_region", "uyghur region": "uyghur_region",
        "china": "elsewhere_in_china",
    },
    "condition": {
        "camp": "detained_in_camp", "in a camp": "detained_in_camp",
        "detained": "detained_in_camp", "prison": "imprisoned", "in prison": "imprisoned",
        "sentenced": "imprisoned", "disappeared": "missing", "dead": "deceased",
        "died": "deceased", "home": "at_home", "orphanage": "state_care",
        "boarding school": "state_care",
    },
    "circumstance": {
        "detention": "detained", "arrested": "detained", "exit ban": "exit_blocked",
        "passport confiscated": "exit_blocked", "passport refused": "exit_blocked",
        "visa": "visa_stalled", "documents": "document_trip",
    },
}  # fmt: skip
COUNTRY_NAMES = {
    "united states": "US", "america": "US", "uk": "GB", "britain": "GB",
    "great britain": "GB", "england": "GB", "holland": "NL", "the netherlands": "NL",
    "russia": "RU", "south korea": "KR", "korea": "KR", "uae": "AE",
}  # fmt: skip

PERSON_TEXT = ("name_latin", "name_uyghur", "name_chinese", "description", "notes")
# Free text that no name validator reads: checked here for control characters.
FREE_TEXT = ("location_place", "notes", "source")
_ALIAS_SEPARATORS = re.compile(r"[;,\n\u060c\u061b]")
_YEAR_FIRST = re.compile(r"^(\d{4})[./](\d{1,2})(?:[./](\d{1,2}))?$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
# The model fields the columns fill, to name a model's error after the column.
FIELD_COLUMNS = {
    "name": "case_name", "host_country": "host_country", "birth_date": "birth",
    "location_place": "location_place", "last_contact": "last_contact",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    column: str  # the heading in the file (or the column's label, if no column holds it)
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass(eq=False)
class ImportCase:
    """A family of the file: unsaved, with its first row's number."""

    key: str
    first_row: int
    family: Family
    values: dict[str, str]
    contact: Person | None = None
    contact_matches: list[PossibleDuplicate] = field(default_factory=list)
    contact_same_as: Person | None = None
    contact_decided: bool = True
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(row.problems for row in self.rows)

    @property
    def rejected_rows(self) -> list[int]:
        return [row.number for row in self.rows if row.problems]


@dataclass(eq=False)
class ImportRow:
    """One row as the records it would make: all unsaved."""

    number: int
    case: ImportCase
    person: Person
    role: str = ""
    separation: SeparatedTogether | None = None
    condition: ConditionUpdate | None = None
    problems: list[Problem] = field(default_factory=list)
    matches: list[PossibleDuplicate] = field(default_factory=list)
    file_matches: list[RowMatch] = field(default_factory=list)  # earlier rows of the file
    # The caseworker's decision: this existing person, or the person of an earlier row.
    same_as: Person | None = None
    same_as_row: ImportRow | None = None
    decided: bool = True
    decision_problem: str = ""  # why the choice made cannot be

    @property
    def stands_for(self) -> Person:
        """The person the row is about: one on record, the one an earlier row is about,
        or its own new person."""
        if self.same_as is not None:
            return self.same_as
        if self.same_as_row is not None:
            return self.same_as_row.stands_for
        return self.person

    @property
    def first_of_case(self) -> bool:
        return self.number == self.case.first_row

    @property
    def imported(self) -> bool:
        return not self.case.rejected

    @property
    def decision_name(self) -> str:
        return f"person-{self.number}"

    @property
    def contact_decision_name(self) -> str:
        return f"contact-{self.number}"


@dataclass(frozen=True)
class RowMatch:
    """A possible duplicate within the file: an earlier row that may name the same
    person, scored as `cases.matching` scores a person on record."""

    row: ImportRow
    score: int
    reasons: tuple[str, ...]
    same_case: bool  # then it is no choice: the person would be a member twice

    @property
    def choice(self) -> str:
        """The decision "the same person as that row"."""
        return f"row-{self.row.number}"


@dataclass
class CheckedSheet:
    sheet: Sheet
    mapping: list[str]
    file_errors: list[str]
    cases: list[ImportCase] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def ignored(self) -> list[str]:
        return [h for h, key in zip(self.sheet.headings, self.mapping, strict=True) if not key]

    @property
    def to_import(self) -> list[ImportRow]:
        return [row for row in self.rows if row.imported]

    @property
    def rejected(self) -> list[ImportRow]:
        return [row for row in self.rows if row.problems]

    @property
    def new_cases(self) -> list[ImportCase]:
        return [case for case in self.cases if not case.rejected]

    @property
    def undecided(self) -> int:
        rows = sum(1 for row in self.to_import if not row.decided)
        return rows + sum(1 for case in self.new_cases if not case.contact_decided)

    @property
    def ready(self) -> bool:
        return not self.file_errors and bool(self.to_import) and not self.undecided


# --- Converting one cell ------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@lru_cache(maxsize=32)
def _choice_lookup(key: str, language: str) -> dict[str, str]:
    choices = CHOICES[key]
    found = {_fold(str(value)): str(value) for value in choices.values}
    for code in ("en", language):
        with translation.override(code):
            for value, label in choices.choices:
                found.setdefault(_fold(str(label)), str(value))
    for word, value in SYNONYMS.get(key, {}).items():
        found.setdefault(_fold(word), value)
    return found


def choice_value(key: str, text: str) -> str:
    """The choice a cell names; ValueError, naming the choices, if it names none."""
    found = _choice_lookup(key, "ug").get(_fold(text)) or _choice_lookup(key, "ug").get(
        heading_key(text)
    )
    if found is None:
        labels = ", ".join(str(label) for label in CHOICES[key].labels)
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": labels}
        )
    return found


def country_code(text: str) -> str:
    """An ISO 3166 code from a code (BE, BEL, 056) or an English or Uyghur name."""
    code = countries.alpha2(text.strip())
    if not code:
        for language in ("en", "ug"):
            if code := countries.by_name(text.strip(), language=language):
                break
    code = code or COUNTRY_NAMES.get(_fold(text), "")
    if not code:
        raise ValueError(
            _("“%(value)s” is not a country: write its name or its ISO code, e.g. BE.")
            % {"value": text}
        )
    return str(code)


def partial_date(text: str) -> PartialDate:
    """A date known to the year, month or day; year first whatever the separator."""
    text = text.strip()
    if match := _DATE_TIME.match(text):
        text = match[1]
    if match := _YEAR_FIRST.match(text):
        text = "-".join(
            f"{int(part):02d}" if i else part for i, part in enumerate(match.groups()) if part
        )
    try:
        return PartialDate.parse(text)
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not a date: write 2015, 2015-06 or 2015-06-12.") % {"value": text}
        ) from None


def birth(text: str, *, age: bool = False) -> tuple[PartialDate | None, bool]:
    """A birth date or estimate, and whether it is approximate; an age column says
    "10" for "10 years old" this year."""
    text = text.strip()
    if age and text.isdigit():
        text = f"{text} years old"
    match = _YEAR_FIRST.match(text) or _DATE_TIME.match(text)
    if match:
        return partial_date(text), False
    try:
        return parse_birth(text)
    except ValueError:
        raise ValueError(
            _(
                "“%(born)s” is not a birth date: write a year, month or day (2011, 2011-04), "
                "or an estimate (“about 2011”, “10 years old in 2021”)."
            )
            % {"born": text}
        ) from None


def _control_characters(text: str) -> str:
    found = sorted({c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"})
    return ", ".join(f"U+{ord(c):04X}" for c in found)


# --- One row ------------------------------------------------------------------------


class _Row:
    """The cells of one row by column key, and the problems found in them."""

    def __init__(self, number: int, cells: dict[str, str], headings: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.headings = headings
        self.problems: list[Problem] = []

    def heading(self, key: str) -> str:
        return self.headings.get(key) or str(BY_KEY[key].label)

    def text(self, key: str) -> str:
        return self.cells.get(key, "")

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.heading(key) if key else "", message))

    def convert(self, key: str, convert: Any) -> Any:
        """The converted cell, or None with a problem (or for a blank cell)."""
        text = self.text(key)
        if not text:
            return None
        try:
            return convert(text)
        except ValueError as error:
            self.problem(key, str(error))
            return None

    def model_errors(self, error: ValidationError, columns: Mapping[str, str]) -> None:
        for name, messages in error.message_dict.items():
            key = "" if name == NON_FIELD_ERRORS else columns.get(name, name)
            for message in messages:
                self.problem(key if key in BY_KEY else "", message)


def _person(row: _Row, *, private_hidden: frozenset[str]) -> tuple[Person, dict[str, Any]]:
    values: dict[str, Any] = {key: row.text(key) for key in PERSON_TEXT if row.text(key)}
    if aliases := row.text("aliases"):
        values["aliases"] = "\n".join(p.strip() for p in _ALIAS_SEPARATORS.split(aliases))
    for key in ("gender", "ethnicity", "whereabouts", "condition"):
        if (value := row.convert(key, lambda text, key=key: choice_value(key, text))) is not None:
            values[key] = value
    born = (
        row.convert("birth", birth)
        if row.text("birth")
        else row.convert("age", lambda text: birth(text, age=True))
    )
    if born is not None:
        values["birth_date"], values["birth_date_approximate"] = born
    if (last_contact := row.convert("last_contact", partial_date)) is not None:
        values["last_contact"] = last_contact
    if place := row.text("location_place"):
        values["location_place"] = place
    for key in FREE_TEXT:
        if bad := _control_characters(row.text(key)):
            row.problem(key, _("Remove the control characters: %(chars)s.") % {"chars": bad})
            values.pop(key, None)
    for name in private_hidden:
        values.pop(name, None)
    return Person(**values), values


def _check_row(
    row: _Row, *, source_name: str, private_hidden: frozenset[str]
) -> tuple[Person, str, SeparatedTogether | None, ConditionUpdate | None]:
    person, values = _person(row, private_hidden=private_hidden)
    columns = {**FIELD_COLUMNS, "birth_date": "birth" if row.text("birth") else "age"}
    try:
        full_clean(person)
    except ValidationError as error:
        row.model_errors(error, columns)
    role = row.convert("role", lambda text: choice_value("role", text)) or ""
    if not row.text("role"):
        row.problem("role", _("Say how this person is related: father, mother, child…"))
    separation = None
    if any(row.text(key) for key in ("since", "circumstance", "status")):
        since = row.convert("since", partial_date)
        circumstance = row.convert("circumstance", lambda t: choice_value("circumstance", t))
        status = row.convert("status", lambda t: choice_value("status", t))
        separated = Separation(
            since=since,
            circumstance=circumstance or "",
            status=status or Separation.Status.REPORTED,
        )
        unread = [
            k
            for k, v in [("since", since), ("circumstance", circumstance)]
            if row.text(k) and v is None
        ]
        try:
            separated.full_clean(exclude=["family", "person", "separated_from", *unread])
        except ValidationError as error:
            row.model_errors(error, columns)
        separation = SeparatedTogether(
            circumstance=separated.circumstance, since=since, status=separated.status
        )
    condition = None
    changes = {
        name: values[name]
        for name in ("condition", "whereabouts", "location_place")
        if name in values
    }
    # As on the person form: a new person's condition is news (a timeline item with its
    # date and source) only if something is known of it, not a bare whereabouts.
    if changes.get("condition", Person.Condition.UNKNOWN) != Person.Condition.UNKNOWN or (
        "location_place" in changes
    ):
        as_of = row.convert("condition_since", partial_date)
        try:
            validate_not_in_future(as_of)
        except ValidationError as error:
            row.problem("condition_since", " ".join(error.messages))
        source = import_source(source_name, row.number)
        if row.text("source"):
            source = f"{source}; {row.text('source')}"
        condition = ConditionUpdate(
            effective_on=as_of or PartialDate.from_date(timezone.localdate()),
            source=source[:300],
            changes=changes,
        )
    return person, role, separation, condition


def import_source(source_name: str, number: int) -> str:
    """Where an imported record comes from: "Imported from FILE, row N"."""
    return _("Imported from %(file)s, row %(row)d") % {"file": source_name[:120], "row": number}


def _new_case(row: _Row, key: str) -> ImportCase:
    family = Family(name=row.text("case_name"))
    if (country := row.convert("host_country", country_code)) is not None:
        family.host_country = country
    status = row.convert("case_status", lambda t: choice_value("case_status", t))
    family.status = status or Family.Status.INTAKE
    try:
        family.full_clean(exclude=["reference", "submission_key"])
    except ValidationError as error:
        row.model_errors(error, FIELD_COLUMNS)
    case = ImportCase(
        key=key,
        first_row=row.number,
        family=family,
        values={k: _fold(row.text(k)) for k, c in BY_KEY.items() if c.level == CASE},
    )
    if contact := row.text("reporting_contact"):
        case.contact = _contact(row, contact)
    return case


def _contact(row: _Row, name: str) -> Person | None:
    """The reporting contact: a name in one script, in the field of that script."""
    for field_name, letters in (
        ("name_latin", latin_letters),
        ("name_uyghur", arabic_letters),
        ("name_chinese", chinese_characters),
    ):
        try:
            letters(name)
        except ValidationError:
            continue
        person = Person(**{field_name: name})
        try:
            full_clean(person)
        except ValidationError as error:
            row.problem("reporting_contact", " ".join(error.messages))
            return None
        return person
    row.problem("reporting_contact", _("Write the name in one script: Latin, Uyghur or Chinese."))
    return None


def _same_case(row: _Row, case: ImportCase) -> None:
    for key, value in case.values.items():
        if row.text(key) and _fold(row.text(key)) != value:
            row.problem(
                key,
                _("differs from row %(row)d of the same case.") % {"row": case.first_row},
            )


# --- The sheet ----------------------------------------------------------------------


def _names(person: Person) -> list[str]:
    return [
        name
        for name in [person.name_latin, person.name_uyghur, person.name_chinese, *person.alias_list]
        if name
    ]


# What scoring and describing a candidate read of them (cases.matching).
_CANDIDATE_FIELDS = (
    "name_latin", "name_uyghur", "name_chinese", "aliases", "description", "birth_date",
    "birth_date_approximate", "location_country",
)  # fmt: skip


class DuplicateFinder:
    """`cases.matching.possible_duplicates` for every person of a sheet at once, by its
    rules (`matching.score`, `THRESHOLD`, `CANDIDATES`, `LIMIT`, hidden matches without
    a name), in three queries instead of three for each person: the stored keys of
    everyone, the candidates, and which of them the user may open. (tests/test_import.py
    checks that both give the same answers.)"""

    def __init__(self, people: Sequence[Person], user: AbstractBaseUser) -> None:
        self.user = user
        wanted = {id(person): word_keys(_names(person)) for person in people}
        keys = set().union(*wanted.values()) if wanted else set()
        by_key: dict[str, list[int]] = {}
        if keys:
            stored = Person.objects.exclude(name_keys="").values_list("pk", "name_keys")
            for pk, stored_keys in stored.iterator(chunk_size=5000):
                for key in set(stored_keys.split()) & keys:
                    by_key.setdefault(key, []).append(pk)
        self.candidates: dict[int, list[int]] = {}
        for person in people:
            found = {pk for key in wanted[id(person)] for pk in by_key.get(key, ())}
            self.candidates[id(person)] = sorted(found)[: matching.CANDIDATES]
        pks = {pk for found in self.candidates.values() for pk in found}
        self.people = Person.objects.only(*_CANDIDATE_FIELDS).in_bulk(pks) if pks else {}
        self.visible = (
            set(Person.objects.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))
            if pks
            else set()
        )

    def matches(self, person: Person) -> list[PossibleDuplicate]:
        names = _names(person)
        year = _birth_year(person)
        found = []
        for pk in self.candidates.get(id(person), ()):
            candidate = self.people[pk]
            value, reasons = matching.score(
                names, candidate, birth_year=year, minimum=matching.THRESHOLD
            )
            if value < matching.THRESHOLD:
                continue
            if pk in self.visible:
                found.append(PossibleDuplicate(person=candidate, score=value, reasons=reasons))
            else:
                # The words of `cases.matching`: nothing of the person, not even why.
                hidden = _("A possible match exists in a case you cannot open; ask a supervisor.")
                found.append(PossibleDuplicate(person=None, score=value, reasons=(hidden,)))
        found.sort(key=lambda match: -match.score)
        return found[: matching.LIMIT]


def _birth_year(person: Person) -> int | None:
    return person.birth_date.year if isinstance(person.birth_date, PartialDate) else None


def find_file_matches(rows: Sequence[ImportRow]) -> None:
    """Each row's possible duplicates among the rows above it (`row.file_matches`), by
    the duplicate finder's rules: the rows sharing the phonetic key of a word of a name
    are the candidates (the first `matching.CANDIDATES`), scored by `matching.score`
    with the birth year; those scoring `matching.THRESHOLD` or more, best first,
    `matching.LIMIT` at most. So two rows naming one person are not created twice
    unseen."""
    above: dict[str, list[ImportRow]] = {}  # by key, the rows checked so far
    for row in rows:
        names = _names(row.person)
        keys = word_keys(names)
        candidates = {other.number: other for key in keys for other in above.get(key, ())}
        year = _birth_year(row.person)
        found = []
        for number in sorted(candidates)[: matching.CANDIDATES]:
            other = candidates[number]
            value, reasons = matching.score(
                names, other.person, birth_year=year, minimum=matching.THRESHOLD
            )
            if value >= matching.THRESHOLD:
                same_case = other.case is row.case
                found.append(RowMatch(row=other, score=value, reasons=reasons, same_case=same_case))
        found.sort(key=lambda match: -match.score)
        row.file_matches = found[: matching.LIMIT]
        for key in keys:
            above.setdefault(key, []).append(row)


def _decide(
    matches: Sequence[PossibleDuplicate], file_matches: Sequence[RowMatch], choice: str | None
) -> tuple[bool, Person | None, ImportRow | None]:
    """(decided, the existing person chosen, the earlier row chosen) from the
    caseworker's choice for a person. A row of the same case is no choice."""
    if not matches and not file_matches:
        return True, None, None
    if choice == NEW:
        return True, None, None
    for match in matches:
        if match.person is not None and choice == str(match.person.pk):
            return True, match.person, None
    for file_match in file_matches:
        if not file_match.same_case and choice == file_match.choice:
            return True, None, file_match.row
    return False, None, None


def _same_person_in_case(row: ImportRow) -> ImportRow | None:
    """A row above of the same case that is about the person `row` was decided to be:
    the person would be a member of the case twice."""
    person = row.stands_for
    if person is row.person:
        return None
    for other in row.case.rows:
        if other.number >= row.number:
            break
        found = other.stands_for
        if found is person or (person.pk is not None and found.pk == person.pk):
            return other
    return None


def check_sheet(
    *,
    sheet: Sheet,
    user: AbstractBaseUser,
    source_name: str,
    mapping: Sequence[str] | None = None,
    decisions: Mapping[str, str] | None = None,
) -> CheckedSheet:
    """The dry run of importing `sheet` as `user`: every row checked and looked up in
    the duplicate finder, the caseworker's `decisions` applied. Writes nothing."""
    mapping = list(mapping) if mapping is not None else guess_mapping(sheet.headings)
    checked = CheckedSheet(sheet=sheet, mapping=mapping, file_errors=mapping_errors(mapping))
    if checked.file_errors:
        return checked
    decisions = decisions or {}
    headings = {key: heading for heading, key in zip(sheet.headings, mapping, strict=True) if key}
    private_hidden = access.hidden_fields(user, Person)
    order = {heading: index for index, heading in enumerate(sheet.headings) if heading}
    cases: dict[str, ImportCase] = {}
    for number, cells in sheet.rows:
        row = _Row(number, {key: cells[i] for i, key in enumerate(mapping) if key}, headings)
        group = "case_key" if "case_key" in headings else "case_name"
        key = _fold(row.text(group))
        if not key:
            row.problem(group, _("Say which case this row belongs to."))
            key = f"\x00{number}"  # a case of its own, refused
        case = cases.get(key)
        if case is None:
            case = cases[key] = _new_case(row, key)
        else:
            _same_case(row, case)
        person, role, separation, condition = _check_row(
            row, source_name=source_name, private_hidden=private_hidden
        )
        # In the order of the file's columns, the row's own problems first.
        row.problems.sort(key=lambda problem: order.get(problem.column, -1))
        imported = ImportRow(
            number=number,
            case=case,
            person=person,
            role=role,
            separation=separation,
            condition=condition,
            problems=row.problems,
        )
        case.rows.append(imported)
        checked.rows.append(imported)
    checked.cases = list(cases.values())
    rows = checked.to_import
    contacts = [case.contact for case in checked.new_cases if case.contact is not None]
    finder = DuplicateFinder([*(row.person for row in rows), *contacts], user)
    for case in checked.new_cases:
        if case.contact is not None:
            case.contact_matches = finder.matches(case.contact)
            first = case.rows[0]
            case.contact_decided, case.contact_same_as, _row = _decide(
                case.contact_matches, [], decisions.get(first.contact_decision_name)
            )
    find_file_matches(rows)
    for row in rows:  # in the file's order: the rows above are decided first
        row.matches = finder.matches(row.person)
        row.decided, row.same_as, row.same_as_row = _decide(
            row.matches, row.file_matches, decisions.get(row.decision_name)
        )
        if row.decided and (twice := _same_person_in_case(row)) is not None:
            row.decided, row.same_as, row.same_as_row = False, None, None
            row.decision_problem = _(
                "Row %(row)d of this case is this person already: choose again, or remove "
                "one of the two rows."
            ) % {"row": twice.number}
    return checked


def describe_person(person: Person) -> str:
    """A person as the preview names them: the name (isolated), and the birth if known."""
    if person.is_named and person.birth_date:
        return _("%(who)s, born %(when)s") % {"who": person, "when": person.birth_display}
    return str(person)
