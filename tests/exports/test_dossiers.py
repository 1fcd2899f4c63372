"""The printed case dossiers (layout "cases", format PDF): read back out of the PDF,
Uyghur and Chinese names are right and drawn from embedded Noto fonts; an advocacy
dossier holds no private field and no name of anyone who did not agree to be named; a
selection has a cover listing its cases and starts each case on a new page; every page
carries the level and its number. All the people are fictional."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from cases.exports.dossiers import dossier_pdf
from cases.exports.levels import Level
from cases.exports.service import export_cases
from cases.models import Family, TimelineEntry
from tests.exports.conftest import NAMED, UNCONSENTED_NAMES, summaries
from tests.factories import FamilyFactory, TimelineEntryFactory
from tests.test_delivery_pack import pdf_fonts, pdf_text

pytestmark = pytest.mark.django_db

INTERNAL_FOOTER = "Internal — confidential"
ADVOCACY_FOOTER = "Advocacy summary — names only with consent"


def flat(text: str) -> str:
    """Text with every run of white space one space: a label may wrap in the PDF."""
    return " ".join(text.split())


def page_texts(body: bytes) -> list[str]:
    """Each page's text, NFKC-normalised (Arabic presentation forms) and flattened."""
    reader = PdfReader(io.BytesIO(body))
    return [flat(unicodedata.normalize("NFKC", page.extract_text())) for page in reader.pages]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def dossier(families, level: Level, user) -> bytes:
    return dossier_pdf(summaries(families, level), layout="cases", level=level, user=user)


@pytest.fixture
def one_case(marked_case):
    return Family.objects.filter(pk=marked_case.family.pk)


def test_a_dossier_prints_uyghur_and_chinese_names_in_embedded_noto_fonts(one_case, advocate):
    body = dossier(one_case, Level.ADVOCACY, advocate)
    text = pdf_text(body)
    fonts = pdf_fonts(body)

    assert nfkc(NAMED["uyghur"]) in text
    assert NAMED["chinese"] in text
    assert NAMED["latin"] in text
    assert any("Noto" in font and "Arabic" in font for font in fonts), fonts
    assert any("Noto" in font and "CJK" in font for font in fonts), fonts


def test_an_advocacy_dossier_holds_no_private_field_and_no_unconsented_name(
    marked_case, one_case, advocate
):
    text = pdf_text(dossier(one_case, Level.ADVOCACY, advocate))
    folded = text.casefold()
    markers = marked_case.markers

    leaked = [m for m in markers.internal_only + markers.never if m.casefold() in folded]
    named = [word for word in UNCONSENTED_NAMES if nfkc(word).casefold() in folded]
    assert leaked == []
    assert named == []
    assert f"Father 1 of {marked_case.family.reference}" in text  # the pseudonym instead


def test_an_internal_dossier_shows_the_private_fields_but_never_contact_details(
    marked_case, one_case, supervisor
):
    text = pdf_text(dossier(one_case, Level.INTERNAL, supervisor))
    markers = marked_case.markers

    assert [m for m in markers.never if m in text] == []
    # Private fields (the exact places, the identity number), internal notes and
    # summaries, unpublished entries: all there.
    assert [m for m in markers.internal_only if m not in text] == []
    assert nfkc("ئابدۇرېھىم قۇربان") in text  # the unconsented father, named


def test_every_page_carries_the_level_and_its_number(one_case, advocate, supervisor):
    for level, footer, user in [
        (Level.ADVOCACY, ADVOCACY_FOOTER, advocate),
        (Level.INTERNAL, INTERNAL_FOOTER, supervisor),
    ]:
        pages = page_texts(dossier(one_case, level, user))

        assert len(pages) > 1
        for number, text in enumerate(pages, start=1):
            assert footer in text, (level, number)
            assert f"{number} / {len(pages)}" in text or f"{number}/{len(pages)}" in text


def test_the_dossier_gives_the_timeline_with_its_sources(one_case, advocate):
    text = pdf_text(dossier(one_case, Level.ADVOCACY, advocate))

    assert "The father's detention reported in the press" in text
    assert "A newspaper described the camp." in text
    assert "Example Gazette" in text


def test_a_single_case_is_its_dossier_without_a_cover(one_case, advocate):
    first_page = page_texts(dossier(one_case, Level.ADVOCACY, advocate))[0]

    assert "Case dossiers" not in first_page
    assert one_case.get().reference in first_page


def test_a_selection_has_a_cover_with_its_cases_then_each_case_from_a_new_page(advocate):
    alpha = FamilyFactory(name="Alphacase")
    beta = FamilyFactory(name="Betacase")
    for family, title in [(alpha, "Alpha event"), (beta, "Beta event")]:
        TimelineEntryFactory(
            family=family,
            title=title,
            kind=TimelineEntry.Kind.MEDIA,
            publishable=True,
        )

    pages = page_texts(dossier(Family.objects.all(), Level.ADVOCACY, advocate))
    cover = pages[0]

    assert "Case dossiers" in cover
    assert alpha.reference in cover
    assert beta.reference in cover
    assert "Alpha event" not in cover
    assert "Beta event" not in cover
    assert not any("Alpha event" in page and "Beta event" in page for page in pages)
    assert len(pages) >= 3


def test_the_export_service_draws_the_pdf_dossier_at_the_readers_level(
    marked_case, one_case, advocate
):
    export = export_cases(
        user=advocate, level=Level.ADVOCACY, layout="cases", fmt="pdf", families=one_case
    )
    body = b"".join(export.chunks)
    text = pdf_text(body).casefold()

    assert body.startswith(b"%PDF-")
    assert export.content_type == "application/pdf"
    assert [m for m in marked_case.markers.internal_only if m.casefold() in text] == []
    assert ADVOCACY_FOOTER.casefold() in text
