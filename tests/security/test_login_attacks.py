"""Attacks on signing in: open redirects, session fixation, password-only access, framing."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tests.test_accounts import (  # noqa: F401 (enrolled is a fixture)
    PASSWORD,
    code_for,
    enrolled,
    password_step,
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
