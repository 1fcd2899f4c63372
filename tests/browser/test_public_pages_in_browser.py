"""The public petition pages in a real browser, on a phone-sized screen, in English and
Uyghur: laid out in the right direction, the count visible (with JavaScript off too)
and kept current by our script under the strict CSP, nothing from another host, and no
accessibility violation that axe-core finds.
"""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from cases.models import Petition
from cases.public import counting
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory
from tests.public.conftest import UG_TITLE, consent, make_petition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}
LANGUAGES = [("en", "ltr"), ("ug", "rtl")]
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture
def petition():
    family = FamilyFactory(public_summary="Gulnar Tursun has not heard from her son.")
    mother = PersonFactory(name_latin="Gulnar Tursun")
    MembershipFactory(family=family, person=mother, role="mother")
    consent(mother, "named")
    petition = make_petition(family=family)
    Petition.objects.filter(pk=petition.pk).update(signature_count=1234)
    counting.forget_pages(petition.pk)
    return petition


@pytest.fixture
def phone(page, context, live_server):
    """A 360 px wide page whose console errors, CSP violations and requests to other
    hosts (aborted) are recorded."""
    problems: list[str] = []
    origin = urlsplit(live_server.url).netloc

    def route(request_route, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in {"data", "blob", "about"} or url.netloc == origin:
            request_route.continue_()
        else:
            problems.append(f"request to {request.url}")
            request_route.abort()

    context.route("**/*", route)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.set_viewport_size(PHONE)
    page.problems = problems
    return page


def url_of(live_server, name, language, **kwargs):
    with translation.override(language):
        return live_server.url + reverse(f"public:{name}", kwargs=kwargs)


def open_page(page, url):
    response = page.goto(url, wait_until="load")
    assert response is not None, url
    assert response.status == 200, url
    return response


def assert_clean(page):
    assert page.problems == []
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_a_petition_on_a_phone_reads_in_its_direction_with_the_count_in_view(
    phone, live_server, petition, language, direction
):
    open_page(phone, url_of(live_server, "petition_detail", language, slug=petition.slug))

    assert phone.evaluate("document.documentElement.lang") == language
    assert phone.evaluate("document.dir") == direction
    assert phone.evaluate("getComputedStyle(document.body).direction") == direction
    # Nothing wider than the screen: no sideways scrolling on a 360 px phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    count = phone.locator(".count-box .count")
    assert count.is_visible()
    assert count.text_content().replace("٬", ",").strip() == "1,234"
    box = count.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] * 1.5  # near the top, not buried
    # Short, inline things show the direction: the status pill starts at the reader's
    # side, and the count comes before the goal in reading order.
    pill = phone.locator(".petition > .state").bounding_box()
    figures = phone.locator(".count-figures dd")
    count_x, goal_x = (figures.nth(i).bounding_box()["x"] for i in (0, 1))
    if direction == "rtl":
        assert pill["x"] + pill["width"] > PHONE["width"] - 40
        assert pill["x"] > PHONE["width"] / 2
        assert count_x > goal_x
        assert phone.locator("h1").text_content() == UG_TITLE
    else:
        assert pill["x"] < 40
        assert count_x < goal_x
    assert_clean(phone)


def test_the_count_keeps_itself_current_under_the_csp(phone, live_server, petition):
    open_page(phone, url_of(live_server, "petition_detail", "en", slug=petition.slug))

    Petition.objects.filter(pk=petition.pk).update(signature_count=1240)
    counting.forget_pages(petition.pk)

    # Polled from here: a wait_for_function string would be eval, which the CSP refuses.
    expect(phone.locator(".count-box .count")).to_have_text("1,240", timeout=12_000)
    assert phone.locator("progress").evaluate("bar => bar.value") == 1240
    assert_clean(phone)


def test_with_javascript_off_the_count_is_still_there(browser, live_server, petition):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        open_page(page, url_of(live_server, "petition_detail", "ug", slug=petition.slug))

        assert page.locator(".count-box .count").is_visible()
        assert page.locator(".count-box .count").text_content().strip() == "1,234"
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ug"])
@pytest.mark.parametrize("name", ["petition_list", "petition_detail"])
def test_public_pages_have_no_accessibility_violations(
    phone, live_server, petition, name, language
):
    kwargs = {"slug": petition.slug} if name == "petition_detail" else {}
    open_page(phone, url_of(live_server, name, language, **kwargs))

    results = Axe().run(phone)

    assert results.violations_count == 0, results.generate_report()
    assert_clean(phone)
