"""Import from a spreadsheet (issue 10): the file read safely, the columns recognised,
every row checked by the models' own rules, a dry run that writes nothing, then one
transaction that writes everything with its source and one audit row.

Every family and person here is fictional."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cases.imports import rows as import_rows_module
from cases.imports import sheets
from cases.imports.columns import guess_mapping
from cases.imports.rows import check_sheet, choice_value, country_code
from cases.imports.service import import_rows
from cases.imports.tasks import spreadsheet_uploads_expire
from cases.models import (
    AuditEvent,
    ConditionChange,
    Family,
    Membership,
    Person,
    Separation,
    SpreadsheetUpload,
    StatusChange,
    TimelineEntry,
)
from cases.partial_dates import PartialDate
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:cases_family_import")
HEADINGS = [
    "Case ID",
    "Family name",
    "Host country",
    "Reported by",
    "Full name",
    "Uyghur name",
    "Relationship",
    "DOB",
    "Condition",
    "Detained since",
    "How it happened",
    "Status",
    "Favourite colour",
]
ROWS = [
    ["A-1", "Tohtiyeva", "Belgium", "Gulbahar Tohtiyeva", "Erkin Tohti", "ئەركىن توختى",
     "Father", "1961", "Detained in a camp", "2017-05", "Detained", "Reported", "green"],
    ["A-1", "Tohtiyeva", "Belgium", "", "Melike Tohti", "", "daughter", "about 2009",
     "", "2017-05", "Left behind when fleeing", "", ""],
    ["B-7", "Yaqupova", "NL", "", "Zulpiye Yaqup", "", "Mother", "10 years old in 2021",
     "", "", "", "", ""],
]  # fmt: skip


def csv_bytes(headings=HEADINGS, rows=ROWS, *, encoding="utf-8", delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headings=HEADINGS, rows=ROWS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read(data: bytes, name: str = "support-group.csv") -> sheets.Sheet:
    return sheets.read_sheet(data=data, file_name=name)


def upload(client, data: bytes, name: str = "support-group.csv"):
    return client.post(IMPORT, {"file": io.BytesIO(data) | _named(name)})


class _named:
    """`io.BytesIO(data) | _named("x.csv")`: a file object with a name, as uploaded."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __ror__(self, file: io.BytesIO) -> io.BytesIO:
        file.name = self.name
        return file


def table_counts() -> dict[str, int]:
    """The number of rows in every table Django knows, through each model."""
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def preview_url(upload_row: SpreadsheetUpload) -> str:
    return reverse("admin:cases_family_import_preview", args=[upload_row.pk])


def posted_form(response) -> dict:
    """The preview's form as the browser would post it (selects at their choice)."""
    from tests.conftest import _AdminFormParser

    parser = _AdminFormParser()
    parser.feed(response.content.decode())
    return dict(parser.data)


# --- Reading files ------------------------------------------------------------------


def test_a_csv_with_a_bom_and_one_without_read_the_same():
    plain = read(csv_bytes())
    with_bom = read(b"\xef\xbb\xbf" + csv_bytes())

    assert plain.headings == with_bom.headings == HEADINGS
    assert plain.rows == with_bom.rows
    assert plain.rows[0][0] == 2  # numbered as the spreadsheet shows them


def test_utf16_unicode_text_as_excel_saves_it_is_read():
    sheet = read(csv_bytes(encoding="utf-16", delimiter="\t"), "cases.txt")

    assert sheet.headings == HEADINGS
    assert sheet.rows[0][1][5] == "ئەركىن توختى"


def test_a_file_in_another_encoding_gets_a_clear_error():
    data = csv_bytes(rows=[["A-1", "Çelik", "", "", "Ömer Çelik", "", "father"] + [""] * 6])

    with pytest.raises(sheets.SheetError, match="UTF-8"):
        read(data.decode().encode("cp1254"))


def test_xlsx_is_read_with_dates_and_numbers_as_text():
    rows = [[*ROWS[0][:7], dt.datetime(1961, 3, 4), *ROWS[0][8:]]]  # noqa: DTZ001 - Excel has no zones
    rows[0][0] = 17.0

    sheet = read(xlsx_bytes(rows=rows), "cases.xlsx")

    assert sheet.kind == "XLSX"
    assert sheet.rows[0][1][0] == "17"
    assert sheet.rows[0][1][7] == "1961-03-04"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "cases.xls", ".xls"),
        (b"PK\x03\x04 not really a zip", "cases.xlsx", "not a valid XLSX"),
        (b"%PDF-1.7", "cases.pdf", "Only CSV and XLSX"),
        (b"", "cases.csv", "empty"),
        (b"a,b\n\0,1\n", "cases.csv", "NUL"),
    ],
)
def test_other_files_are_refused_clearly(data, name, message):
    with pytest.raises(sheets.SheetError, match=message):
        read(data, name)


def test_a_zip_bomb_xlsx_is_refused_before_it_is_unzipped():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (sheets.MAX_UNZIPPED + 1))
    assert len(out.getvalue()) < 1024 * 1024

    with pytest.raises(sheets.SheetError, match="unzip to more than"):
        read(out.getvalue(), "bomb.xlsx")


def test_a_file_with_more_rows_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 2)

    with pytest.raises(sheets.SheetError, match="more than 2 rows"):
        read(csv_bytes())
    with pytest.raises(sheets.SheetError, match="more than 2 rows"):
        read(xlsx_bytes(), "cases.xlsx")


# --- Columns, values --------------------------------------------------------------


def test_common_headings_are_recognised_and_the_rest_ignored():
    mapping = guess_mapping(HEADINGS)

    assert mapping == [
        "case_key", "case_name", "host_country", "reporting_contact", "name_latin",
        "name_uyghur", "role", "birth", "condition", "since", "circumstance", "status", "",
    ]  # fmt: skip
    assert guess_mapping(["NAME (English)", "Chinese name", "Born", "Relation", "Country"]) == [
        "name_latin",
        "name_chinese",
        "birth",
        "role",
        "host_country",
    ]


def test_uyghur_and_chinese_headings_are_recognised_too():
    with translation.override("ug"):
        uyghur_label = str(Person._meta.get_field("name_latin").verbose_name)
    assert uyghur_label != "name (Latin script)"  # the staff pages' Uyghur label

    assert guess_mapping(["ئۇيغۇرچە ئىسمى", "مۇناسىۋىتى", "姓名", uyghur_label]) == [
        "name_uyghur",
        "role",
        "name_chinese",
        "name_latin",
    ]


def test_labels_words_and_codes_in_english_and_uyghur_become_choices_and_countries():
    assert choice_value("role", "Son") == "child"
    assert choice_value("role", "ئانا") == "mother"
    assert choice_value("condition", "Detained in a camp") == "detained_in_camp"
    assert choice_value("status", "verified") == "verified"
    assert country_code("BEL") == "BE"
    assert country_code("the Netherlands") == "NL"
    assert country_code("بېلگىيە") == "BE"
    with pytest.raises(ValueError, match="is not one of"):
        choice_value("role", "landlord")


def test_a_missing_required_column_is_a_file_level_error(caseworker):
    sheet = read(csv_bytes(["Family name", "Full name"], [["Tohti", "Erkin Tohti"]]))

    checked = check_sheet(sheet=sheet, user=caseworker, source_name="f.csv")

    assert checked.file_errors == [
        "No column holds the relationship (e.g. “Relationship”: father, mother, child…): "
        "add one, or choose it below."
    ]
    assert not checked.ready


# --- Checking rows ----------------------------------------------------------------


def test_a_bad_row_gets_every_one_of_its_errors_under_its_column(caseworker):
    bad = ["A-1", "Tohtiyeva", "Atlantis", "", "erkin\u202etohti", "Erkin", "landlord",
           "next year", "", "2099", "", "", ""]  # fmt: skip
    sheet = read(csv_bytes(rows=[bad]))

    checked = check_sheet(sheet=sheet, user=caseworker, source_name="f.csv")

    (row,) = checked.rows
    problems = [str(problem) for problem in row.problems]
    assert any(p.startswith("Host country: “Atlantis” is not a country") for p in problems)
    assert any(p.startswith("Full name: Remove the invisible") for p in problems)
    assert any(p.startswith("Uyghur name: Only Arabic-script (Uyghur) letters") for p in problems)
    assert any(p.startswith("Relationship: “landlord” is not one of") for p in problems)
    assert any(p.startswith("DOB: “next year” is not a birth date") for p in problems)
    assert "Detained since: This date is in the future." in problems
    assert "How it happened: This field cannot be blank." in problems
    assert checked.to_import == []


def test_a_case_with_a_refused_row_is_not_imported_at_all(caseworker):
    rows = [list(r) for r in ROWS]
    rows[1][6] = "landlord"

    checked = check_sheet(sheet=read(csv_bytes(rows=rows)), user=caseworker, source_name="f.csv")

    assert [row.number for row in checked.rejected] == [3]
    assert [row.number for row in checked.to_import] == [4]  # the other case only
    assert [case.family.name for case in checked.new_cases] == ["Yaqupova"]


def test_a_later_row_that_contradicts_its_case_is_refused(caseworker):
    rows = [list(r) for r in ROWS]
    rows[1][2] = "Germany"

    checked = check_sheet(sheet=read(csv_bytes(rows=rows)), user=caseworker, source_name="f.csv")

    assert [str(p) for p in checked.rows[1].problems] == [
        "Host country: differs from row 2 of the same case."
    ]


def test_cells_that_look_like_formulas_are_only_text(caseworker):
    rows = [["C-1", "=HYPERLINK(\"http://example.org\")", "", "", "@Tursun", "", "father",
             "", "", "", "", "", ""]]  # fmt: skip

    checked = check_sheet(sheet=read(csv_bytes(rows=rows)), user=caseworker, source_name="f.csv")

    problems = [str(p) for p in checked.rows[0].problems]
    assert any(p.startswith("Family name: A name holds letters") for p in problems)
    assert checked.rows[0].person.name_latin == "@Tursun"  # text, refused or kept as text


def test_a_possible_duplicate_waits_for_the_caseworkers_choice(caseworker):
    known = PersonFactory(name_latin="Erkin Tohti", birth_date="1961")
    MembershipFactory(person=known, family=FamilyFactory(reference="F-2025-0001"))

    checked = check_sheet(sheet=read(csv_bytes()), user=caseworker, source_name="f.csv")

    erkin = checked.rows[0]
    assert [(m.person, m.score) for m in erkin.matches] == [(known, 100)]
    assert not erkin.decided
    assert not checked.ready

    decided = check_sheet(
        sheet=read(csv_bytes()),
        user=caseworker,
        source_name="f.csv",
        decisions={"person-2": str(known.pk)},
    )
    assert decided.ready
    assert decided.rows[0].same_as == known


def test_a_match_on_a_hidden_case_never_shows_its_name(client, worker, as_user):
    hidden = FamilyFactory(reference="F-2025-0002", restricted=True)
    # Another spelling of the file's "Erkin Tohti": a match, whose name must not show.
    MembershipFactory(family=hidden, person__name_latin="Erkin Tokhti", person__birth_date="1961")
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    page = client.get(preview_url(SpreadsheetUpload.objects.get()))

    html = page.content.decode()
    assert "A possible match exists in a case you cannot open; ask a supervisor." in html
    assert "F-2025-0002" not in html
    assert "Tokhti" not in html
    options = html[
        html.index('name="person-2"') : html.index("</select>", html.index('name="person-2"'))
    ]
    assert "The same as" not in options


def test_the_sheets_duplicate_finder_answers_as_possible_duplicates_does(worker):
    """The preview looks every person up at once (rows.DuplicateFinder); it must say
    what `cases.matching.possible_duplicates` says of each, hidden matches included."""
    from cases.matching import possible_duplicates

    hidden = FamilyFactory(restricted=True)
    for name, year in [("Erkin Tohti", "1961"), ("Erkin Tokhti", "1962"), ("Tohti Erkin", "")]:
        PersonFactory(name_latin=name, birth_date=year)
    MembershipFactory(family=hidden, person__name_latin="Erkin Toxti", person__birth_date="1961")
    PersonFactory(name_latin="Melike Tohtiyeva", aliases="Melike Tokhti")
    PersonFactory(name_uyghur="ئەركىن توختى")
    people = [
        Person(name_latin="Erkin Tohti", birth_date=PartialDate(1961)),
        Person(name_latin="Melike Tohti", aliases="Melike Toxti"),
        Person(name_uyghur="ئەركىن توختى", name_chinese="艾尔肯·托合提"),
        Person(name_latin="Zulpiye Yaqup"),
    ]

    finder = import_rows_module.DuplicateFinder(people, worker)

    for person in people:
        names = [person.name_latin, person.name_uyghur, person.name_chinese, *person.alias_list]
        year = person.birth_date.year if person.birth_date else None
        expected = possible_duplicates(user=worker, names=names, birth_year=year)
        assert finder.matches(person) == expected
    assert any(match.hidden for match in finder.matches(people[0]))
    assert finder.matches(people[3]) == []


# --- The pages --------------------------------------------------------------------


def test_the_family_list_links_to_the_import_for_caseworkers_only(
    client, worker, advocate, as_user
):
    as_user(worker)
    assert IMPORT in client.get(reverse("admin:cases_family_changelist")).content.decode()
    as_user(advocate)
    assert IMPORT not in client.get(reverse("admin:cases_family_changelist")).content.decode()


@pytest.mark.parametrize("role", ["advocate", "petition_editor"])
def test_others_are_refused_with_403_and_an_audit_row(client, as_user, request, role):
    as_user(request.getfixturevalue(role))

    assert client.get(IMPORT).status_code == 403
    response = client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("g.csv")})
    assert response.status_code == 403
    assert SpreadsheetUpload.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED).count() == 2


def test_an_upload_that_cannot_be_read_stays_on_the_upload_page_with_why(client, worker, as_user):
    as_user(worker)

    response = client.post(IMPORT, {"file": io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
                                    | _named("old.xls")})  # fmt: skip

    assert response.status_code == 200
    assert "Old Excel files (.xls) are not read" in response.content.decode()
    assert SpreadsheetUpload.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_while_it_arrives(
    client, worker, as_user, monkeypatch
):
    monkeypatch.setattr(sheets, "MAX_BYTES", 1000)
    as_user(worker)

    response = client.post(IMPORT, {"file": io.BytesIO(b"a," * 2000) | _named("big.csv")})

    assert "larger than" in response.content.decode()
    assert SpreadsheetUpload.objects.count() == 0


def test_the_upload_is_stored_encrypted_for_its_owner_only(client, worker, other_worker, as_user):
    as_user(worker)
    response = client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("Tohti family.csv")})
    stored = SpreadsheetUpload.objects.get()
    assert response.url == preview_url(stored)
    assert stored.file_bytes() == csv_bytes()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT content, file_name FROM {SpreadsheetUpload._meta.db_table}"  # noqa: S608
        )
        content, file_name = cursor.fetchone()
    assert "Tohti" not in file_name
    assert b"Tohti" not in content.encode()

    as_user(other_worker)
    refused = client.get(preview_url(stored))
    assert refused.url == IMPORT  # as if it did not exist


def test_the_import_dry_run_writes_nothing(client, worker, as_user):
    """Upload, then preview, remap and a confirm that still lacks a decision: after the
    upload's own row, the number of rows in every table stays the same."""
    PersonFactory(name_latin="Zulpiye Yaqup", birth_date="2011")  # on no case: a match
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    before = table_counts()

    page = client.get(preview_url(stored))
    assert page.status_code == 200
    assert "This is a preview: nothing has been saved yet." in page.content.decode()
    form = posted_form(page)
    form["column-12"] = "notes"  # the caseworker reads the ignored column as notes
    client.post(preview_url(stored), {**form, "preview": "1"})
    unconfirmed = client.post(preview_url(stored), {**form, "confirm": "1"})

    assert "choose for every possible duplicate" in unconfirmed.content.decode()
    assert table_counts() == before


def test_confirming_imports_everything_with_its_source_and_one_audit_row(client, worker, as_user):
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    audit_before = AuditEvent.objects.count()

    response = client.post(preview_url(stored), {**form, "confirm": "1"})

    assert response.status_code == 302
    assert response.url == reverse("admin:cases_family_changelist")
    families = list(Family.objects.order_by("reference"))
    assert [f.name for f in families] == ["Tohtiyeva", "Yaqupova"]
    assert [f.host_country.code for f in families] == ["BE", "NL"]
    assert all(list(f.caseworkers.all()) == [worker] for f in families)  # visible to them
    assert set(Family.objects.visible_to(worker)) == set(families)
    tohtiyeva = families[0]
    assert str(tohtiyeva.reporting_contact) == "\u2068Gulbahar Tohtiyeva\u2069"
    erkin = Person.objects.get(name_latin="Erkin Tohti")
    assert erkin.name_uyghur == "ئەركىن توختى"
    assert str(erkin.birth_date) == "1961"
    assert erkin.condition == Person.Condition.DETAINED_IN_CAMP
    melike = Person.objects.get(name_latin="Melike Tohti")
    assert (str(melike.birth_date), melike.birth_date_approximate) == ("2009", True)
    assert Membership.objects.get(person=melike).role == Membership.Role.CHILD
    separation = Separation.objects.get(person=erkin)
    assert (str(separation.since), separation.circumstance) == ("2017-05", "detained")
    assert not Separation.objects.filter(person__name_latin="Zulpiye Yaqup").exists()
    condition = ConditionChange.objects.get(person=erkin)
    assert condition.source == "Imported from group.csv, row 2"
    (opened,) = StatusChange.objects.filter(family=tohtiyeva, separation=None)
    assert opened.note == "Imported from group.csv, row 2"
    entries = TimelineEntry.objects.order_by("pk")
    assert [(e.title, e.source) for e in entries] == [
        (f"Imported from group.csv, row {n}", f"Imported from group.csv, row {n}")
        for n in (2, 3, 4)
    ]
    assert entries[0].separation == separation
    assert all(e.created_by == worker for e in entries)
    (audit,) = AuditEvent.objects.all()[: AuditEvent.objects.count() - audit_before]
    assert audit.detail == (
        "spreadsheet import group.csv: 3 rows, 2 cases, 4 people created, 0 linked, 2 separations"
    )
    assert "Erkin" not in audit.detail
    assert not SpreadsheetUpload.objects.exists()  # deleted once imported


def test_a_row_said_to_be_a_person_on_record_is_attached_to_them(client, worker, as_user):
    known = PersonFactory(name_latin="Erkin Tohti", birth_date="1961")
    family = FamilyFactory()
    family.caseworkers.add(worker)
    MembershipFactory(person=known, family=family)
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    form["person-2"] = str(known.pk)

    client.post(preview_url(stored), {**form, "confirm": "1"})

    assert Person.objects.filter(name_latin="Erkin Tohti").count() == 1
    assert known.families.count() == 2
    assert Separation.objects.get(person=known).circumstance == "detained"


def test_a_failure_at_the_last_write_leaves_nothing(client, worker, as_user, monkeypatch):
    """Everything is written, then the audit row fails: nothing stays."""
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    before = table_counts()
    written = {}

    def failing_audit(**kwargs):
        written.update(people=Person.objects.count(), entries=TimelineEntry.objects.count())
        raise RuntimeError("the database went away")

    monkeypatch.setattr("cases.imports.service.audit_record", failing_audit)
    with pytest.raises(RuntimeError):
        client.post(preview_url(stored), {**form, "confirm": "1"})

    assert written == {"people": 4, "entries": 3}
    assert table_counts() == before


def generated_rows(count: int, *, seed: str) -> list[list[str]]:
    """`count` fictional rows, three a case (a father detained, a child left behind, a
    mother abroad), every name made of `seed` and the row's number in letters."""
    letters = "bdfghjklmnprstvz"

    def word(number: int) -> str:
        spelled = "".join(letters[int(d, 16)] + "aeiou"[i % 5] for i, d in enumerate(f"{number:x}"))
        return f"{seed}{spelled}".capitalize()

    rows = []
    for number in range(count):
        case, place = divmod(number, 3)
        family = f"{word(case)}ova"
        person = f"{word(number + 7000)} {family}"
        contact = f"{word(case + 9000)} {family}" if place == 0 else ""
        separated = [
            [
                "Father",
                str(1950 + case % 30),
                "Detained in a camp",
                "2018-04",
                "Detained",
                "Reported",
            ],
            [
                "Son",
                f"about {2008 + case % 8}",
                "Orphanage",
                "2018",
                "Left behind when fleeing",
                "Verified",
            ],
            ["Mother", f"{40 + case % 20} years old", "", "", "", ""],
        ][place]
        rows.append([f"G-{seed}-{case}", family, "BE", contact, person, "", *separated, ""])
    return rows


def confirm_queries(client, rows: list[list[str]]) -> int:
    """Upload `rows`, decide every possible duplicate "a new person", and confirm: the
    queries of the confirm."""
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes(rows=rows)) | _named("generated.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    form.update({name: "new" for name in form if name.startswith(("person-", "contact-"))})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(preview_url(stored), {**form, "confirm": "1"})
    assert response.status_code == 302
    return len(queries)


def test_the_confirms_queries_do_not_grow_with_the_rows(client, worker, as_user):
    """Issue 10: 10,000 rows in under a minute. Each model is written in one INSERT a
    batch, validated in one query a kind, the references reserved at once."""
    PersonFactory(name_latin="Erkin Tohti")  # a possible duplicate in both files
    as_user(worker)
    one_row_of_each = [*ROWS[:1], *generated_rows(9, seed="Ab")]

    few = confirm_queries(client, one_row_of_each)
    many = confirm_queries(client, [*ROWS[:1], *generated_rows(199, seed="Ek")])

    assert Person.objects.count() == 1 + (10 + 4) + (200 + 68)  # each row, each contact
    assert TimelineEntry.objects.count() == 210
    assert few == many
    assert many < 60


# --- Two rows of the file about one person ----------------------------------------

TWICE = [
    ["A-1", "Tohtiyeva", "BE", "", "Erkin Tohti", "", "Father", "1961", "Detained in a camp",
     "2017-05", "Detained", "Reported", ""],
    ["B-2", "Tohtiyeva", "NL", "", "Erkin Tokhti", "", "Father", "1961", "", "2017", "Detained",
     "", ""],
    ["C-3", "Yaqupova", "NL", "", "Zulpiye Yaqup", "", "Mother", "1980", "", "", "", "", ""],
]  # fmt: skip


def test_two_rows_naming_one_person_are_a_possible_duplicate_of_the_dry_run(worker):
    checked = check_sheet(sheet=read(csv_bytes(rows=TWICE)), user=worker, source_name="f.csv")

    first, second, other = checked.rows
    assert first.file_matches == []
    assert other.file_matches == []
    (match,) = second.file_matches
    assert match.row is first
    assert match.score >= 90  # another spelling, born the same year
    assert "born the same year" in match.reasons
    assert not second.decided
    assert not checked.ready


def test_the_preview_offers_the_earlier_row_and_the_import_creates_the_person_once(
    client, worker, as_user
):
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes(rows=TWICE)) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    page = client.get(preview_url(stored))
    html = page.content.decode()
    assert "Row 2 of this file" in html
    assert '<option value="row-2">The same as row 2 of this file</option>' in html
    form = posted_form(page)
    form["person-3"] = "row-2"

    response = client.post(preview_url(stored), {**form, "confirm": "1"})

    assert response.status_code == 302
    erkin = Person.objects.get(name_latin="Erkin Tohti")
    assert not Person.objects.filter(name_latin="Erkin Tokhti").exists()
    assert sorted(erkin.families.values_list("host_country", flat=True)) == ["BE", "NL"]
    assert Separation.objects.filter(person=erkin).count() == 2
    assert ConditionChange.objects.filter(person=erkin).count() == 1  # from its own row
    assert TimelineEntry.objects.count() == 3
    (audit,) = AuditEvent.objects.filter(detail__startswith="spreadsheet import")
    assert "2 people created, 1 linked" in audit.detail


def test_two_rows_said_to_be_different_people_are_both_created(client, worker, as_user):
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes(rows=TWICE)) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    form["person-3"] = "new"

    client.post(preview_url(stored), {**form, "confirm": "1"})

    assert Person.objects.filter(name_latin__in=["Erkin Tohti", "Erkin Tokhti"]).count() == 2


def test_a_row_of_the_same_case_is_shown_but_is_no_choice(client, worker, as_user):
    rows = [list(row) for row in TWICE]
    rows[1][0] = "A-1"
    rows[1][2] = "BE"
    checked = check_sheet(sheet=read(csv_bytes(rows=rows)), user=worker, source_name="f.csv")
    (match,) = checked.rows[1].file_matches
    assert match.same_case

    refused = check_sheet(
        sheet=read(csv_bytes(rows=rows)),
        user=worker,
        source_name="f.csv",
        decisions={"person-3": "row-2"},
    )
    assert not refused.rows[1].decided
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes(rows=rows)) | _named("group.csv")})
    html = client.get(preview_url(SpreadsheetUpload.objects.get())).content.decode()
    assert "Row 2 of this file, in the same case" in html
    assert 'value="row-2"' not in html


def test_one_person_chosen_twice_in_a_case_waits_for_another_choice(worker):
    rows = [*TWICE, list(TWICE[1])]
    rows[3][4] = "Erkin Toxti"  # row 5, in case B too, also "the same as row 2"
    rows[3][6] = "Sibling"

    checked = check_sheet(
        sheet=read(csv_bytes(rows=rows)),
        user=worker,
        source_name="f.csv",
        decisions={"person-3": "row-2", "person-5": "row-2"},
    )

    assert checked.rows[1].same_as_row is checked.rows[0]
    last = checked.rows[3]
    assert not last.decided
    assert last.same_as_row is None
    assert "Row 3 of this case is this person already" in last.decision_problem


def test_a_confirm_for_another_file_than_the_preview_imports_nothing(client, worker, as_user):
    as_user(worker)
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})
    stored = SpreadsheetUpload.objects.get()
    form = posted_form(client.get(preview_url(stored)))
    form["sha256"] = "0" * 64

    response = client.post(preview_url(stored), {**form, "confirm": "1"})

    assert "This is not the file the page showed" in response.content.decode()
    assert not Family.objects.exists()


def test_the_service_refuses_rows_that_were_refused_or_are_undecided(worker):
    rows = [list(r) for r in ROWS]
    rows[2][6] = "landlord"
    checked = check_sheet(sheet=read(csv_bytes(rows=rows)), user=worker, source_name="f.csv")

    with pytest.raises(ValueError, match="none refused or undecided"):
        import_rows(rows=checked.rows, actor=worker, source_name="f.csv")
    assert not Family.objects.exists()


def test_an_upload_queues_its_own_deletion_for_when_it_expires(worker, settings):
    from django_tasks_db.models import DBTaskResult

    from cases.imports.tasks import upload_spreadsheet

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    upload = upload_spreadsheet(owner=worker, file_name="g.csv", data=csv_bytes())

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "cases.imports.tasks.spreadsheet_uploads_housekeeping"
    assert queued.run_after > upload.expires_at


def test_uploads_expire_after_a_day(worker):
    old = SpreadsheetUpload.for_file(owner=worker, file_name="old.csv", data=b"a")
    old.save()
    SpreadsheetUpload.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    SpreadsheetUpload.for_file(owner=worker, file_name="new.csv", data=b"b").save()

    assert spreadsheet_uploads_expire() == 1
    assert list(SpreadsheetUpload.objects.values_list("file_name", flat=True)) == ["new.csv"]


def test_the_preview_in_uyghur_is_right_to_left_and_reads_uyghur_labels(client, worker, as_user):
    as_user(worker)
    client.cookies["django_language"] = "ug"
    client.post(IMPORT, {"file": io.BytesIO(csv_bytes()) | _named("group.csv")})

    page = client.get(preview_url(SpreadsheetUpload.objects.get()))

    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode()
