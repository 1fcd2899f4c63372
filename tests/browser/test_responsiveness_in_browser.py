"""The page "How governments answer" in a real browser, in English and Uyghur
(right-to-left): reached from the admin's front page, it draws the chart under the
strict CSP with no request to another host, filters by host country and period, shows
a form error for a period that ends before it starts, and passes axe-core.

Every case and request here is fictional.
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import translation

from cases.models import GovernmentContact
from tests.factories import FamilyFactory, GovernmentContactFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

INDEX = reverse("admin:index")
PAGE = reverse("staff:responsiveness")
SCREENSHOTS = os.environ.get("REUNITE_BROWSER_SCREENSHOT_DIR", "/tmp")
LANGUAGES = [("en", "ltr"), ("ug", "rtl")]
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""
MINISTRY = "Ministry of Foreign Affairs"
# A body written in Uyghur script: its label must stay whole in a left-to-right chart.
COMMITTEE = "تاشقى ئىشلار كومىتېتى"


@pytest.fixture
def requests_sent(db):
    """6 requests to the Dutch ministry from a family in Türkiye, 4 answered after 2 to
    5 days; 5 to a Belgian committee from a family in Australia, none answered."""
    turkiye = FamilyFactory(host_country="TR")
    australia = FamilyFactory(host_country="AU")
    for day in range(1, 7):
        asked = dt.date(2024, 3, day)
        GovernmentContactFactory(
            family=turkiye,
            government="NL",
            body=MINISTRY,
            contacted_on=asked.isoformat(),
            response_on=str(asked + dt.timedelta(days=day + 1)) if day <= 4 else "",
        )
    for day in range(1, 6):
        GovernmentContactFactory(
            family=australia,
            government="BE",
            body_kind=GovernmentContact.BodyKind.PARLIAMENT,
            body=COMMITTEE,
            contacted_on=f"2024-05-{day:02d}",
            follow_up_on=dt.date(2024, 6, 1),
        )


def gettext(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def open_page(page, live_server, language: str, path: str) -> list[str]:
    """Open `path` in `language`; the hosts of every request the page makes, as it goes."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    response = page.goto(live_server.url + path, wait_until="networkidle")
    assert response is not None
    assert response.status == 200
    return hosts


def assert_clean(page, live_server, hosts: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert set(hosts) == {urlsplit(live_server.url).netloc}
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_a_supervisor_reaches_the_chart_from_the_front_page_and_it_passes_axe(
    page, live_server, sign_in, supervisor, requests_sent, language, direction
):
    sign_in(supervisor)
    hosts = open_page(page, live_server, language, INDEX)
    page.get_by_role("link", name=gettext(language, "How governments answer")).click()
    page.wait_for_load_state("networkidle")

    assert urlsplit(page.url).path == PAGE
    assert page.evaluate("document.dir") == direction
    # The chart is an image named by its <title>.
    chart = page.get_by_role("img", name=gettext(language, "Response rate by government and body"))
    assert chart.is_visible()
    # The chart stays left to right; the Uyghur body's label is drawn whole, isolated.
    assert chart.evaluate("svg => getComputedStyle(svg).direction") == "ltr"
    label = chart.locator(".chart-label", has_text=COMMITTEE)
    government = label.locator(".chart-government").bounding_box()
    body = label.locator(".chart-body").bounding_box()
    assert government["x"] + government["width"] < body["x"]
    # 4 of 6 answered: a bar two thirds of the full 560.
    widths = chart.locator(".chart-bar").evaluate_all("bars => bars.map(b => b.getBBox().width)")
    assert sorted(round(width) for width in widths) == [0, 373]
    rows = page.locator("#responsiveness tbody tr")
    assert rows.count() == 2
    assert "67%" in rows.filter(has_text=MINISTRY).text_content()
    page.screenshot(path=str(Path(SCREENSHOTS) / f"responsiveness-{language}.png"), full_page=True)
    assert_clean(page, live_server, hosts)


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_an_advocate_filters_by_host_country_and_sees_small_counts_suppressed(
    page, live_server, sign_in, advocate, requests_sent, language, direction
):
    sign_in(advocate)
    hosts = open_page(page, live_server, language, PAGE)

    page.select_option("#id_host_country", "TR")
    page.locator("#id_start").fill("2024-01-01")
    page.locator("#id_end").fill("2024-12-31")
    page.locator('#responsiveness_form input[type="submit"]').click()
    page.wait_for_load_state("networkidle")

    rows = page.locator("#responsiveness tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_text_contents()
    # 6 requests; 4 answered and 2 not: both under 5, so no rate and no median.
    assert cells[1:] == ["6", "<5", "—", "—", "0"]
    assert page.locator(".responsiveness-suppression").is_visible()
    assert page.locator("tfoot").count() == 0
    assert page.evaluate("document.dir") == direction
    assert_clean(page, live_server, hosts)


@pytest.mark.parametrize("language", ["en", "ug"])
def test_a_period_that_ends_before_it_starts_is_a_form_error_that_passes_axe(
    page, live_server, sign_in, supervisor, requests_sent, language
):
    sign_in(supervisor)
    hosts = open_page(page, live_server, language, PAGE)

    page.locator("#id_start").fill("2024-06-01")
    page.locator("#id_end").fill("2024-05-01")
    page.locator('#responsiveness_form input[type="submit"]').click()
    page.wait_for_load_state("networkidle")

    assert page.locator(".errornote").is_visible()
    assert page.locator("#id_end").get_attribute("aria-invalid") == "true"
    assert page.locator("#responsiveness").count() == 0
    assert_clean(page, live_server, hosts)
