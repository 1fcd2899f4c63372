"""The family list in a real browser (issue 7): at 1280 px, beside the navigation and the
filters, its last column is on screen without scrolling, and an overdue follow-up is
marked in words, in English and in Uyghur (right-to-left)."""

import os
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cases.models import Family
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

FAMILY_LIST = reverse("admin:cases_family_changelist")
SCREENSHOTS = os.environ.get("REUNITE_BROWSER_SCREENSHOT_DIR", "/tmp")
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def caseload(caseworker):
    """The demo families (with overdue, due and no follow-ups, partial last contacts),
    each with two caseworkers, one with a long dotted username."""
    call_command("seed_demo", "--no-login", stdout=StringIO())
    colleague = UserFactory(username="gulnisa.abdukerim", is_staff=True)
    for family in Family.objects.all():
        family.caseworkers.add(caseworker, colleague)
    return Family.objects.all()


def open_list(page, live_server, language: str, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    response = page.goto(live_server.url + FAMILY_LIST, wait_until="networkidle")
    assert response is not None
    assert response.status == 200
    assert urlsplit(page.url).path == FAMILY_LIST


@pytest.mark.parametrize("width", [1280, 1400])
@pytest.mark.parametrize("language", ["en", "ug"])
def test_the_family_list_fits_the_screen_and_marks_overdue_follow_ups(
    page, live_server, sign_in, caseworker, caseload, language, width
):
    sign_in(caseworker)

    open_list(page, live_server, language, width)

    results = page.locator("#changelist-form .results")
    scroll_width, client_width = results.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll_width <= client_width, "the list scrolls sideways"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = results.bounding_box()
    last_heading = page.locator("#result_list thead th").last
    assert "column-last_contact" in last_heading.get_attribute("class")
    for cell in [last_heading, page.locator("#result_list tbody tr td").last]:
        edge = cell.bounding_box()
        assert box["x"] <= edge["x"]
        assert edge["x"] + edge["width"] <= box["x"] + box["width"] + 0.5
        assert edge["x"] >= 0
        assert edge["x"] + edge["width"] <= width

    with translation.override(language):
        overdue = translation.gettext("Overdue")
    marks = page.locator("td.field-next_follow_up mark.overdue")
    assert marks.count() == caseload.follow_up_overdue().count() == 3
    for mark in marks.all():
        assert mark.is_visible()
        assert mark.inner_text() == overdue
    marked_rows = page.locator("#result_list tbody tr:has(mark.overdue) th.field-reference")
    assert set(marked_rows.all_inner_texts()) == set(
        caseload.follow_up_overdue().values_list("reference", flat=True)
    )
    assert page.evaluate("document.dir") == ("rtl" if language == "ug" else "ltr")
    assert page.evaluate("window.__cspViolations") == []
    page.screenshot(path=f"{SCREENSHOTS}/reunite-family-list-{language}-{width}.png")
