"""The petition delivery pack: the PDF and CSVs an addressee receives. Formula-safe
cells, only confirmed signatures, counts by country, Uyghur and Chinese names printed
in embedded Noto fonts, no signer's email, and every download (or refusal) audited."""

import csv
import datetime as dt
import io
import itertools
import unicodedata

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django_countries import countries
from pypdf import PdfReader

from cases.exports import signatures
from cases.exports.cells import csv_lines, safe_cell, safe_cells
from cases.exports.pdf import OWN_ORIGIN, OwnFilesOnly
from cases.models import AuditEvent, Signature
from tests.factories import UserFactory
from tests.public.conftest import make_petition

pytestmark = pytest.mark.django_db

# Fictional signers.
UYGHUR_NAME = "ئابدۇرېھىم تۇردى"
CHINESE_NAME = "王丽"
SIGNER_NUMBERS = itertools.count()
FORMULA_NAMES = ['=HYPERLINK("https://example.org/x","Click")', "+1", "@SUM(A1:A9)", "-2+3"]

PDF, SIGNATURES, COUNTRIES = (
    "admin:cases_petition_pack_pdf",
    "admin:cases_petition_pack_signatures",
    "admin:cases_petition_pack_countries",
)


def signer(petition, name, country, *, state=Signature.State.CONFIRMED, postcode="", day=1):
    """One signature, written directly (as a signature stored before today's name rules
    would be): the pack must be safe whatever the table holds."""
    email = f"signer{next(SIGNER_NUMBERS)}@example.org"
    return Signature.objects.create(
        petition=petition,
        name=name,
        email=email,
        email_canonical=email,
        country=country,
        postcode=postcode,
        comment="A private comment for the organisers",
        state=state,
        ip_hash="f" * 64,
        confirmed_at=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC)
        if state == Signature.State.CONFIRMED
        else None,
    )


@pytest.fixture
def petition():
    """Confirmed: Belgium 3, France 2, Germany 1. Not counted: one pending in Belgium,
    one suspect in Germany, one invalidated in France."""
    petition = make_petition()
    signer(petition, "Marie Quellstrom", "BE", postcode="1000", day=1)
    signer(petition, UYGHUR_NAME, "BE", day=2)
    signer(petition, "Jan Verbeke", "BE", day=3)
    signer(petition, CHINESE_NAME, "FR", postcode="75011", day=4)
    signer(petition, "Léa Dumont", "FR", day=5)
    signer(petition, "Anna Vogelsang", "DE", day=6)
    signer(petition, "Pending Person", "BE", state=Signature.State.PENDING)
    signer(petition, "Suspect Person", "DE", state=Signature.State.SUSPECT)
    signer(petition, "Invalid Person", "FR", state=Signature.State.INVALIDATED)
    return petition


def download(client, url_name, petition):
    response = client.get(reverse(url_name, args=[petition.pk]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def pdf_text(body: bytes) -> str:
    """The PDF's text, in Unicode's compatibility form: a PDF may give Arabic-script
    letters as their joined presentation forms, which NFKC folds back."""
    reader = PdfReader(io.BytesIO(body))
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def pdf_fonts(body: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(body)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


# --- Cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =1+1", "\n@x", "\t=1"],
)
def test_a_text_cell_a_spreadsheet_would_run_gets_a_quote_first(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Marie Quellstrom", UYGHUR_NAME, CHINESE_NAME, "1000", "a=b"])
def test_other_text_is_left_as_it_is(value):
    assert safe_cell(value) == value


def test_numbers_and_dates_stay_what_they_are_and_none_is_empty():
    assert safe_cell(-3) == "-3"
    assert safe_cell(2.5) == "2.5"
    assert safe_cell(dt.date(2026, 3, 1)) == "2026-03-01"
    assert safe_cell(None) == ""


def test_a_row_of_cells_is_neutralised_as_each_of_its_cells_would_be():
    risky = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =1+1", "\u3000=1", "\n@x"]
    others = ["", "Marie Quellstrom", UYGHUR_NAME, CHINESE_NAME, "a=b", " a", None, True, -3]
    row = [*risky, SafeString("=1"), *others, 2.5, dt.date(2026, 3, 1)]

    cells = safe_cells(row)

    assert cells == [safe_cell(value) for value in row]
    assert all(cell.startswith("'") for cell in cells[: len(risky) + 1])


def test_csv_lines_start_with_a_byte_order_mark_and_neutralise_every_cell():
    text = "".join(csv_lines([["name", "n"], ["=1+1", -3]]))

    assert text == "\ufeffname,n\r\n'=1+1,-3\r\n"


# --- The signatures CSV ------------------------------------------------------------------


def test_the_signatures_csv_holds_only_confirmed_signatures_and_no_private_field(
    as_user, petition_editor, petition
):
    response, body = download(as_user(petition_editor), SIGNATURES, petition)
    rows = read_csv(body)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    assert rows[0] == ["name", "country", "country code", "postcode", "confirmed on"]
    assert [row[0] for row in rows[1:]] == [
        "Marie Quellstrom",
        UYGHUR_NAME,
        "Jan Verbeke",
        CHINESE_NAME,
        "Léa Dumont",
        "Anna Vogelsang",
    ]
    assert rows[1] == ["Marie Quellstrom", "Belgium", "BE", "1000", "2026-03-01"]
    text = body.decode("utf-8-sig")
    for private in ["@example.org", "private comment", "f" * 64, "Pending", "Suspect", "Invalid"]:
        assert private not in text


def test_signers_named_like_formulas_come_out_as_text(as_user, petition_editor, petition):
    for day, name in enumerate(FORMULA_NAMES, start=10):
        signer(petition, name, "NL", postcode="=cmd|'/C calc'", day=day)

    _response, body = download(as_user(petition_editor), SIGNATURES, petition)
    rows = read_csv(body)[7:]

    assert [row[0] for row in rows] == ["'" + name for name in FORMULA_NAMES]
    assert {row[3] for row in rows} == {"'=cmd|'/C calc'"}


def test_the_counts_by_country_are_those_of_the_confirmed_signatures(
    as_user, petition_editor, petition
):
    response, body = download(as_user(petition_editor), COUNTRIES, petition)

    assert response.status_code == 200
    assert read_csv(body) == [
        ["country", "country code", "signatures"],
        ["Belgium", "BE", "3"],
        ["France", "FR", "2"],
        ["Germany", "DE", "1"],
    ]


def test_a_pack_in_uyghur_names_the_countries_and_headings_in_uyghur(
    as_user, petition_editor, petition
):
    petition.fallback_language = "ug"
    petition.save()
    with translation.override("ug"):
        belgium = str(countries.name("BE"))

    _response, body = download(as_user(petition_editor), COUNTRIES, petition)
    rows = read_csv(body)

    assert belgium != "Belgium"
    assert rows[1] == [belgium, "BE", "3"]


# --- The PDF -----------------------------------------------------------------------------


def test_the_pdf_prints_uyghur_and_chinese_names_in_embedded_noto_fonts(
    as_user, petition_editor, petition
):
    response, body = download(as_user(petition_editor), PDF, petition)
    text = pdf_text(body)
    fonts = pdf_fonts(body)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-")
    assert unicodedata.normalize("NFKC", UYGHUR_NAME) in text
    assert CHINESE_NAME in text
    assert "Marie Quellstrom" in text
    # Fonts embedded as subsets ("ABCDEF+Noto-Sans-Arabic"), so they print, not boxes.
    assert any("Noto" in font and "Arabic" in font for font in fonts), fonts
    assert any("Noto" in font and "CJK-SC" in font for font in fonts), fonts


def test_the_pdf_has_the_letter_the_count_and_the_countries_but_no_private_field(
    as_user, petition_editor, petition
):
    _response, body = download(as_user(petition_editor), PDF, petition)
    text = pdf_text(body)

    for shown in [
        "Minister Example",
        "Rue Exemple 1",
        "Dear Minister,",
        "Reunite the Tursun family",
        "We write to you about a family kept apart.",
        "Ask for proof of life",
        "6 confirmed signatures.",
        "Belgium 3",
        "France 2",
        "Germany 1",
    ]:
        assert shown in text, shown
    for private in ["@example.org", "private comment", "f" * 64, "Pending", "Suspect", "Invalid"]:
        assert private not in text


def test_a_petition_without_confirmed_signatures_still_gets_a_valid_pack(as_user, petition_editor):
    petition = make_petition("no-one-yet")
    signer(petition, "Pending Person", "BE", state=Signature.State.PENDING)
    client = as_user(petition_editor)

    _response, pdf = download(client, PDF, petition)
    _response, signatures = download(client, SIGNATURES, petition)
    _response, by_country = download(client, COUNTRIES, petition)

    text = pdf_text(pdf)
    assert "0 confirmed signatures." in text
    assert "No signature has been confirmed yet." in text
    assert len(read_csv(signatures)) == 1
    assert len(read_csv(by_country)) == 1


def test_above_the_limit_the_pdf_names_no_one_and_points_to_the_csv(
    as_user, petition_editor, petition, monkeypatch
):
    monkeypatch.setattr(signatures, "PDF_LIST_LIMIT", 5)

    _response, body = download(as_user(petition_editor), PDF, petition)
    text = pdf_text(body)

    assert "6 confirmed signatures." in text
    assert "Belgium 3" in text
    assert "listed in the accompanying CSV file" in text
    assert "Quellstrom" not in text
    assert CHINESE_NAME not in text


def test_the_pdf_fetches_nothing_but_our_own_static_files():
    fetcher = OwnFilesOnly()

    stylesheet = fetcher.fetch(f"{OWN_ORIGIN}/static/css/print.css")
    assert b"Noto Sans Arabic" in stylesheet.read()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in [
        "https://example.org/tracker.png",
        "http://reunite.invalid.example.org/static/css/print.css",
        "file:///etc/passwd",
        f"{OWN_ORIGIN}/static/../reunite/settings.py",
        f"{OWN_ORIGIN}/static/css/%2e%2e/%2e%2e/reunite/settings.py",
        f"{OWN_ORIGIN}/private/evidence.pdf",
    ]:
        with pytest.raises(ValueError, match="Not one of our own files"):
            fetcher.fetch(url)


# --- Who may download --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["petition_editor", "supervisor"])
def test_petition_managers_see_the_downloads_and_each_is_audited_with_its_count(
    request, as_user, petition, who
):
    user = request.getfixturevalue(who)
    client = as_user(user)

    page = client.get(reverse("admin:cases_petition_change", args=[petition.pk])).content.decode()
    for url_name in [PDF, SIGNATURES, COUNTRIES]:
        assert reverse(url_name, args=[petition.pk]) in page
        response, _body = download(client, url_name, petition)
        assert response.status_code == 200

    exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).order_by("pk")
    assert [event.detail for event in exports] == [
        "delivery pack pdf: 6 signatures",
        "signatures csv: 6 signatures",
        "signatures by country csv: 6 signatures",
    ]
    assert {(e.actor, e.object_type, e.object_id) for e in exports} == {
        (user, "cases.petition", str(petition.pk))
    }


def test_a_caseworker_without_the_moderation_permission_is_refused_and_audited(
    as_user, worker, petition
):
    client = as_user(worker)

    for url_name in [PDF, SIGNATURES, COUNTRIES]:
        response, body = download(client, url_name, petition)
        assert response.status_code == 403
        assert b"Quellstrom" not in body

    refusals = AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED)
    assert refusals.count() == 3
    assert {(e.actor, e.object_id) for e in refusals} == {(worker, str(petition.pk))}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_petition_viewer_without_the_moderation_permission_is_offered_no_download(
    as_user, petition
):
    viewer = UserFactory(username="vera", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_petition"))
    client = as_user(viewer)

    page = client.get(reverse("admin:cases_petition_change", args=[petition.pk]))
    response, _body = download(client, PDF, petition)

    assert page.status_code == 200
    assert reverse(PDF, args=[petition.pk]) not in page.content.decode()
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED).count() == 1
