"""Import from a spreadsheet in a real browser, in English and Uyghur (right-to-left):
from the family list's button, the file chosen and uploaded, the preview showing per
row what would be created, matched or refused; a column read otherwise; a possible
duplicate decided; then the import. Every page passes axe-core, with no CSP violation.

Every family and person here is fictional.
"""

import csv
import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import translation

from cases.models import Family, Person, SpreadsheetUpload, TimelineEntry
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

FAMILY_LIST = reverse("admin:cases_family_changelist")
SCREENSHOTS = os.environ.get("REUNITE_BROWSER_SCREENSHOT_DIR", "/tmp")
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""
HEADINGS = [
    "Case ID",
    "Family name",
    "Host country",
    "Full name",
    "Uyghur name",
    "Relationship",
    "DOB",
    "Detained since",
    "How it happened",
    "Comments from the family",
]
ROWS = [
    ["A-1", "Tohtiyeva", "BE", "Erkin Tohti", "ئەركىن توختى", "Father", "1961", "2017-05",
     "Detained", ""],
    ["A-1", "Tohtiyeva", "BE", "Melike Tohti", "", "Daughter", "about 2009", "", "",
     "Lives with an aunt"],
    ["B-7", "Yaqupova", "NL", "Zulpiye Yaqup", "", "landlord", "soon", "", "", ""],
]  # fmt: skip


def spreadsheet(tmp_path: Path) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    writer.writerows(ROWS)
    path = tmp_path / "support-group.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    return path


def gettext(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def open_page(page, live_server, language: str, path: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    response = page.goto(live_server.url + path, wait_until="networkidle")
    assert response is not None
    assert response.status == 200


def passes_axe(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ug", "rtl")])
def test_the_preview_shows_each_row_and_the_import_follows_the_choices(
    page, live_server, sign_in, worker, tmp_path, language, direction
):
    known = PersonFactory(name_latin="Erkin Tohti", birth_date="1961")  # on no case yet
    sign_in(worker)
    open_page(page, live_server, language, FAMILY_LIST)

    with page.expect_navigation():
        page.get_by_role("link", name=gettext(language, "Import from a spreadsheet")).click()
    assert page.evaluate("document.dir") == direction
    passes_axe(page)
    page.set_input_files("#id_file", str(spreadsheet(tmp_path)))
    with page.expect_navigation():
        page.locator('input[name="_upload"]').click()

    upload = SpreadsheetUpload.objects.get()
    assert urlsplit(page.url).path == reverse("admin:cases_family_import_preview", args=[upload.pk])
    assert page.evaluate("document.dir") == direction
    assert upload.sha256 in page.locator(".import-hash").inner_text()
    assert page.locator("#row-2").get_attribute("class") == "import-row import-decide"
    assert page.locator("#row-3").get_attribute("class") == "import-row import-ok"
    assert page.locator("#row-4").get_attribute("class") == "import-row import-rejected"
    refused = page.locator("#row-4 .errorlist li").all_inner_texts()
    assert len(refused) == 2  # the relationship and the birth, both
    assert "Relationship" in refused[0]
    assert "DOB" in refused[1]
    assert "Erkin Tohti" in page.locator("#row-2 .import-decision").inner_text()
    assert page.locator("#row-2 .import-decision").inner_text().count("100%") == 1
    ignored = page.locator(".import-ignored-list").inner_text()
    assert "Comments from the family" in ignored
    page.screenshot(path=str(Path(SCREENSHOTS) / f"import-preview-{language}.png"), full_page=True)
    passes_axe(page)

    # The ignored column read as internal notes; the preview again, still nothing saved.
    page.select_option("#id_column-9", "notes")
    with page.expect_navigation():
        page.locator('input[name="preview"]').click()
    assert page.locator(".import-ignored-list").count() == 0
    assert not Family.objects.exists()

    # Importing before deciding is refused; then the match is chosen as the same person.
    with page.expect_navigation():
        page.locator('input[name="confirm"]').click()
    assert page.locator(".errornote").is_visible()
    assert page.locator("#id_person-2").get_attribute("aria-invalid") == "true"
    passes_axe(page)
    assert not Family.objects.exists()
    page.select_option("#id_person-2", str(known.pk))
    with page.expect_navigation():
        page.locator('input[name="confirm"]').click()

    assert urlsplit(page.url).path == FAMILY_LIST
    family = Family.objects.get()  # the refused row's case is not imported
    assert family.name == "Tohtiyeva"
    assert set(family.members.all()) == {known, Person.objects.get(name_latin="Melike Tohti")}
    assert Person.objects.get(name_latin="Melike Tohti").notes == "Lives with an aunt"
    assert sorted(TimelineEntry.objects.values_list("title", flat=True)) == [
        gettext(language, "Imported from %(file)s, row %(row)d")
        % {"file": "support-group.csv", "row": row}
        for row in (2, 3)
    ]
    assert not SpreadsheetUpload.objects.exists()
    assert page.locator(".messagelist").is_visible()
