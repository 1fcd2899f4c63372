"""Signing in a real browser on a phone-sized screen, under the strict CSP: our
static/js/sign.js fetches a proof-of-work challenge when the form is touched, loads the
solver (static/js/proof-of-work.js), holds the form until the answer is found, and the
signature goes through; the confirmation page's button confirms it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from cases.models import Signature
from cases.public import signing
from tests.browser.test_admin_in_browser import watched  # noqa: F401 (a fixture)
from tests.public.conftest import make_petition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def attacked(monkeypatch):
    """A petition under attack, whose challenges cost a browser well under a second."""
    monkeypatch.setattr(signing, "POW_COST", 1_000)
    monkeypatch.setattr(signing, "POW_MAX_COUNTER", 64)
    return make_petition("under-attack-in-browser", proof_of_work=True)


@pytest.mark.parametrize(("language", "name"), [("en", "Ayla Example"), ("ug", "ئايلا مىسال")])
def test_a_phone_solves_the_proof_of_work_and_signs_under_the_csp(
    watched,  # noqa: F811
    live_server,
    attacked,
    language,
    name,
):
    page, watch = watched
    page.set_viewport_size(PHONE)
    challenges = []
    page.on("request", lambda r: "/challenge/" in r.url and challenges.append(r.url))
    page.goto(f"{live_server.url}/{language}/petitions/{attacked.slug}/")
    assert not challenges  # reading the page costs the server no challenge
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ug" else "ltr")

    page.fill("#id_name", name)
    page.fill("#id_email", "ayla@example.org")
    page.select_option("#id_country", "BE")
    page.wait_for_timeout(3_200)  # a person's pace: longer than the form's minimum
    with page.expect_navigation(url=f"**/{language}/petitions/{attacked.slug}/thanks/"):
        page.locator("form.sign-form button[type=submit]").click()

    watch.assert_clean(page)
    assert len(challenges) == 1  # fetched once, when the form was first touched
    signature = Signature.objects.get()
    assert (signature.name, signature.language) == (name, language)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The link from the mail: a page with a button, which confirms.
    [message] = mail.outbox
    confirm = re.search(r"http://[^/\s]+(/\S+/petitions/confirm/\S+)", message.body)[1]
    page.goto(live_server.url + confirm)
    assert Signature.objects.get().state == Signature.State.PENDING
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert Signature.objects.get().state == Signature.State.CONFIRMED
    watch.assert_clean(page)

    # The count moves: the petition page (and the script on it) show the new signature.
    page.goto(f"{live_server.url}/{language}/petitions/{attacked.slug}/")
    expect(page.locator(".count-box .count")).to_have_attribute("data-count", "1")
    watch.assert_clean(page)


def test_without_a_proof_of_work_the_script_measures_the_time_only(
    watched,  # noqa: F811
    live_server,
):
    page, watch = watched
    petition = make_petition("plain-in-browser")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/en/petitions/{petition.slug}/")

    page.fill("#id_name", "Ayla Example")
    page.fill("#id_email", "ayla@example.org")
    page.wait_for_timeout(3_200)  # a person's pace: longer than the form's minimum
    with page.expect_navigation(url="**/thanks/"):
        page.locator("form.sign-form button[type=submit]").click()

    watch.assert_clean(page)
    # Signed at a person's pace with a cached-copy stamp older than that: not suspect.
    assert Signature.objects.get().state == Signature.State.PENDING


def test_pressing_sign_before_the_calculation_began_waits_for_it_then_signs(
    watched,  # noqa: F811
    live_server,
    attacked,
):
    page, watch = watched
    page.goto(f"{live_server.url}/en/petitions/{attacked.slug}/")
    # Filled in without focusing the form (autofill): no challenge asked for yet.
    page.evaluate(
        """() => {
          document.getElementById("id_name").value = "Ayla Example";
          document.getElementById("id_email").value = "ayla@example.org";
          document.getElementById("id_country").value = "BE";
        }"""
    )

    with page.expect_navigation(url="**/thanks/"):
        page.locator("form.sign-form button[type=submit]").click()

    watch.assert_clean(page)
    assert Signature.objects.filter(email="ayla@example.org").exists()
