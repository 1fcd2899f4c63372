"""Attacks on signing in: open redirects, session fixation, password-only access, framing,
and password guessing spread over many addresses."""

import base64
import json
import re

import altcha
import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from cases import ratelimit
from cases.accounts import slowdown
from cases.models import AuditEvent
from tests.test_accounts import (  # noqa: F401 (enrolled is a fixture)
    PASSWORD,
    code_for,
    enrolled,
    password_step,
    without_csrf_token,
)

pytestmark = pytest.mark.django_db

EVIL_NEXTS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "http://testserver@evil.example/",
]


def stays_on_this_site(location: str) -> bool:
    return location.startswith("/") and url_has_allowed_host_and_scheme(
        location, allowed_hosts={"testserver"}, require_https=False
    )


@pytest.mark.parametrize("evil", EVIL_NEXTS)
def test_no_step_of_the_login_sends_anyone_to_another_site(client, enrolled, evil):  # noqa: F811
    _user, device, _codes = enrolled

    first = client.post("/staff/login/", {"username": "alice", "password": PASSWORD, "next": evil})
    second = client.post("/staff/login/verify/", {"code": code_for(device), "next": evil})

    assert stays_on_this_site(first["Location"]), first["Location"]
    assert stays_on_this_site(second["Location"]), second["Location"]


def test_a_session_key_planted_by_an_attacker_is_never_the_signed_in_one(client, enrolled):  # noqa: F811
    _user, device, _codes = enrolled
    planted = "attackerchosenkey0000000000000000"
    client.cookies[settings.SESSION_COOKIE_NAME] = planted

    password_step(client)
    client.post("/staff/login/verify/", {"code": code_for(device)})

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_password_alone_never_reaches_the_admin(client, enrolled):  # noqa: F811
    password_step(client)

    for url in [reverse("admin:index"), reverse("admin:cases_family_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize("url", ["/staff/login/", "/admin/login/", "/admin/", "/staff/two-factor/"])
def test_no_page_can_be_framed(caseworker_client, url):
    response = caseworker_client.get(url, follow=True)

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- guessing one username from many addresses: the slow-down ---------------------------


@pytest.fixture
def alice(enrolled):  # noqa: F811
    """The caseworker whose username is guessed, with an authenticator app."""
    user, _device, _codes = enrolled
    return user


@pytest.fixture
def easy_proof_of_work(monkeypatch):
    """Challenges a test solves in a few milliseconds; the rules stay the same."""
    monkeypatch.setattr(slowdown, "COST", 1)
    monkeypatch.setattr(slowdown, "MAX_COUNTER", 16)


@pytest.fixture
def checked_passwords(monkeypatch):
    """The usernames whose password was checked (by Django's ModelBackend), in order."""
    calls = []
    check = ModelBackend.authenticate

    def counting_check(backend, request, username=None, password=None, **kwargs):
        calls.append(username)
        return check(backend, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting_check)
    return calls


def guess(client, username, *, failures=slowdown.FAILURES, addresses=slowdown.ADDRESSES, net=0):
    """Wrong passwords for `username`, spread over `addresses` client addresses."""
    for number in range(failures):
        password_step(
            client, username, "wrong guess", REMOTE_ADDR=f"10.9.{net}.{number % addresses}"
        )


def login_with(client, payload, *, username="alice", password=PASSWORD, address="10.8.0.1"):
    data = {"username": username, "password": password}
    if payload is not None:
        data[slowdown.FIELD] = payload
    return client.post("/staff/login/", data, REMOTE_ADDR=address)


def solved(challenge: dict) -> str:
    """What static/js/proof-of-work.js sends: the challenge and its solution, base64 JSON."""
    parsed = altcha.Challenge.from_dict(challenge)
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


def asks_for_proof_of_work(response) -> bool:
    return (
        response.status_code == 200
        and response.context["proof_of_work"] is not None
        and 'id="proof-of-work-challenge" type="application/json"' in response.content.decode()
    )


def test_guesses_from_several_addresses_make_the_username_ask_for_proof_of_work(
    client,
    alice,
    easy_proof_of_work,
    checked_passwords,
):
    guess(client, "alice")

    response = login_with(client, None)  # the right password, from yet another address

    assert asks_for_proof_of_work(response)
    assert not client.session.get("_auth_user_id")
    assert len(checked_passwords) == slowdown.FAILURES  # the guesses, not this one
    html = response.content.decode()
    assert '<script src="/static/js/proof-of-work.js" defer></script>' in html
    assert "short calculation in your browser" in html


@pytest.mark.parametrize(
    ("failures", "addresses"),
    [
        (slowdown.FAILURES - 1, slowdown.FAILURES - 1),  # not enough failures
        (slowdown.FAILURES, slowdown.ADDRESSES - 1),  # enough, from too few places
    ],
)
def test_fewer_failures_or_fewer_addresses_slow_nothing_down(client, alice, failures, addresses):
    guess(client, "alice", failures=failures, addresses=addresses)

    response = login_with(client, None)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")


def test_a_solved_challenge_and_the_right_password_log_in(client, alice, easy_proof_of_work):
    guess(client, "alice")
    challenge = login_with(client, None).context["proof_of_work"]

    response = login_with(client, solved(challenge))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")


def _tampered(client, challenge):
    payload = json.loads(base64.b64decode(solved(challenge)))
    payload["challenge"]["parameters"]["cost"] = 0
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _wrong_answer(client, challenge):
    payload = json.loads(base64.b64decode(solved(challenge)))
    payload["solution"]["derivedKey"] = "00" * 32
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _for_another_username(client, challenge):
    guess(client, "zed", net=1)
    return solved(login_with(client, None, username="zed").context["proof_of_work"])


def _replayed(client, challenge):
    payload = solved(challenge)
    assert login_with(client, payload, password="still guessing").status_code == 200
    return payload


def _expired(client, challenge):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slowdown, "CHALLENGE_TTL", -1)
        old = login_with(client, None).context["proof_of_work"]
    return solved(old)


BAD_SOLUTIONS = {
    "missing": lambda client, challenge: None,
    "empty": lambda client, challenge: "",
    "not base64": lambda client, challenge: "not a solution!",
    "not json": lambda client, challenge: base64.b64encode(b"\xff{").decode(),
    "json of the wrong shape": lambda client, challenge: base64.b64encode(b"[1, 2]").decode(),
    "far too long": lambda client, challenge: "A" * 100_000,
    "tampered": _tampered,
    "wrong answer": _wrong_answer,
    "for another username": _for_another_username,
    "replayed": _replayed,
    "expired": _expired,
}


@pytest.mark.parametrize("kind", BAD_SOLUTIONS)
def test_a_bad_solution_is_refused_without_checking_the_password(
    client,
    alice,
    easy_proof_of_work,
    checked_passwords,
    kind,
):
    guess(client, "alice")
    challenge = login_with(client, None).context["proof_of_work"]
    payload = BAD_SOLUTIONS[kind](client, challenge)
    checked_before = len(checked_passwords)

    response = login_with(client, payload)  # with the right password

    assert asks_for_proof_of_work(response)
    assert "Your password was not checked yet" in response.content.decode()
    assert not client.session.get("_auth_user_id")
    assert len(checked_passwords) == checked_before


def test_while_slowed_an_unknown_username_is_answered_exactly_like_a_known_one(
    client,
    alice,
    easy_proof_of_work,
):
    guess(client, "alice", net=0)
    guess(client, "zed", net=1)

    def page(response, username) -> str:
        html = without_csrf_token(response).replace(f'value="{username}"', 'value="NAME"')
        return re.sub(r'(id="proof-of-work-challenge" type="application/json">)[^<]*', r"\1", html)

    for password in [PASSWORD, "wrong guess"]:
        known = login_with(client, None, username="alice", password=password)
        unknown = login_with(client, None, username="zed", password=password)
        assert (known.status_code, page(known, "alice")) == (200, page(unknown, "zed"))

    challenges = {
        name: login_with(client, None, username=name).context["proof_of_work"]
        for name in ["alice", "zed"]
    }
    known = login_with(client, solved(challenges["alice"]), password="wrong guess")
    unknown = login_with(client, solved(challenges["zed"]), username="zed", password="wrong guess")
    assert (known.status_code, page(known, "alice")) == (200, page(unknown, "zed"))
    assert "Please enter a correct username and password" in page(known, "alice")


def test_the_slow_down_is_audited_once_per_window_with_the_account_if_there_is_one(
    client,
    alice,
    easy_proof_of_work,
    monkeypatch,
):
    guess(client, "alice", net=0)
    guess(client, "zed", net=1)
    for name, net in [("alice", 2), ("zed", 3)]:  # more guesses, solved, in the same window
        for number in range(2):
            challenge = login_with(client, None, username=name).context["proof_of_work"]
            login_with(
                client,
                solved(challenge),
                username=name,
                password="x",
                address=f"10.9.{net}.{number}",
            )

    rows = AuditEvent.objects.filter(action="login_slowed").order_by("pk")
    assert [row.actor for row in rows] == [alice, None]
    for row in rows:  # the typed name is kept nowhere
        assert "zed" not in f"{row.detail}{row.fields}{row.object_id}{row.object_type}"

    later = ratelimit.now() + slowdown.WINDOW
    monkeypatch.setattr(ratelimit, "now", lambda: later)
    for number in range(slowdown.FAILURES):  # still slowed: each guess is solved first
        challenge = login_with(client, None).context["proof_of_work"]
        address = f"10.9.4.{number % slowdown.ADDRESSES}"
        login_with(client, solved(challenge), password="x", address=address)

    assert AuditEvent.objects.filter(action="login_slowed", actor=alice).count() == 2


def test_axes_still_locks_out_an_address_that_keeps_guessing_a_slowed_username(
    client,
    alice,
    easy_proof_of_work,
):
    guess(client, "alice")
    statuses = []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        challenge = login_with(client, None, address="10.7.0.1").context["proof_of_work"]
        response = login_with(client, solved(challenge), password="x", address="10.7.0.1")
        statuses.append(response.status_code)

    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
