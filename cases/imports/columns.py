"""Which column of a spreadsheet holds what.

Each `Column` is one thing the import reads, with the headings support groups use for
it. A heading is recognised whatever its case, spacing and punctuation ("DOB",
"Date of birth:", "date_of_birth"), in English, and in Uyghur by the label the staff
pages show in Uyghur. Columns nobody recognises are ignored, and listed as such on the
preview, where the caseworker can say what any column holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CASE, PERSON = "case", "person"


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    headings: tuple[str, ...]
    level: str = PERSON


COLUMNS = (
    # The case: the same on every row of one family.
    Column(
        "case_key",
        gettext_lazy("case ID in the file"),
        (
            "case id", "case", "case no", "case number", "case ref", "case reference",
            "family id", "family no", "family number", "file", "file no", "file number",
            "ref", "reference", "our ref",
        ),
        CASE,
    ),
    Column(
        "case_name",
        gettext_lazy("case name"),
        ("case name", "family", "family name", "surname", "last name", "household"),
        CASE,
    ),
    Column(
        "host_country",
        gettext_lazy("host country"),
        (
            "host country", "country", "country of residence", "residence country",
            "family country", "lives in", "family lives in", "country abroad",
        ),
        CASE,
    ),
    Column("case_status", gettext_lazy("case status"), ("case status", "family status"), CASE),
    Column(
        "reporting_contact",
        gettext_lazy("reporting contact"),
        (
            "reporting contact", "reported by", "reporter", "contact person", "informant",
            "relative abroad", "submitted by",
        ),
        CASE,
    ),
    # The separated person.
    Column(
        "name_latin",
        gettext_lazy("name (Latin script)"),
        (
            "name", "full name", "name english", "name in english", "english name",
            "name latin", "latin name", "name of the person", "person", "detainee",
            "missing person", "relative", "relative s name", "name of relative",
        ),
    ),
    Column(
        "name_uyghur",
        gettext_lazy("name (Uyghur script)"),
        ("uyghur name", "name uyghur", "name in uyghur", "ئىسمى", "ئۇيغۇرچە ئىسمى", "ئىسىم"),
    ),
    Column(
        "name_chinese",
        gettext_lazy("name (Chinese)"),
        ("chinese name", "name chinese", "name in chinese", "中文名", "汉字", "姓名"),
    ),
    Column(
        "aliases",
        gettext_lazy("other spellings and aliases"),
        ("aliases", "alias", "other names", "other spellings", "also known as", "aka"),
    ),
    Column(
        "description",
        gettext_lazy("description"),
        ("description", "who", "description if name unknown"),
    ),
    Column(
        "role",
        gettext_lazy("relationship"),
        (
            "relationship", "relation", "role", "relationship to family",
            "relationship to reporter", "relationship to contact", "relative type",
            "مۇناسىۋىتى", "مۇناسىۋەت",
        ),
    ),
    Column("gender", gettext_lazy("gender"), ("gender", "sex", "جىنسى")),
    Column(
        "birth",
        gettext_lazy("born"),
        (
            "born", "dob", "d o b", "date of birth", "birth date", "birthdate", "birthday",
            "year of birth", "birth year", "yob", "تۇغۇلغان ۋاقتى", "تۇغۇلغان يىلى",
        ),
    ),
    Column("age", gettext_lazy("age"), ("age", "age years", "ياشى")),
    Column("ethnicity", gettext_lazy("ethnicity"), ("ethnicity", "ethnic group")),
    Column(
        "whereabouts",
        gettext_lazy("where they are"),
        ("where they are", "whereabouts", "where", "location", "current location"),
    ),
    Column(
        "location_place",
        gettext_lazy("place"),
        (
            "place", "town", "city", "place of detention", "detention place", "facility",
            "camp", "prison",
        ),
    ),
    Column(
        "condition",
        gettext_lazy("condition"),
        ("condition", "current condition", "situation", "current situation", "ئەھۋالى"),
    ),
    Column(
        "condition_since",
        gettext_lazy("condition as of"),
        ("condition as of", "condition since", "as of", "situation as of", "last update"),
    ),
    Column(
        "since",
        gettext_lazy("separated since"),
        (
            "separated since", "since", "detained since", "missing since", "disappeared",
            "disappeared on", "date detained", "detention date", "date of detention",
            "date of separation", "separation date", "date of arrest", "arrested on",
        ),
    ),
    Column(
        "circumstance",
        gettext_lazy("how it happened"),
        (
            "how it happened", "circumstance", "circumstances", "what happened",
            "type of separation", "separation type", "reason",
        ),
    ),
    Column(
        "status",
        gettext_lazy("separation status"),
        ("status", "separation status", "progress", "ھالىتى"),
    ),
    Column(
        "last_contact",
        gettext_lazy("last contact"),
        ("last contact", "last heard", "last heard from", "last contact date"),
    ),
    Column(
        "notes",
        gettext_lazy("internal notes"),
        ("notes", "note", "comments", "comment", "remarks", "internal notes", "details"),
    ),
    Column("source", gettext_lazy("source"), ("source", "source of information", "sources")),
)  # fmt: skip

BY_KEY = {column.key: column for column in COLUMNS}
NAME_KEYS = ("name_latin", "name_uyghur", "name_chinese", "description")


def heading_key(text: str) -> str:
    """A heading as compared: case-folded, every run of punctuation and space one space."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


@lru_cache(maxsize=4)
def _headings(language: str) -> dict[str, str]:
    """Every recognised heading to its column key: the synonyms, then each column's
    label in English and in the staff pages' other language."""
    found: dict[str, str] = {}
    for column in COLUMNS:
        for heading in column.headings:
            found.setdefault(heading_key(heading), column.key)
    for code in ("en", language):
        with translation.override(code):
            for column in COLUMNS:
                found.setdefault(heading_key(str(column.label)), column.key)
    return found


def guess_mapping(headings: Sequence[str]) -> list[str]:
    """The column key of each heading, "" for one not recognised. A key is given once:
    a second column with the same meaning is ignored until the caseworker says otherwise."""
    known = _headings("ug")
    taken: set[str] = set()
    mapping = []
    for heading in headings:
        key = known.get(heading_key(heading), "")
        if key in taken:
            key = ""
        taken.add(key)
        mapping.append(key)
    return mapping


def mapping_errors(mapping: Sequence[str]) -> list[str]:
    """What the columns lack, or hold twice: file-level errors, nothing imports."""
    errors = []
    chosen = [key for key in mapping if key]
    for key in sorted({key for key in chosen if chosen.count(key) > 1}):
        errors.append(
            _("Two columns are read as “%(column)s”: choose one of them.")
            % {"column": BY_KEY[key].label}
        )
    if "case_name" not in chosen:
        errors.append(
            _("No column holds the case name (e.g. “Family name”): add one, or choose it below.")
        )
    if not set(NAME_KEYS) & set(chosen):
        errors.append(
            _(
                "No column holds the person's name (e.g. “Name”, “Uyghur name”, “Chinese "
                "name”) or a description: add one, or choose it below."
            )
        )
    if "role" not in chosen:
        errors.append(
            _(
                "No column holds the relationship (e.g. “Relationship”: father, mother, "
                "child…): add one, or choose it below."
            )
        )
    return errors
