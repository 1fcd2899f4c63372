"""Signing a petition: double opt-in through a page with a button, the same answer for a
repeat, links that expire or were used, unsubscribe and erase, closed and draft
petitions, and no CSRF token anywhere on the public side."""

import datetime as dt
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from cases import petitions
from cases.models import AuditEvent, Petition, Signature
from cases.public import counting, signing
from cases.public.signing import Link
from tests.public.conftest import make_petition
from tests.public.signing_kit import (
    SIGNER_ADDRESS,
    confirm_link,
    form_data,
    links,
    mails_to,
    post_sign,
    sign_url,
    thanks_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def count_on_commit(django_capture_on_commit_callbacks):
    """Run what a confirmation schedules after its commit (the batch count), as the
    worker would. With tasks run at once, a count asked for within COUNT_EVERY seconds
    of the last would be folded into that one, which ran already: forget it first."""

    def run(action):
        cache.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def the_signature() -> Signature:
    return Signature.objects.get()


# --- Signing and confirming ------------------------------------------------------------


def test_signing_stores_a_pending_signature_and_mails_a_confirmation_link(client, petition):
    response = post_sign(client, petition, email="Ayla.Example+petition@Example.org")

    assert response.status_code == 303
    assert response["Location"] == thanks_url(petition)
    signature = the_signature()
    assert signature.state == Signature.State.PENDING
    assert signature.email == "Ayla.Example+petition@Example.org"  # as typed, for delivery
    assert signature.email_canonical == "ayla.example@example.org"
    assert (signature.name, signature.country, signature.postcode) == ("Ayla Example", "BE", "1000")
    assert signature.language == "en"
    [message] = mail.outbox
    assert message.to == ["Ayla.Example+petition@Example.org"]
    assert "confirm" in links(message)
    petition.refresh_from_db()
    assert petition.signature_count == 0


def test_the_thanks_page_says_to_confirm_and_offers_the_link_again(client, petition):
    post_sign(client, petition)

    response = client.get(thanks_url(petition))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Open the link in it and press the button" in content
    assert f"/en/petitions/resend/?petition={petition.slug}" in content


def test_opening_the_link_shows_a_button_and_confirms_nothing(client, petition):
    # Mail scanners open every link in a mail: a GET must not count a signature.
    post_sign(client, petition)

    response = client.get(confirm_link())

    assert response.status_code == 200
    assert '<form method="post"' in response.content.decode()
    assert the_signature().state == Signature.State.PENDING


def test_pressing_the_button_confirms_and_the_count_follows(client, petition, count_on_commit):
    post_sign(client, petition)

    response = count_on_commit(lambda: client.post(confirm_link()))

    assert response.status_code == 200
    assert "your signature is confirmed" in response.content.decode()
    signature = the_signature()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_a_link_used_twice_says_so_and_counts_once(client, petition, count_on_commit):
    post_sign(client, petition)
    count_on_commit(lambda: client.post(confirm_link()))

    again = count_on_commit(lambda: client.post(confirm_link()))
    opened = client.get(confirm_link())

    assert again.status_code == opened.status_code == 200
    assert "already confirmed" in again.content.decode()
    assert "already confirmed" in opened.content.decode()
    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_no_public_form_or_link_needs_a_csrf_token(petition, count_on_commit):
    # The petition page is cached whole and the same for everyone: it has no token.
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/en/petitions/{petition.slug}/").content.decode()
    assert 'class="sign-form"' in page
    assert "csrfmiddlewaretoken" not in page

    assert post_sign(browser, petition).status_code == 303
    [message] = mail.outbox
    assert count_on_commit(lambda: browser.post(links(message)["confirm"])).status_code == 200
    assert browser.post(links(message)["unsubscribe"]).status_code == 200
    assert "csrftoken" not in browser.cookies
    assert the_signature().state == Signature.State.CONFIRMED


def test_the_sign_address_itself_leads_back_to_the_petition(client, petition):
    response = client.get(sign_url(petition))

    assert response.status_code == 302
    assert response["Location"] == f"/en/petitions/{petition.slug}/#sign-heading"


@pytest.mark.parametrize(("language", "country"), [("fr", "FR"), ("nl-be", "BE"), ("tr", "TR")])
def test_the_country_starts_at_the_pages_language(client, petition, language, country):
    page = client.get(f"/{language}/petitions/{petition.slug}/").content.decode()

    assert f'<option value="{country}" selected>' in page


@pytest.mark.parametrize("language", ["ug", "zh-hans"])
def test_uyghur_and_chinese_readers_choose_their_country_themselves(client, petition, language):
    page = client.get(f"/{language}/petitions/{petition.slug}/").content.decode()

    assert '<option value="" selected>' in page
    assert '<option value="CN" selected>' not in page


def test_the_signer_may_change_the_suggested_country(client, petition):
    post_sign(client, petition, language="fr", country="TR")

    signature = the_signature()
    assert (signature.country, signature.language) == ("TR", "fr")


def test_the_mail_is_in_the_language_of_the_page_signed_on(client, petition):
    post_sign(client, petition, language="ug")

    [message] = mail.outbox
    assert "/ug/petitions/confirm/" in links(message)["confirm"]


# --- Revealing nothing about who has signed ----------------------------------------------


def backdate_signatures(minutes: int = 10) -> None:
    """As if the signatures so far were made `minutes` ago, not by a double click."""
    Signature.objects.update(created_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_signing_again_gives_the_same_answer_and_mails_already_signed(client, petition):
    first = post_sign(client, petition, email="ayla.example@gmail.com")
    backdate_signatures()

    again = post_sign(client, petition, email="Ayla.Example+again@googlemail.com", name="Other")

    assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
    assert again.content == first.content
    assert Signature.objects.count() == 1
    assert the_signature().name == "Ayla Example"  # the repeat changed nothing
    confirmation, notice = mail.outbox
    assert notice.to == ["ayla.example@gmail.com"]  # the address that signed
    assert "You have already signed" in notice.subject
    assert "confirm" in links(notice)  # still unconfirmed: a new link comes with it


def test_the_already_signed_mail_of_a_confirmed_signature_has_no_link_to_confirm(
    client, petition, count_on_commit
):
    post_sign(client, petition)
    count_on_commit(lambda: client.post(confirm_link()))
    backdate_signatures()
    mail.outbox.clear()

    post_sign(client, petition)

    [notice] = mail.outbox
    assert "Your signature is recorded" in notice.body
    assert "confirm" not in links(notice)


def test_the_same_form_sent_twice_in_a_row_mails_once(client, petition):
    post_sign(client, petition)
    post_sign(client, petition)

    assert Signature.objects.count() == 1
    assert len(mail.outbox) == 1


def test_signing_with_someone_elses_address_fills_no_inbox(client, petition):
    post_sign(client, petition)
    backdate_signatures()

    for number in range(5):
        post_sign(client, petition, address=f"203.0.113.{number}")

    assert len(mails_to("ayla@example.org")) == 2  # the confirmation, one "already signed"


# --- The links in the mails ---------------------------------------------------------------


def test_every_mail_has_one_click_unsubscribe_and_an_erase_link(client, petition):
    post_sign(client, petition)
    backdate_signatures()
    post_sign(client, petition)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        found = links(message)
        assert message.extra_headers["List-Unsubscribe"] == (
            f"<http://testserver{found['unsubscribe']}>"
        )
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "erase" in found
        assert found["petition"] == f"/en/petitions/{petition.slug}/"


def test_one_click_unsubscribe_takes_the_mail_providers_post(client, petition):
    post_sign(client, petition, send_updates="on")
    unsubscribe = links(mail.outbox[0])["unsubscribe"]

    opened = client.get(unsubscribe)
    assert opened.status_code == 200
    assert the_signature().send_updates is True  # a GET changes nothing

    response = client.post(
        unsubscribe,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert the_signature().send_updates is False


def test_erasing_deletes_the_signature_recounts_and_keeps_a_trace_without_the_person(
    client, petition, count_on_commit
):
    post_sign(client, petition, name="Ayla Erasable")
    count_on_commit(lambda: client.post(confirm_link()))
    erase = links(mail.outbox[0])["erase"]

    opened = client.get(erase)
    assert Signature.objects.count() == 1  # a GET erases nothing
    assert "Erase my signature" in opened.content.decode()

    response = count_on_commit(lambda: client.post(erase))

    assert response.status_code == 200
    assert not Signature.objects.exists()
    petition.refresh_from_db()
    assert petition.signature_count == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE)
    assert (event.object_type, event.object_id) == ("cases.petition", str(petition.pk))
    assert "Erasable" not in event.detail
    assert event.ip_address is None
    assert client.post(erase).status_code == 410  # the link now leads nowhere


def token_made_days_ago(monkeypatch, signature: Signature, link: Link, days: int) -> str:
    real = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real - days * 24 * 3600)
        return signing.make_token(signature, link)


def test_an_expired_link_says_so_and_offers_the_link_again(client, petition, monkeypatch):
    post_sign(client, petition)
    token = token_made_days_ago(monkeypatch, the_signature(), Link.CONFIRM, days=8)

    response = client.post(f"/en/petitions/confirm/{token}/")

    assert response.status_code == 410
    content = response.content.decode()
    assert "This link has expired" in content
    assert 'action="/en/petitions/resend/"' in content
    assert f'name="petition" value="{petition.slug}"' in content
    assert the_signature().state == Signature.State.PENDING


def test_unsubscribe_and_erase_links_do_not_expire(client, petition, monkeypatch):
    post_sign(client, petition)
    token = token_made_days_ago(monkeypatch, the_signature(), Link.UNSUBSCRIBE, days=400)

    assert client.get(f"/en/petitions/unsubscribe/{token}/").status_code == 200


@pytest.mark.parametrize("kind", ["confirm", "unsubscribe", "erase"])
def test_a_forged_or_broken_link_gets_a_clear_page(client, petition, kind):
    post_sign(client, petition)
    genuine = links(mail.outbox[0])[kind]
    token = genuine.rstrip("/").rsplit("/", 1)[1]
    forged = [
        "nonsense",
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        signing.make_token(the_signature(), Link.ERASE if kind != "erase" else Link.CONFIRM),
        "x" * 300,
    ]

    for bad in forged:
        for method in (client.get, client.post):
            response = method(f"/en/petitions/{kind}/{bad}/")
            assert response.status_code == 400, bad
            assert "This link is not complete or not valid" in response.content.decode()

    signature = the_signature()
    assert (signature.state, signature.send_updates) == (Signature.State.PENDING, False)


def test_asking_for_the_link_again_mails_only_an_address_that_signed(client, petition):
    post_sign(client, petition)
    mail.outbox.clear()
    form = client.get(f"/en/petitions/resend/?petition={petition.slug}")
    assert 'name="petition" value="' in form.content.decode()

    signed = client.post(
        "/en/petitions/resend/", {"email": "AYLA@example.org", "petition": petition.slug}
    )
    stranger = client.post(
        "/en/petitions/resend/", {"email": "nobody@example.org", "petition": petition.slug}
    )

    assert signed.status_code == stranger.status_code == 200
    assert signed.content == stranger.content
    [message] = mail.outbox
    assert message.to == ["ayla@example.org"]
    assert client.post(links(message)["confirm"]).status_code == 200


def test_asking_for_the_link_again_is_throttled_per_address(client, petition):
    post_sign(client, petition)
    mail.outbox.clear()

    for number in range(6):
        client.post(
            "/en/petitions/resend/",
            {"email": "ayla@example.org", "petition": petition.slug},
            REMOTE_ADDR=f"203.0.113.{number}",
        )

    assert len(mail.outbox) == 3


# --- Closed and draft petitions ---------------------------------------------------------


def test_a_closed_petition_refuses_new_signatures_clearly(client, petition):
    petitions.petition_close(petition=petition, actor=None)

    response = post_sign(client, petition)

    assert response.status_code == 403
    assert "not taking signatures" in response.content.decode()
    assert not Signature.objects.exists()
    assert not mail.outbox


def test_a_petition_not_open_yet_refuses_too(client):
    petition = make_petition("later", opens_on="2999-01-01")

    response = post_sign(client, petition)

    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_confirming_after_the_petition_closed_is_refused_clearly(client, petition, count_on_commit):
    post_sign(client, petition)
    petitions.petition_close(petition=petition, actor=None)

    response = count_on_commit(lambda: client.post(confirm_link()))

    assert response.status_code == 403
    assert "stopped taking signatures" in response.content.decode()
    assert the_signature().state == Signature.State.PENDING


def test_a_draft_petition_is_not_found_on_any_signing_address(client):
    draft = make_petition("draft-one", publish=False)

    for response in (
        post_sign(client, draft),
        client.get(thanks_url(draft)),
        client.get(f"/en/petitions/{draft.slug}/challenge/"),
        client.post("/en/petitions/resend/", {"email": "a@example.org", "petition": draft.slug}),
    ):
        assert response.status_code == 404
    assert (
        "resend-form"
        not in client.get(f"/en/petitions/resend/?petition={draft.slug}").content.decode()
    )
    assert not Signature.objects.exists()


def test_a_status_change_reaches_the_sign_view_at_once(client, petition):
    # The sign view's petition lookup is cached; a change of the petition forgets it.
    assert post_sign(client, petition).status_code == 303
    with_commit = Petition.objects.get(pk=petition.pk)
    petitions.petition_close(petition=with_commit, actor=None)
    counting.forget_pages(petition.pk)  # what the close does on commit

    assert post_sign(client, petition, email="later@example.org").status_code == 403


# --- Caching -------------------------------------------------------------------------------


def test_the_thanks_page_may_be_cached_and_the_pages_of_one_person_may_not(client, petition):
    post_sign(client, petition)
    found = links(mail.outbox[0])

    assert "public" in client.get(thanks_url(petition))["Cache-Control"]
    for path in (found["confirm"], found["unsubscribe"], found["erase"]):
        assert "no-store" in client.get(path)["Cache-Control"]
    invalid = post_sign(client, petition, email="not an address")
    assert invalid.status_code == 200
    assert "no-store" in invalid["Cache-Control"]


def test_a_link_page_shares_the_petition_never_its_own_address(client, petition):
    post_sign(client, petition)
    token_path = confirm_link()

    content = client.get(token_path).content.decode()

    assert f'property="og:url" content="http://testserver/en/petitions/{petition.slug}/"' in content
    assert 'name="robots" content="noindex"' in content


def test_the_form_comes_back_with_the_input_and_the_errors(client, petition):
    response = post_sign(client, petition, email="not an address", name="Ayla Kept")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="Ayla Kept"' in content
    assert "Enter a valid email address." in content
    assert not Signature.objects.exists()


def test_the_signer_address_is_kept_only_as_a_keyed_hash(client, petition, settings):
    post_sign(client, petition, address=SIGNER_ADDRESS)

    stored = the_signature().ip_hash
    assert stored == signing.ip_hash(SIGNER_ADDRESS)
    assert len(stored) == 64
    assert SIGNER_ADDRESS not in stored
    values = Signature.objects.values_list()[0]
    assert not any(SIGNER_ADDRESS in str(value) for value in values)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert signing.ip_hash(SIGNER_ADDRESS) != stored  # not computable without the key


def test_an_ipv4_address_in_ipv6_form_hashes_the_same():
    assert signing.ip_hash("::ffff:198.51.100.7") == signing.ip_hash("198.51.100.7")
    assert signing.ip_hash("not an address") == ""


def test_form_data_helper_is_a_valid_form():
    from cases.public.forms import SignForm

    form = SignForm(form_data())
    assert form.is_valid(), form.errors
    assert form.suspect_reasons() == []
