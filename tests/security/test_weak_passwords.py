"""Passwords a guesser tries first: a common word or password with digits, a year or
symbols around it, and look-alike digits for letters. Refused offline, whoever sets them."""

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client

from cases.accounts.passwords import CommonWordPasswordValidator
from tests.conftest import login_verified
from tests.test_accounts import PASSWORD

pytestmark = pytest.mark.django_db

GUESSABLE = [
    # The attacker's examples.
    "Password2024!",
    "Welcome2024!",
    "Summer2024!!",
    # Look-alikes, years and symbols in front, separators, capitals.
    "P@ssw0rd2024!",
    "Pa$$w0rd-2024",
    "W3lc0me_2025!",
    "2024Welcome!!",
    "!!Summer2024",
    "1999-Dragon-!",
    "SUMMER 2024 !!",
    "Hell0-2024-!!",
    "He11o-2024-!!",  # 1 read as l
    "Wh1sk3y-2024!",  # 1 read as i
    "@dmin2024!!!!",
    "Pass-Word-2024",
    # The words this site's attackers start from.
    "Reunite2024!!",
    "Uyghur2024!!!",
    "Xinjiang-2025!",
]
STRONG = [
    "correct horse battery staple",
    "a rather long passphrase 7",
    "Tr0mb0ne-Walrus-Kite",
    "Summer in Kashgar, 1987!",
    "7 purple tigers dance at noon",
    "ئانام مېنى ساقلاۋاتىدۇ",
    "ئانام مېنى ساقلاۋاتىدۇ 2024!",
    "Ürümchi'de qar yaghdi 2019",
]


def codes(password: str) -> set[str]:
    try:
        validate_password(password)
    except ValidationError as error:
        return {item.code for item in error.error_list}
    return set()


@pytest.mark.parametrize("password", GUESSABLE)
def test_a_common_word_with_a_year_and_symbols_is_refused(password):
    assert len(password) >= 12  # long enough: this validator is what refuses it
    assert codes(password) == {"password_common_word"}


@pytest.mark.parametrize("password", STRONG)
def test_passphrases_in_any_script_pass(password):
    assert codes(password) == set()


def test_an_exact_common_password_gets_one_message_not_two():
    assert codes("ilovemyfamily") == {"password_too_common"}  # Django's validator says it


def test_the_list_is_the_one_bundled_with_django_and_needs_no_network(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the validator tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    validator = CommonWordPasswordValidator()

    assert {"summer", "welcome", "password"} <= validator.passwords
    with pytest.raises(ValidationError):
        validator.validate("Welcome2024!")


def test_the_rule_is_explained_next_to_the_password_fields():
    assert any("look-alikes" in text for text in password_validators_help_texts())


def test_a_caseworker_cannot_change_to_a_common_word_with_a_year(caseworker):
    client = login_verified(Client(), caseworker)

    response = client.post(
        "/staff/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Summer2024!!",
            "new_password2": "Summer2024!!",
        },
    )

    assert response.status_code == 200
    assert "a common word or password with digits, a year or symbols" in response.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)
