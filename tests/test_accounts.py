"""Staff accounts: password then second factor, throttling, sessions, re-authentication."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.accounts import state
from cases.accounts.devices import recovery_codes_replace
from cases.models import AuditEvent
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now. Forgets the last code used, so a test
    may log in twice within one 30-second step."""
    device.refresh_from_db()
    device.last_t = -1
    device.save(update_fields=["last_t"])
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def enrolled(caseworker):
    """The caseworker with an authenticator app and recovery codes."""
    device = TOTPDevice.objects.create(user=caseworker, name="Phone", confirmed=True)
    codes = recovery_codes_replace(user=caseworker)
    return caseworker, device, codes


def password_step(client, username="alice", password=PASSWORD, **extra):
    return client.post("/staff/login/", {"username": username, "password": password}, **extra)


def without_csrf_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# --- the login flow -----------------------------------------------------------------


def test_a_password_only_session_reaches_neither_the_admin_nor_any_staff_page(client, enrolled):
    response = password_step(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")

    for url in [
        "/admin/",
        "/admin/cases/family/",
        "/admin/auth/user/",
        "/staff/two-factor/",
        "/staff/two-factor/recovery-codes/",
        "/staff/two-factor/setup/",
        "/staff/reauthenticate/",
        "/staff/password/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(("/staff/login/", "/admin/login/")), url
    assert client.post("/staff/webauthn/registration/begin/").status_code != 200
    assert not client.session.get("otp_device_id")


def test_password_then_authenticator_code_reaches_the_admin(client, enrolled):
    _user, device, _codes = enrolled
    password_step(client)

    response = client.post("/staff/login/verify/", {"code": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/cases/family/").status_code == 200
    assert actions() == ["login", "view"]  # the login, then the list it opened


def test_a_wrong_second_factor_is_refused_recorded_and_throttled(client, enrolled):
    _user, device, _codes = enrolled
    password_step(client)

    for _ in range(3):
        response = client.post("/staff/login/verify/", {"code": "000000"})
        assert response.status_code == 200
    response = client.post("/staff/login/verify/", {"code": code_for(device)})

    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert actions().count("2fa_failed") == 4


def test_a_recovery_code_works_once_only(client, enrolled):
    _user, _device, codes = enrolled
    password_step(client)
    assert client.post("/staff/login/verify/", {"code": codes[0].upper()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/staff/logout/")

    password_step(client)
    response = client.post("/staff/login/verify/", {"code": codes[0]})

    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert StaticToken.objects.count() == 9


def test_a_new_caseworker_sets_up_an_authenticator_app_and_sees_recovery_codes_once(
    client, caseworker
):
    response = password_step(client)
    assert response["Location"].startswith("/staff/two-factor/setup/")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "<path" in html
    # Nothing loads from elsewhere: every address in the page is on this site.
    for address in re.findall(r'(?:src|href|action)="([^"]*)"', html):
        assert address.startswith(("/", "#", "?")), address
    assert "<script" not in html
    device = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    assert page.context["secret"] in html

    response = client.post(response["Location"], {"code": code_for(device)})

    assert response.status_code == 302
    codes_page = client.get(response["Location"])
    codes = StaticToken.objects.filter(device__user=caseworker).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in codes_page.content.decode() for code in codes)
    assert client.get("/staff/two-factor/recovery-codes/new/").status_code == 302  # once only
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=caseworker).confirmed
    assert {"2fa_enrolled", "login"} <= set(actions())
    assert [message.to for message in mail.outbox] == [[caseworker.email]]
    assert "a new authenticator app was set up" in mail.outbox[0].body


def test_each_showing_of_the_setup_page_draws_a_new_secret(client, caseworker):
    password_step(client)

    first = client.get("/staff/two-factor/setup/").context["secret"]
    second = client.get("/staff/two-factor/setup/").context["secret"]

    assert first != second
    assert TOTPDevice.objects.filter(user=caseworker).count() == 1


def test_a_password_only_session_cannot_set_up_a_second_device(client, enrolled):
    password_step(client)

    response = client.get("/staff/two-factor/setup/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")
    assert TOTPDevice.objects.count() == 1


def test_the_admin_login_page_sends_people_to_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/cases/family/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/admin/cases/family/"


def test_logging_in_refuses_to_send_anyone_to_another_site(client, enrolled):
    _user, device, _codes = enrolled
    evil = "https://evil.example/phish"

    assert client.get(f"/admin/login/?next={evil}")["Location"] == "/staff/login/?next=/admin/"
    response = client.post(
        "/staff/login/", {"username": "alice", "password": PASSWORD, "next": evil}
    )
    assert "evil" not in response["Location"]
    response = client.post("/staff/login/verify/", {"code": code_for(device), "next": evil})

    assert response["Location"] == "/admin/"
    assert client.get(f"/staff/login/?next={evil}")["Location"] == "/admin/"
    assert client.get("/staff/login/?next=//evil.example/")["Location"] == "/admin/"


def test_login_answers_the_same_for_an_existing_an_unknown_and_a_non_staff_username(client):
    UserFactory(username="alice", is_staff=True)
    UserFactory(username="bob", is_staff=False)

    pages = [
        without_csrf_token(password_step(client, username=name, password=password))
        for name, password in [("alice", "wrong password"), ("zed", "wrong password")]
    ]
    non_staff = password_step(client, username="bob", password=PASSWORD)

    assert pages[0] == pages[1].replace('value="zed"', 'value="alice"')
    assert "Please enter a correct username and password" in pages[0]
    assert non_staff.status_code == 200
    assert not client.session.get("_auth_user_id")
    failures = AuditEvent.objects.filter(action="login_failed").order_by("pk")
    assert [event.actor and event.actor.username for event in failures] == ["alice", None]
    for event in failures:  # the typed name is kept nowhere
        assert "zed" not in f"{event.detail}{event.fields}{event.object_id}{event.object_type}"


def test_password_reset_answers_the_same_for_a_staff_email_and_an_unknown_one(client):
    UserFactory(username="alice", email="alice@example.org", is_staff=True)
    UserFactory(username="bob", email="bob@example.org", is_staff=False)

    responses = [
        client.post("/staff/password/reset/", {"email": email})
        for email in ("alice@example.org", "nobody@example.org", "bob@example.org")
    ]

    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, "/staff/password/reset/sent/")
    }
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    assert "alice" not in mail.outbox[0].body.replace("alice@example.org", "")


def test_a_reset_link_sets_a_new_password_only_if_it_passes_the_validators(client, caseworker):
    client.post("/staff/password/reset/", {"email": caseworker.email})
    link = re.search(r"http://testserver(/staff/password/reset/\S+)", mail.outbox[0].body)[1]
    form_url = client.get(link)["Location"]

    weak = client.post(form_url, {"new_password1": "alice2024", "new_password2": "alice2024"})
    strong = "a rather long passphrase 7"
    done = client.post(form_url, {"new_password1": strong, "new_password2": strong})

    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    assert done["Location"] == "/staff/password/reset/complete/"
    caseworker.refresh_from_db()
    assert caseworker.check_password(strong)


# --- throttling -----------------------------------------------------------------------


def test_too_many_failures_lock_the_address_out_the_same_way_for_real_and_unknown_names(
    client, enrolled
):
    limit = settings.AXES_FAILURE_LIMIT
    real = [password_step(client, "alice", "wrong", REMOTE_ADDR="10.0.0.1") for _ in range(limit)]
    fake = [password_step(client, "zed", "wrong", REMOTE_ADDR="10.0.0.2") for _ in range(limit)]

    assert [r.status_code for r in real[:-1]] == [200] * (limit - 1)
    assert real[-1].status_code == fake[-1].status_code == 429
    assert without_csrf_token(real[-1]) == without_csrf_token(fake[-1])
    # Locked: even the right password from that address is refused for now...
    assert password_step(client, REMOTE_ADDR="10.0.0.1").status_code == 429
    # ...but the caseworker is not locked out from anywhere else.
    response = password_step(client, REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")


def test_the_throttle_counts_addresses_behind_a_trusted_proxy(rf, settings):
    from cases.accounts.throttling import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")

    assert client_ip(request) == "10.0.0.9"
    settings.REUNITE_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.5"  # the spoofable left-hand entry is ignored


# --- sessions -------------------------------------------------------------------------


def test_the_session_key_changes_at_login_and_again_after_the_second_factor(client, enrolled):
    _user, device, _codes = enrolled
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted

    password_step(client)
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/staff/login/verify/", {"code": code_for(device)})
    after_code = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert len({planted, after_password, after_code}) == 3
    assert not Session.objects.filter(session_key__in=[planted, after_password]).exists()


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(caseworker):
    this, other = login_verified(Client(), caseworker), login_verified(Client(), caseworker)
    new = "a rather long passphrase 7"

    response = this.post(
        "/staff/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response["Location"] == "/staff/password/change/done/"
    assert this.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_a_weak_new_password_is_refused_on_change_and_in_the_admin(caseworker):
    client = login_verified(Client(), caseworker)
    response = client.post(
        "/staff/password/change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()

    boss = login_verified(Client(), UserFactory(is_staff=True, is_superuser=True))
    response = boss.post(
        "/admin/auth/user/add/",
        {
            "username": "carol",
            "usable_password": "true",
            "password1": "password",
            "password2": "password",
        },
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    assert not type(caseworker).objects.filter(username="carol").exists()


def test_deactivating_a_caseworker_ends_their_session(caseworker_client, caseworker):
    assert caseworker_client.get("/admin/").status_code == 200

    caseworker.is_active = False
    caseworker.save()

    response = caseworker_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("key", "seconds_ago", "reason"),
    [
        (state.LAST_SEEN, 31 * 60, "idle session timeout"),
        (state.LOGIN_AT, 10 * 60 * 60 + 1, "absolute session timeout"),
    ],
)
def test_a_session_ends_after_30_idle_minutes_or_10_hours(
    caseworker_client, key, seconds_ago, reason
):
    assert caseworker_client.get("/admin/").status_code == 200
    session = caseworker_client.session
    session[key] = state.now() - seconds_ago
    session.save()

    response = caseworker_client.get("/admin/")

    assert response.status_code == 302
    assert caseworker_client.get("/admin/").status_code == 302
    assert AuditEvent.objects.get(action="logout").detail == reason


def test_a_busy_session_is_not_idle(caseworker_client):
    session = caseworker_client.session
    session[state.LAST_SEEN] = state.now() - 29 * 60
    session.save()

    assert caseworker_client.get("/admin/").status_code == 200
    assert caseworker_client.session[state.LAST_SEEN] > state.now() - 60


# --- re-authentication ----------------------------------------------------------------


def test_new_recovery_codes_need_the_password_and_a_second_factor_again(
    caseworker_client, enrolled
):
    user, device, old_codes = enrolled
    device_in_session = TOTPDevice.objects.get(user=user, name="Test phone")

    response = caseworker_client.post("/staff/two-factor/recovery-codes/")
    assert response.status_code == 302
    reauth_url = response["Location"]
    assert reauth_url.startswith("/staff/reauthenticate/")
    assert StaticToken.objects.filter(token=old_codes[0]).exists()

    wrong = caseworker_client.post(reauth_url, {"password": "not it"})
    assert "not correct" in wrong.content.decode()
    step_two = caseworker_client.post(reauth_url, {"password": PASSWORD})
    done = caseworker_client.post(step_two["Location"], {"code": code_for(device_in_session)})
    assert done["Location"] == "/staff/two-factor/recovery-codes/"
    response = caseworker_client.post("/staff/two-factor/recovery-codes/")

    assert response["Location"] == "/staff/two-factor/recovery-codes/new/"
    assert not StaticToken.objects.filter(token__in=old_codes).exists()
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert {"reauthenticated", "2fa_enrolled", "login_failed"} <= set(actions())


def test_re_authentication_wears_off(caseworker_client):
    session = caseworker_client.session
    session[state.AUTHENTICATED_AT] = state.now() - 301
    session.save()

    response = caseworker_client.get("/staff/two-factor/recovery-codes/")

    assert response["Location"].startswith("/staff/reauthenticate/")


def test_a_new_passkey_needs_a_recent_re_authentication(caseworker_client):
    begin = "/staff/webauthn/registration/begin/"
    assert caseworker_client.post(begin).status_code == 403

    session = caseworker_client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()
    response = caseworker_client.post(begin)

    assert response.status_code == 200
    assert response.json()["challenge"]


def test_a_passkey_never_replaces_the_password(client):
    response = client.post("/staff/webauthn/authentication/begin/")

    assert response.status_code == 403
    assert settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False


def test_passkey_pages_run_no_inline_script_and_no_inline_style(caseworker_client):
    session = caseworker_client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()

    html = caseworker_client.get("/staff/two-factor/").content.decode()

    scripts = re.findall(r"<script([^>]*)>", html)
    assert len(scripts) == 3
    for attributes in scripts:  # each loads a file from this site, or holds JSON data
        assert re.search(r'src="/', attributes) or 'type="application/json"' in attributes
    assert " style=" not in html
    assert "<style" not in html


# --- the supervisor's reset -----------------------------------------------------------


@pytest.fixture
def supervisor(db):
    user = UserFactory(username="sam", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "reset_two_factor"])
    )
    return user


def reset_action(client, user):
    return client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [user.pk], "index": 0},
    )


def test_resetting_two_factor_needs_the_permission(caseworker, enrolled):
    _user, _device, _codes = enrolled
    colleague = UserFactory(is_staff=True)
    colleague.user_permissions.set(Permission.objects.filter(codename="view_user"))
    client = login_verified(Client(), colleague)
    session = client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()

    page = client.get("/admin/auth/user/")
    reset_action(client, caseworker)

    assert page.status_code == 200
    assert "reset_two_factor" not in page.content.decode()
    assert StaticDevice.objects.filter(user=caseworker).exists()
    assert "2fa_reset" not in actions()


def test_a_supervisor_resets_a_lost_device_after_re_authenticating(
    caseworker, enrolled, supervisor
):
    victim = login_verified(Client(), caseworker)
    client = login_verified(Client(), supervisor)

    response = reset_action(client, caseworker)
    assert response["Location"].startswith("/staff/reauthenticate/")
    assert TOTPDevice.objects.filter(user=caseworker).exists()

    session = client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()
    response = reset_action(client, caseworker)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    assert not StaticDevice.objects.filter(user=caseworker).exists()
    assert victim.get("/admin/").status_code == 302
    event = AuditEvent.objects.get(action="2fa_reset")
    assert "a supervisor removed your two-factor devices" in mail.outbox[-1].body
    assert (event.actor, event.object_id) == (supervisor, str(caseworker.pk))
    # At the next login, after the password, the caseworker sets up a new device.
    assert password_step(Client())["Location"].startswith("/staff/two-factor/setup/")


def test_a_supervisor_cannot_reset_a_superuser(supervisor):
    boss = UserFactory(is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=boss, name="Phone", confirmed=True)
    client = login_verified(Client(), supervisor)
    session = client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()

    reset_action(client, boss)

    assert TOTPDevice.objects.filter(user=boss, name="Phone").exists()


# --- the demo login -------------------------------------------------------------------


def test_seed_demo_refuses_to_create_a_login_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", "--no-login", stdout=StringIO())  # the families alone are fine


def test_seed_demo_prints_a_demo_login_that_works_with_the_authenticator_key(client, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()
    password = output.split("password: ")[1].split()[0]
    secret = output.split("(TOTP, base32): ")[1].split()[0]

    from base64 import b32decode

    code = f"{totp(b32decode(secret)):06d}"
    password_step(client, "demo.caseworker", password)
    client.post("/staff/login/verify/", {"code": code})

    assert client.get("/admin/cases/family/").status_code == 200


def test_the_login_page_reads_right_to_left_in_uyghur(client):
    html = client.get("/staff/login/", HTTP_ACCEPT_LANGUAGE="ug").content.decode()

    assert '<html lang="ug" dir="rtl">' in html


def test_the_two_factor_page_lists_passkeys(caseworker_client, caseworker):
    from django_otp_webauthn.models import WebAuthnCredential

    WebAuthnCredential.objects.create(
        user=caseworker,
        name="",
        confirmed=True,
        credential_id=b"id",
        public_key=b"key",
        sign_count=0,
        aaguid="00000000-0000-0000-0000-000000000000",
    )

    html = caseworker_client.get("/staff/two-factor/").content.decode()

    assert "Passkey, added" in html
