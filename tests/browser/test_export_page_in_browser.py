"""The export page in a real browser, in English and Uyghur (right-to-left): reached from
the family list's action with the selected cases, it counts them, passes axe-core, and
sends the file as a download, encrypted when asked.

Every person here is fictional.
"""

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pyzipper
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from cases.models import AuditEvent
from tests.browser.test_family_list_in_browser import RECORD_CSP_VIOLATIONS, SCREENSHOTS
from tests.factories import FamilyFactory, MembershipFactory, SeparationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

FAMILY_LIST = reverse("admin:cases_family_changelist")
PAGE = reverse("staff:exports:page")
PASSPHRASE = "copper lantern over the river"


@pytest.fixture
def caseload(db):
    families = []
    for number, country in enumerate(["BE", "BE", "NL"]):
        family = FamilyFactory(host_country=country, name=f"Family {number}")
        MembershipFactory(family=family, person__name_latin=f"Gulnar Yaqup {number}")
        SeparationFactory(family=family)
        families.append(family)
    return families


def open_page(page, live_server, language: str, path: str):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    response = page.goto(live_server.url + path, wait_until="networkidle")
    assert response is not None
    assert response.status == 200


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ug", "rtl")])
def test_the_family_list_action_opens_the_page_which_counts_the_selection_and_passes_axe(
    page, live_server, sign_in, advocate, caseload, language, direction
):
    sign_in(advocate)
    open_page(page, live_server, language, FAMILY_LIST)

    for family in caseload[:2]:
        page.locator(f'input[name="_selected_action"][value="{family.pk}"]').check()
    page.select_option('select[name="action"]', "export_selected")
    page.locator('button[name="index"]').click()
    page.wait_for_load_state("networkidle")

    assert urlsplit(page.url).path == PAGE
    assert page.evaluate("document.dir") == direction
    assert page.locator("#export_form").is_visible()
    status = page.locator(".export-count").text_content()
    assert "2" in status.replace("٢", "2")
    page.screenshot(path=str(Path(SCREENSHOTS) / f"export-page-{language}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize("language", ["en", "ug"])
def test_the_page_with_form_errors_passes_axe(
    page, live_server, sign_in, advocate, caseload, language
):
    sign_in(advocate)
    open_page(page, live_server, language, PAGE)

    page.locator("#id_encrypt").check()
    page.locator("#id_passphrase").fill("too short")
    page.locator('input[name="export"]').click()
    page.wait_for_load_state("networkidle")

    assert page.locator(".errornote").is_visible()
    assert page.locator("#id_passphrase").input_value() == ""  # never drawn back
    assert page.locator("#id_passphrase").get_attribute("aria-invalid") == "true"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_an_export_arrives_as_a_download_and_encrypted_when_asked(
    page, live_server, sign_in, advocate, caseload, tmp_path
):
    sign_in(advocate)
    open_page(page, live_server, "en", PAGE)
    page.select_option("#id_host_country", ["BE"])
    page.locator('input[name="count"]').click()
    page.wait_for_load_state("networkidle")
    assert "2 cases match" in page.locator(".export-count").text_content()

    with page.expect_download() as plain_download:
        page.locator('input[name="export"]').click()
    plain = Path(plain_download.value.path()).read_bytes()
    assert plain_download.value.suggested_filename.endswith(".csv")
    assert plain.startswith("\ufeff".encode())
    assert sorted(line.split(b",")[0] for line in plain.splitlines()[1:]) == sorted(
        family.reference.encode() for family in caseload[:2]
    )

    page.locator("#id_encrypt").check()
    page.locator("#id_passphrase").fill(PASSPHRASE)
    with page.expect_download() as encrypted_download:
        page.locator('input[name="export"]').click()
    assert encrypted_download.value.suggested_filename.endswith(".csv.zip")
    data = Path(encrypted_download.value.path()).read_bytes()
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        archive.setpassword(PASSPHRASE.encode())
        (name,) = archive.namelist()
        assert archive.read(name) == plain
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 2
    assert page.evaluate("window.__cspViolations") == []
