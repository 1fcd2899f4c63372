"""The slowed-down login in a real browser: static/js/proof-of-work.js solves the
challenge with WebCrypto under the strict Content-Security-Policy, and the login goes on."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.accounts import slowdown
from tests.browser.test_admin_in_browser import watched  # noqa: F401 (a fixture)
from tests.test_accounts import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def slowed_down_alice(caseworker, monkeypatch):
    """The caseworker's username after guesses from several addresses. Challenges cost
    a browser well under a second, unless a test makes them dearer."""
    TOTPDevice.objects.create(user=caseworker, name="Phone", confirmed=True)
    monkeypatch.setattr(slowdown, "COST", 1_000)
    monkeypatch.setattr(slowdown, "MAX_COUNTER", 64)
    guesser = Client()
    for number in range(slowdown.FAILURES):
        address = f"10.9.0.{number % slowdown.ADDRESSES}"
        guesser.post(
            reverse("staff:login"),
            {"username": "alice", "password": "wrong guess"},
            REMOTE_ADDR=address,
        )
    assert slowdown.is_slowed("alice")
    return caseworker


def log_in_once(page, live_server) -> None:
    """The first try: the password is not checked, the page asks for the calculation."""
    page.goto(live_server.url + reverse("staff:login"))
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    assert "Your password was not checked yet" in page.content()
    assert page.locator("#proof-of-work-status").is_visible()


def test_the_browser_solves_the_proof_of_work_and_the_login_goes_on_under_the_csp(
    watched,  # noqa: F811
    live_server,
    slowed_down_alice,
):
    page, watch = watched
    log_in_once(page, live_server)

    status = page.locator("#proof-of-work-status")
    status.filter(has_text="The calculation is done").wait_for(timeout=30_000)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation(url="**/staff/login/verify/**"):
        page.locator("form button[type=submit]").last.click()

    assert page.locator("input[name=code]").is_visible()
    watch.assert_clean(page)


def test_continuing_before_the_calculation_ends_waits_for_it_then_logs_in(
    watched,  # noqa: F811
    live_server,
    slowed_down_alice,
    monkeypatch,
):
    # Dearer challenges: a second or more of work, so the click comes first.
    monkeypatch.setattr(slowdown, "COST", 50_000)
    monkeypatch.setattr(slowdown, "MAX_COUNTER", 100)
    page, watch = watched
    log_in_once(page, live_server)

    page.fill("#id_password", PASSWORD)
    with page.expect_navigation(url="**/staff/login/verify/**", timeout=60_000):
        page.locator("form button[type=submit]").last.click()
        assert "Almost done" in page.locator("#proof-of-work-status").inner_text()

    assert page.locator("input[name=code]").is_visible()
    watch.assert_clean(page)
