"""The admin in a real browser, under the real Content-Security-Policy, in both languages.

Each page must load with no console error, no CSP violation and no request to any host
but this site, and must be right-to-left in Uyghur.
"""

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from cases.models import Membership
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

LANGUAGES = [("en", "ltr"), ("ug", "rtl")]
# Collects CSP violations from the first line of every document on, before any of its
# scripts run. Playwright injects it itself, so the page's own CSP does not apply to it.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"}` +
    ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""
SCREENSHOT = os.environ.get("REUNITE_BROWSER_SCREENSHOT", "/tmp/reunite-family-page-ug.png")


@dataclass
class Watch:
    """Everything a page did that a strict, private page must not do."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def csp_violations(self, page) -> list[str]:
        return page.evaluate("window.__cspViolations || []")

    def assert_clean(self, page) -> None:
        assert self.console_errors == []
        assert self.csp_violations(page) == []
        assert self.foreign_requests == []


@pytest.fixture
def watched(page, context, live_server):
    """The browser page, with its console errors, CSP violations and foreign requests
    recorded. Requests to other hosts are also aborted, so nothing leaves the machine."""
    watch = Watch(origin=live_server.url)
    origin = urlsplit(live_server.url)

    def route(request_route, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in {"data", "blob", "about"} or url.netloc == origin.netloc:
            request_route.continue_()
        else:
            watch.foreign_requests.append(request.url)
            request_route.abort()

    context.route("**/*", route)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page.on(
        "console",
        lambda message: message.type == "error" and watch.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    return page, watch


@pytest.fixture
def family(caseworker):
    """A family on the caseworker's list, with two members, one named in Uyghur script."""
    family = FamilyFactory(name="Yasin")
    family.caseworkers.add(caseworker)
    MembershipFactory(
        family=family,
        person=PersonFactory(name_latin="Adil Yasin", name_uyghur="ئادىل ياسىن"),
        role=Membership.Role.FATHER,
    )
    MembershipFactory(family=family, person=PersonFactory(name_latin="Aygul Yasin"))
    return family


def open_in(page, live_server, path: str, language: str):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    response = page.goto(live_server.url + path, wait_until="networkidle")
    assert response is not None
    assert response.status == 200, response.url
    assert urlsplit(page.url).path == path  # not bounced to a login or second-factor page
    return response


def admin_pages(family) -> dict[str, str]:
    return {
        "family list": reverse("admin:cases_family_changelist"),
        "family page": reverse("admin:cases_family_change", args=[family.pk]),
        "person add page": reverse("admin:cases_person_add"),
    }


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
@pytest.mark.parametrize("page_name", ["family list", "family page", "person add page"])
def test_admin_page_runs_under_the_csp_without_errors_or_other_hosts(
    watched, live_server, sign_in, caseworker, family, page_name, language, direction
):
    page, watch = watched
    sign_in(caseworker)

    response = open_in(page, live_server, admin_pages(family)[page_name], language)

    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.dir") == direction
    assert page.locator("#content h1").is_visible()
    watch.assert_clean(page)


def test_the_family_page_in_uyghur_is_laid_out_right_to_left(
    watched, live_server, sign_in, caseworker, family
):
    page, watch = watched
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(caseworker)

    open_in(page, live_server, admin_pages(family)["family page"], "ug")

    assert page.evaluate("document.dir") == "rtl"
    # The admin's right-to-left stylesheet took effect: the page's text starts on the right.
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    content = page.locator("#content").bounding_box()
    heading = page.locator("#content h1").bounding_box()
    assert heading["x"] + heading["width"] > content["x"] + content["width"] * 0.5
    assert page.get_by_text("ئادىل ياسىن").count() >= 1
    page.screenshot(path=SCREENSHOT, full_page=True)
    watch.assert_clean(page)


def test_inline_rows_and_autocomplete_work_under_the_csp(
    watched, live_server, sign_in, caseworker, family
):
    """The admin's scripts (inlines, select2 autocomplete) do their work despite the CSP."""
    page, watch = watched
    sign_in(caseworker)
    open_in(page, live_server, admin_pages(family)["family page"], "en")
    memberships = page.locator("#memberships-group")
    rows_before = memberships.locator("tr.form-row:not(.empty-form)").count()

    memberships.locator(".add-row a").click()
    assert memberships.locator("tr.form-row:not(.empty-form)").count() == rows_before + 1
    new_row = memberships.locator("tr.form-row:not(.empty-form)").last
    new_row.locator(".select2-selection").first.click()
    page.locator(".select2-search--dropdown .select2-search__field").fill("Aygul")
    page.locator(".select2-results__option", has_text="Aygul Yasin").wait_for()

    watch.assert_clean(page)


def test_the_language_switch_posts_back_to_this_site_and_turns_the_admin_around(
    watched, live_server, sign_in, caseworker, family
):
    page, watch = watched
    sign_in(caseworker)
    open_in(page, live_server, admin_pages(family)["family list"], "en")

    page.select_option("#language-select", "ug")
    with page.expect_navigation():
        page.locator(".language-switch button").click()

    assert page.evaluate("document.dir") == "rtl"
    assert urlsplit(page.url).path == admin_pages(family)["family list"]
    watch.assert_clean(page)


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_the_staff_login_page_runs_under_the_csp_for_anonymous_visitors(
    watched, live_server, language, direction
):
    page, watch = watched

    open_in(page, live_server, reverse("staff:login"), language)

    assert page.evaluate("document.dir") == direction
    assert page.locator("input[type=password]").is_visible()
    watch.assert_clean(page)
