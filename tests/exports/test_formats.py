"""The case export's formats: what each level shows and never shows, in CSV, XLSX and
JSON, drawn from the shared marked case (tests/exports/conftest.py: every restricted
field holds a marker, and the relatives who did not agree to be named have names in
every script and alias); formula neutralisation; the byte-order mark; streaming and
query counts. Every person here is fictional.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import types
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cases.exports import formats
from cases.exports.cells import BOM
from cases.exports.levels import Format, Level
from cases.exports.service import Layout
from cases.models import Family, Membership, Person, Separation
from tests.exports.conftest import NAMED, UNCONSENTED_NAMES, build_marked_case, consent
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)

pytestmark = pytest.mark.django_db


def exported(level, layout, fmt, families=None, user=None) -> bytes:
    families = Family.objects.all() if families is None else families
    chunks = formats.render(layout=layout, fmt=fmt, level=level, families=families, user=user)
    return b"".join(chunks)


def xlsx_text(content: bytes) -> str:
    """Every part of the workbook (sheets, shared strings, properties) as text."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def text_of(content: bytes, fmt: Format) -> str:
    return xlsx_text(content) if fmt == Format.XLSX else content.decode("utf-8")


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix(BOM))))


def found(needles, text: str) -> list[str]:
    """The needles in the text, case-insensitively."""
    folded = text.casefold()
    return [needle for needle in needles if needle.casefold() in folded]


ROW_FORMATS = [
    (Layout.CASES, Format.CSV),
    (Layout.PEOPLE, Format.CSV),
    (Layout.CASES, Format.XLSX),
    (Layout.PEOPLE, Format.XLSX),
    (Layout.CASES, Format.JSON),
]


@pytest.mark.parametrize(("layout", "fmt"), ROW_FORMATS)
def test_an_advocacy_export_holds_no_restricted_field_and_no_unconsented_name(
    marked_case, layout, fmt
):
    markers = marked_case.markers

    text = text_of(exported(Level.ADVOCACY, layout, fmt), fmt)

    assert found(markers.internal_only + markers.never, text) == []
    assert "470 12 34 56" not in text  # the contact details themselves
    assert found(UNCONSENTED_NAMES, text) == []


@pytest.mark.parametrize(("layout", "fmt"), ROW_FORMATS)
def test_an_advocacy_export_pseudonymises_those_who_did_not_agree_to_be_named(
    marked_case, layout, fmt
):
    reference = marked_case.family.reference

    text = text_of(exported(Level.ADVOCACY, layout, fmt), fmt)

    for pseudonym in ("Father 1", "Child 1", "Child 2"):
        assert f"{pseudonym} of {reference}" in text
    if fmt == Format.JSON:  # the mother is a member; the rows list the separated only
        assert found(NAMED.values(), text) == list(NAMED.values())


@pytest.mark.parametrize(("layout", "fmt"), ROW_FORMATS)
def test_an_internal_export_names_everyone_but_never_holds_contact_details(
    marked_case, layout, fmt
):
    text = text_of(exported(Level.INTERNAL, layout, fmt), fmt)

    assert found(marked_case.markers.never, text) == []
    assert "470 12 34 56" not in text
    assert found(["Abdurehim Qurban", "Mehmetjan Qurban", "Aynur Qurban"], text) != []


def test_an_internal_json_export_holds_every_internal_detail(marked_case):
    text = exported(Level.INTERNAL, Layout.CASES, Format.JSON).decode("utf-8")

    assert found(marked_case.markers.internal_only, text) == marked_case.markers.internal_only
    assert found(UNCONSENTED_NAMES, text) == list(UNCONSENTED_NAMES)


def test_an_internal_csv_row_holds_internal_detail_the_advocacy_row_withholds(marked_case):
    internal = dict(zip(*csv_rows(exported(Level.INTERNAL, Layout.CASES, Format.CSV)), strict=True))
    advocacy = dict(zip(*csv_rows(exported(Level.ADVOCACY, Layout.CASES, Format.CSV)), strict=True))

    assert internal["Case name"] == "Qurban"
    assert advocacy["Case name"] == ""  # the name of relatives who did not agree


def test_a_csv_export_starts_with_a_byte_order_mark_and_keeps_every_script(marked_case):
    content = exported(Level.INTERNAL, Layout.PEOPLE, Format.CSV)

    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8")
    assert text.count(BOM) == 1
    assert "ئابدۇرېھىم قۇربان" in text  # the father, "Latin (Uyghur)"


def test_the_cases_csv_has_one_flat_row_per_case(marked_case):
    FamilyFactory(name="Quiet case", host_country="NL")
    reference = marked_case.family.reference

    header, *rows = csv_rows(exported(Level.ADVOCACY, Layout.CASES, Format.CSV))

    assert len(rows) == 2
    row = dict(zip(header, next(r for r in rows if r[0] == reference), strict=True))
    assert row == {
        "Reference": reference,
        "Case name": "",
        "Host country": "Belgium",
        "Case status": "Advocacy",
        "Separated people": "3",
        "Separations (latest status)": (
            f"Father 1 of {reference}: Verified; Child 1 of {reference}: Reported; "
            f"Child 2 of {reference}: Reported"
        ),
        "Last government contact": "2024-03-01",
        "Government": "Netherlands",
        "Body": "Ministry of Foreign Affairs of the Netherlands",
        "Outcome": "Promised action",
        "Awaiting a response": "true",
        "Next follow-up due": "2024-02-10",
        "Follow-up overdue": "true",
    }
    quiet = dict(zip(header, next(r for r in rows if r[0] != reference), strict=True))
    shown = ("Case name", "Separated people", "Last government contact", "Follow-up overdue")
    assert [quiet[column] for column in shown] == ["", "0", "", "false"]


@pytest.mark.parametrize("level", [Level.INTERNAL, Level.ADVOCACY])
def test_people_called_alike_in_a_row_are_counted_as_the_people_they_are(level):
    family = FamilyFactory(name="Namesakes")
    for _twice in range(2):  # two cousins of the same name, both agreed to be named
        cousin = PersonFactory(
            name_latin="Adil Tursun",
            consent=Person.Consent.NAMED,
            consent_recorded_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        )
        SeparationFactory(family=family, person=cousin)

    header, row = csv_rows(exported(level, Layout.CASES, Format.CSV))

    assert dict(zip(header, row, strict=True))["Separated people"] == "2"


@pytest.mark.parametrize(
    ("case_name", "advocacy_shows"),
    [
        ("Nurlan Kamalova's appeal", "Nurlan Kamalova's appeal"),  # the named mother only
        ("Kamalova family", "Kamalova family"),  # a family name the named mother shares
        ("Search for Erkinjan", ""),  # the unconsented son's given name
        ("Erkinjanning dadisi", ""),  # with a Uyghur suffix
    ],
)
def test_a_case_row_names_the_case_only_as_consent_allows(case_name, advocacy_shows):
    family = FamilyFactory(name=case_name)
    mother = consent(PersonFactory(name_latin="Nurlan Kamalova"), Person.Consent.NAMED)
    son = consent(PersonFactory(name_latin="Erkinjan Kamalova"), Person.Consent.ANONYMISED)
    MembershipFactory(family=family, person=mother, role=Membership.Role.MOTHER)
    MembershipFactory(family=family, person=son, role=Membership.Role.CHILD)

    names = {
        level: dict(zip(*csv_rows(exported(level, Layout.CASES, Format.CSV)), strict=True))[
            "Case name"
        ]
        for level in (Level.ADVOCACY, Level.INTERNAL)
    }

    assert names == {Level.ADVOCACY: advocacy_shows, Level.INTERNAL: case_name}


def test_the_people_csv_has_one_row_per_separated_person(marked_case):
    reference = marked_case.family.reference

    header, *rows = csv_rows(exported(Level.ADVOCACY, Layout.PEOPLE, Format.CSV))

    people = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(people) == [f"{p} of {reference}" for p in ("Father 1", "Child 1", "Child 2")]
    assert people[f"Father 1 of {reference}"] == {
        "Reference": reference,
        "Person": f"Father 1 of {reference}",
        "Role": "Father",
        "Condition": "Detained in a camp",
        "Where they are": "In the Uyghur region",
        "Country": "China",
        "Separation status": "Verified",
        "Separated since": "2018-03",
        "How it happened": "Detained",
        "Charge": "",
        "Sentence (years)": "",
        "Sentence start": "",
        "Sentence end": "",
        "Last contact": "",
    }
    assert people[f"Child 2 of {reference}"]["Condition"] == "Imprisoned"


def formula_case() -> Family:
    family = FamilyFactory(name='=HYPERLINK("https://evil.example","Click")')
    person = PersonFactory(name_latin="Test Formula", charge="=SUM(1,2)")
    MembershipFactory(family=family, person=person)
    SeparationFactory(family=family, person=person)
    GovernmentContactFactory(family=family, body="@SUM(A1:A9)", contacted_on="2024-01-10")
    return family


FORMULA_STARTS = ("=", "+", "-", "@")


def test_formulas_in_a_csv_export_are_neutralised():
    formula_case()

    cases = csv_rows(exported(Level.INTERNAL, Layout.CASES, Format.CSV))[1]
    people = csv_rows(exported(Level.INTERNAL, Layout.PEOPLE, Format.CSV))[1]

    assert cases[1] == '\'=HYPERLINK("https://evil.example","Click")'
    assert "'@SUM(A1:A9)" in cases
    assert "'=SUM(1,2)" in people
    assert [cell for cell in cases + people if cell.lstrip().startswith(FORMULA_STARTS)] == []


@pytest.mark.parametrize("layout", [Layout.CASES, Layout.PEOPLE])
def test_formulas_in_an_xlsx_export_are_text_never_formulas(layout):
    formula_case()

    workbook = load_workbook(io.BytesIO(exported(Level.INTERNAL, layout, Format.XLSX)))

    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert [text for text in texts if text.lstrip().startswith(FORMULA_STARTS)] == []
    assert "'=SUM(1,2)" in texts or '\'=HYPERLINK("https://evil.example","Click")' in texts


def test_an_xlsx_export_keeps_numbers_as_numbers_and_every_script():
    family = FamilyFactory()
    person = PersonFactory(name_latin="Test Sentence", name_uyghur="تېست", sentence_years=10)
    SeparationFactory(family=family, person=person)

    workbook = load_workbook(io.BytesIO(exported(Level.INTERNAL, Layout.PEOPLE, Format.XLSX)))

    header, row = list(workbook.active.values)
    assert header[10] == "Sentence (years)"
    assert row[10] == 10
    assert "تېست" in row[1]


def test_a_worksheet_drops_control_characters_instead_of_failing():
    FamilyFactory(name="Bell\x07 case")

    workbook = load_workbook(io.BytesIO(exported(Level.INTERNAL, Layout.CASES, Format.XLSX)))

    assert list(workbook.active.values)[1][1] == "Bell case"


def test_the_json_export_is_one_document_streamed_a_case_at_a_time(marked_case):
    for _ in range(60):
        FamilyFactory(public_summary="A long public summary. " * 20)

    chunks = list(
        formats.render(
            layout=Layout.CASES,
            fmt=Format.JSON,
            level=Level.ADVOCACY,
            families=Family.objects.all(),
            user=None,
        )
    )

    assert len(chunks) > 1  # streamed, not built as one string
    document = json.loads(b"".join(chunks).decode("utf-8"))
    assert document["schema"] == formats.SCHEMA_ID
    assert document["schema_version"] == 1
    assert document["level"] == "advocacy"
    assert dt.datetime.fromisoformat(document["exported_at"]).tzinfo is not None
    assert len(document["cases"]) == 61


def test_the_json_export_can_be_read_a_case_a_line(marked_case):
    FamilyFactory(public_summary="Two lines.\nThe second.")

    head, *cases, end, last = (
        exported(Level.ADVOCACY, Layout.CASES, Format.JSON).decode().split("\n")
    )

    assert head.endswith(', "cases": [')
    assert [json.loads(line.removeprefix(","))["reference"] for line in cases] == list(
        Family.objects.order_by("pk").values_list("reference", flat=True)
    )
    assert [line[0] for line in cases] == ["{", ","]
    assert (end, last) == ("]}", "")


def test_the_json_export_writes_every_script_as_utf8_not_escapes(marked_case):
    content = exported(Level.ADVOCACY, Layout.CASES, Format.JSON)

    assert NAMED["uyghur"].encode("utf-8") in content
    assert NAMED["chinese"].encode("utf-8") in content
    assert b"\\u" not in content


@pytest.mark.parametrize(("layout", "fmt"), [*ROW_FORMATS, (Layout.STATISTICS, Format.CSV)])
def test_an_export_makes_as_many_queries_for_many_cases_as_for_a_few(layout, fmt):
    level = Level.PUBLIC if layout == Layout.STATISTICS else Level.INTERNAL
    build_marked_case(tag="a")
    with CaptureQueriesContext(connection) as few:
        exported(level, layout, fmt)
    for tag in "bcd":
        build_marked_case(tag=tag)
    with CaptureQueriesContext(connection) as many:
        exported(level, layout, fmt)

    assert len(many) == len(few)


def test_nothing_is_read_before_the_first_chunk_is_asked_for(marked_case):
    with CaptureQueriesContext(connection) as queries:
        chunks = formats.render(
            layout=Layout.CASES,
            fmt=Format.CSV,
            level=Level.ADVOCACY,
            families=Family.objects.all(),
            user=None,
        )
    assert len(queries) == 0
    assert next(chunks).startswith(BOM.encode())


def test_a_pdf_is_laid_out_by_the_dossiers_from_the_summaries_at_the_level(
    marked_case, caseworker, monkeypatch
):
    calls = []

    def dossier_pdf(summaries, *, layout, level, user):
        calls.append((list(summaries), layout, level, user))
        return b"%PDF-fake"

    monkeypatch.setitem(
        sys.modules, "cases.exports.dossiers", types.SimpleNamespace(dossier_pdf=dossier_pdf)
    )

    content = exported(Level.ADVOCACY, Layout.WGEID, Format.PDF, user=caseworker)

    assert content == b"%PDF-fake"
    [(summaries, layout, level, user)] = calls
    assert [s["reference"] for s in summaries] == [marked_case.family.reference]
    assert "internal_summary" not in summaries[0]
    assert (layout, level, user) == (Layout.WGEID, Level.ADVOCACY, caseworker)


@pytest.mark.parametrize(
    ("layout", "fmt"),
    [(Layout.PEOPLE, Format.JSON), (Layout.WGAD, Format.CSV), (Layout.STATISTICS, Format.XLSX)],
)
def test_a_layout_in_a_format_it_does_not_come_in_is_refused_at_once(layout, fmt):
    with pytest.raises(ValueError, match="no .* writer"):
        formats.render(
            layout=layout, fmt=fmt, level=Level.INTERNAL, families=Family.objects.none(), user=None
        )


def test_someone_separated_twice_on_one_case_has_a_row_for_each_separation():
    family = FamilyFactory()
    person = PersonFactory(name_latin="Test Twice")
    MembershipFactory(family=family, person=person, role=Membership.Role.SIBLING)
    SeparationFactory(family=family, person=person, since="2017")
    SeparationFactory(family=family, person=person, since="2020", status=Separation.Status.VERIFIED)

    header, *rows = csv_rows(exported(Level.ADVOCACY, Layout.PEOPLE, Format.CSV))

    assert [(row[1], row[6], row[7]) for row in rows] == [
        (f"Sibling 1 of {family.reference}", "Reported", "2017"),
        (f"Sibling 1 of {family.reference}", "Verified", "2020"),
    ]
