"""One signature per mailbox, however the address is spelt; the address kept as typed."""

import pytest

from cases.models import Signature
from cases.public.canonical import canonical_email
from tests.public.signing_kit import post_sign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Adil.Yasin@Example.ORG", "adil.yasin@example.org"),  # case
        ("adil.yasin+petition@example.org", "adil.yasin@example.org"),  # plus-tag
        ("a.d.i.l.y.a.s.i.n@gmail.com", "adilyasin@gmail.com"),  # Gmail ignores dots
        ("Adil.Yasin+x@GoogleMail.com", "adilyasin@gmail.com"),  # its old name
        ("adil\u200byasin@gmail.com", "adilyasin@gmail.com"),  # a zero-width space
        ("adil\u00adyasin@example.org", "adilyasin@example.org"),  # a soft hyphen
        ("\u202eadilyasin@example.org", "adilyasin@example.org"),  # a direction control
        ("adilyasin@gm\u0430il.com", "adilyasin@gmail.com"),  # a Cyrillic а
        ("adilyasin@g\u03bfogle.com", "adilyasin@google.com"),  # a Greek ο
        ("adilyasin@xn--gmil-63d.com", "adilyasin@gmail.com"),  # the same, in punycode
        ("\uff41dilyasin@example.org", "adilyasin@example.org"),  # a full-width ａ
        ("adilyasin@gmail.com.", "adilyasin@gmail.com"),  # the root's dot
    ],
)
def test_spellings_of_one_mailbox_fold_to_one_canonical_address(spelling, canonical):
    assert canonical_email(spelling) == canonical


def test_dots_count_where_the_provider_does_not_ignore_them():
    assert canonical_email("adil.yasin@example.org") != canonical_email("adilyasin@example.org")


def test_different_mailboxes_stay_different():
    assert canonical_email("adil@example.org") != canonical_email("adil@example.net")
    assert canonical_email("adil0@example.org") != canonical_email("adilo@example.org")


def test_a_second_spelling_makes_no_second_signature_and_the_first_is_kept_as_typed(
    client, petition
):
    post_sign(client, petition, email="Adil.Yasin+campaign@GoogleMail.com")
    post_sign(
        client, petition, email="adilyasin@gm\u0430il.com", address="192.0.2.50", name="Adil Y"
    )

    [signature] = Signature.objects.all()
    assert signature.email == "Adil.Yasin+campaign@GoogleMail.com"
    assert signature.email_canonical == "adilyasin@gmail.com"
