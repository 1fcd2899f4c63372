"""Hostile input on the public sign form and its links: names that hide, reorder or run
as formulas, markup, web addresses, oversized bodies, forged tokens, and the same
request many times at once. Each gets a clear form error or page, never a 500, and
nothing is stored half-way."""

import threading
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from cases.models import Signature
from cases.public import counting, signing
from cases.public.signing import Link
from tests.public.conftest import make_petition
from tests.public.signing_kit import form_data, post_sign, sign_url
from tests.security.hostile import BIDI_CONTROLS, CSV_FORMULAS, XSS, ZERO_WIDTH, assert_inert

pytestmark = pytest.mark.django_db


@pytest.fixture
def petition(db):
    return make_petition("hostile-input")


def refused(response, field: str, message: str) -> None:
    assert response.status_code == 200
    errors = response.context["sign_form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field]), errors[field]
    assert not Signature.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("A" * 101, "at most 100 characters"),
        *[(f"Adil{char}Yasin", "invisible or direction-changing") for char in BIDI_CONTROLS],
        *[(f"Ad{char}il", "invisible or direction-changing") for char in ZERO_WIDTH],
        ("Аdil Yasin", "one script"),  # a Cyrillic А
        ("<b>Adil</b>", "letters, digits, spaces and punctuation only"),
        *[(formula, "cannot start with") for formula in CSV_FORMULAS],
        ("=1+1", "cannot start with"),
        ("@adil", "cannot start with"),
        ("Adil https://evil.example/x", "web addresses"),
        ("Visit www.example.org", "web addresses"),
        ("Adil example.com", "web addresses"),
        ("Adil\nYasin", "letters, digits, spaces and punctuation only"),
    ],
)
def test_a_hostile_name_gets_a_form_error_and_nothing_is_stored(client, petition, name, message):
    refused(post_sign(client, petition, name=name), "name", message)


def test_ordinary_names_in_every_script_of_the_site_are_taken(client, petition):
    for number, name in enumerate(
        ["Adil Yasin", "ئادىل ياسىن", "阿迪力", "Ömer Çelik", "Әділ Жасын", "J. O'Neill-Dupont"]
    ):
        response = post_sign(
            client, petition, name=name, email=f"s{number}@example.org", address=f"192.0.2.{number}"
        )
        assert response.status_code == 303, response.context["sign_form"].errors
    assert Signature.objects.count() == 6


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_any_field_is_refused_or_shown_inert(client, petition, payload):
    response = post_sign(client, petition, name=payload, email=payload, postcode=payload)

    assert response.status_code == 200
    assert_inert(response.content, [payload])
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"country": "XX"}, "country"),
        ({"country": ""}, "country"),
        ({"postcode": "=1+1"}, "postcode"),
        ({"postcode": "1" * 17}, "postcode"),
        ({"comment": "x" * 501}, "comment"),
        ({"comment": "Hello\u202eevil"}, "comment"),
        ({"comment": "Null\x00byte"}, "comment"),
        ({"name": "Null\x00byte"}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_other_bad_fields_get_a_form_error(client, petition, fields, field):
    response = post_sign(client, petition, **fields)

    assert response.status_code == 200
    assert field in response.context["sign_form"].errors
    assert not Signature.objects.exists()


@pytest.mark.parametrize("size", [100 * 1024, 10 * 1024 * 1024], ids=["100-kB", "10-MB"])
def test_an_oversized_body_is_refused_before_it_is_read(client, petition, size):
    response = client.post(sign_url(petition), {"name": "x" * size})

    assert response.status_code == 413
    assert "far larger than a signature can be" in response.content.decode()
    assert not Signature.objects.exists()


def test_thousands_of_fields_are_refused(client, petition):
    data = {**form_data(), **{f"field{i}": "x" for i in range(1100)}}

    response = client.post(
        sign_url(petition), urlencode(data), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_a_request_without_a_valid_length_is_refused(client, petition):
    response = client.post(sign_url(petition), form_data(), CONTENT_LENGTH="lots")

    assert response.status_code == 413


def test_an_unknown_petition_is_not_found(client):
    assert client.post("/en/petitions/no-such-petition/sign/", form_data()).status_code == 404


@pytest.mark.parametrize(
    "token",
    ["", "a/b", "..%2F..", "WzEsMSwiYSJd:1abc:" + "A" * 43, "\u202e" * 10, "x" * 5000],
)
def test_a_forged_token_never_gives_a_500(client, petition, token):
    for kind in ("confirm", "unsubscribe", "erase"):
        for method in (client.get, client.post):
            response = method(f"/en/petitions/{kind}/{token}/")
            assert response.status_code in (400, 404), (kind, token, response.status_code)


@pytest.mark.parametrize("value", ["a b", "x" * 300, "\u202e", "../..", "%00"])
def test_a_hostile_petition_in_the_resend_address_gets_the_plain_page(client, value):
    response = client.get("/en/petitions/resend/", {"petition": value})

    assert response.status_code == 200
    assert "resend-form" not in response.content.decode()


def test_a_token_for_one_purpose_does_nothing_for_another(client, petition):
    post_sign(client, petition)
    signature = Signature.objects.get()
    unsubscribe = signing.make_token(signature, Link.UNSUBSCRIBE)

    assert client.post(f"/en/petitions/erase/{unsubscribe}/").status_code == 400
    assert client.post(f"/en/petitions/confirm/{unsubscribe}/").status_code == 400
    assert Signature.objects.get().state == Signature.State.PENDING


# --- The same request many times at once (real threads, on both databases) ------------------


def at_once(count: int, action) -> list:
    """Run `action(i)` for i in range(count) in as many threads, released together."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            start.wait()
            results[i] = action(i)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=[i]) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_signature_sent_twice_at_once_is_stored_once_without_an_error():
    petition = make_petition("twice-at-once")
    data = form_data()

    statuses = at_once(
        4,
        lambda i: (
            Client().post(sign_url(petition), data, REMOTE_ADDR=f"192.0.2.{i + 1}").status_code
        ),
    )

    assert statuses == [303, 303, 303, 303]
    assert Signature.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_link_used_twice_at_once_counts_once():
    petition = make_petition("confirm-at-once")
    post_sign(Client(), petition)
    token = signing.make_token(Signature.objects.get(), Link.CONFIRM)

    statuses = at_once(4, lambda i: Client().post(f"/en/petitions/confirm/{token}/").status_code)

    assert statuses == [200, 200, 200, 200]
    assert Signature.objects.filter(state="confirmed").count() == 1
    assert counting.count_signatures.call(petition_id=petition.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_two_hundred_parallel_confirmations_leave_the_count_equal_to_the_confirmed_rows():
    petition = make_petition("many-at-once")
    signatures = Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"Signer{i} Example",
            email=f"signer{i}@example.org",
            email_canonical=f"signer{i}@example.org",
            country="BE",
        )
        for i in range(200)
    )
    tokens = [signing.make_token(s, Link.CONFIRM) for s in Signature.objects.all()]
    assert len(tokens) == len(signatures)
    # Each link twice, by 10 browsers at once: 400 posts.
    work = tokens + tokens
    browsers = 10

    def confirm_share(i):
        client = Client()
        return [
            client.post(f"/en/petitions/confirm/{token}/").status_code
            for token in work[i::browsers]
        ]

    results = at_once(browsers, confirm_share)

    assert all(isinstance(r, list) for r in results), results
    assert {status for statuses in results for status in statuses} == {200}
    counting.count_signatures.call(petition_id=petition.pk)
    petition.refresh_from_db()
    confirmed = Signature.objects.filter(petition=petition, state="confirmed").count()
    assert confirmed == 200
    assert petition.signature_count == confirmed
