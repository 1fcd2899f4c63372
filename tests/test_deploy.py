"""Production settings pass `check --deploy`; our checks catch each weakened protection;
the headers they promise reach the browser; logs and error reports carry no personal data."""

import base64
import io
import logging
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.csp import CSP
from django.views.debug import get_exception_reporter_class

from cases import checks
from cases.redaction import RedactPersonalData, redact

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

# What an operator sets in production (README, "Running in production").
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(45)[:60],
    "DJANGO_ALLOWED_HOSTS": "reunite.example.org",
    "DATABASE_URL": "postgres://reunite:s3cret@db.example.org:5432/reunite",
    "EMAIL_URL": "smtp+tls://mailer:s3cret@mail.example.org:587",
    "REUNITE_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "REUNITE_BLIND_INDEX_KEY": secrets.token_urlsafe(40),
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            "DJANGO_ENV_FILE": "/dev/null",  # a developer's .env must not change the outcome
            "PATH": "/usr/bin:/bin",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_a_single_warning():
    result = manage("check", "--deploy", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_check_deploy_fails_when_production_mail_would_only_be_printed():
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "EMAIL_URL": "consolemail://"})

    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_check_deploy_fails_when_hsts_is_shorter_than_a_year():
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "DJANGO_HSTS_SECONDS": "3600"})

    assert result.returncode != 0
    assert "reunite.E010" in result.stderr


# --- Each of our checks, with the production values and then with one weakened -----------

PRODUCTION_SECURITY = {
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def without(items: list[str], item: str) -> list[str]:
    assert item in items
    return [each for each in items if each != item]


def csp_with(**directives) -> dict:
    return {**settings.SECURE_CSP, **{name.replace("_", "-"): v for name, v in directives.items()}}


def templates_without_csp_processor() -> list[dict]:
    template = {**settings.TEMPLATES[0], "OPTIONS": dict(settings.TEMPLATES[0]["OPTIONS"])}
    template["OPTIONS"]["context_processors"] = without(
        template["OPTIONS"]["context_processors"], checks.CSP_CONTEXT_PROCESSOR
    )
    return [template]


def logging_with_an_unfiltered_handler() -> dict:
    config = {**settings.LOGGING, "handlers": dict(settings.LOGGING["handlers"])}
    config["handlers"]["plain_file"] = {"class": "logging.NullHandler"}
    return config


WEAKENED = {
    "csp_middleware_removed": (
        checks.check_content_security_policy,
        lambda: {"MIDDLEWARE": without(settings.MIDDLEWARE, checks.CSP_MIDDLEWARE)},
        "reunite.E001",
    ),
    "csp_empty": (checks.check_content_security_policy, lambda: {"SECURE_CSP": {}}, "reunite.E002"),
    "csp_default_src_any_https": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(default_src=["https:"])},
        "reunite.E002",
    ),
    "csp_without_object_src": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(object_src=None)},
        "reunite.E002",
    ),
    "csp_base_uri_self": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(base_uri=[CSP.SELF])},
        "reunite.E002",
    ),
    "csp_framing_allowed": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(frame_ancestors=[CSP.SELF])},
        "reunite.E002",
    ),
    "csp_forms_post_anywhere": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(form_action=["*"])},
        "reunite.E002",
    ),
    "csp_unsafe_inline_scripts": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(script_src=[CSP.SELF, CSP.NONCE, CSP.UNSAFE_INLINE])},
        "reunite.E003",
    ),
    "csp_unsafe_eval": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(script_src=[CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL])},
        "reunite.E003",
    ),
    "csp_scripts_without_nonce": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(script_src=[CSP.SELF])},
        "reunite.E003",
    ),
    "csp_third_party_font_host": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(font_src=[CSP.SELF, "https://fonts.example.com"])},
        "reunite.E004",
    ),
    "csp_third_party_script_host": (
        checks.check_content_security_policy,
        lambda: {"SECURE_CSP": csp_with(script_src=[CSP.SELF, CSP.NONCE, "cdn.example.com"])},
        "reunite.E004",
    ),
    "csp_nonce_not_in_templates": (
        checks.check_content_security_policy,
        lambda: {"TEMPLATES": templates_without_csp_processor()},
        "reunite.E005",
    ),
    "hsts_one_hour": (
        checks.check_strict_transport_security,
        lambda: {"SECURE_HSTS_SECONDS": 3600},
        "reunite.E010",
    ),
    "hsts_without_subdomains": (
        checks.check_strict_transport_security,
        lambda: {"SECURE_HSTS_INCLUDE_SUBDOMAINS": False},
        "reunite.E010",
    ),
    "session_cookie_over_http": (
        checks.check_secure_cookies,
        lambda: {"SESSION_COOKIE_SECURE": False},
        "reunite.E011",
    ),
    "csrf_cookie_over_http": (
        checks.check_secure_cookies,
        lambda: {"CSRF_COOKIE_SECURE": False},
        "reunite.E011",
    ),
    "session_cookie_readable_by_scripts": (
        checks.check_secure_cookies,
        lambda: {"SESSION_COOKIE_HTTPONLY": False},
        "reunite.E011",
    ),
    "framing_from_same_origin": (
        checks.check_no_framing,
        lambda: {"X_FRAME_OPTIONS": "SAMEORIGIN"},
        "reunite.E012",
    ),
    "referrer_sent_to_other_sites": (
        checks.check_referrer_policy,
        lambda: {"SECURE_REFERRER_POLICY": "strict-origin-when-cross-origin"},
        "reunite.E013",
    ),
    "staff_pages_cacheable": (
        checks.check_staff_pages_are_not_cached,
        lambda: {"MIDDLEWARE": without(settings.MIDDLEWARE, checks.NO_STORE_MIDDLEWARE)},
        "reunite.E014",
    ),
    "django_default_error_reports": (
        checks.check_personal_data_stays_out_of_logs,
        lambda: {
            "DEFAULT_EXCEPTION_REPORTER_FILTER": "django.views.debug.SafeExceptionReporterFilter"
        },
        "reunite.E015",
    ),
    "a_log_handler_without_the_filter": (
        checks.check_personal_data_stays_out_of_logs,
        lambda: {"LOGGING": logging_with_an_unfiltered_handler()},
        "reunite.E016",
    ),
}


@pytest.mark.parametrize(
    ("check", "weaken", "error_id"), WEAKENED.values(), ids=list(WEAKENED.keys())
)
def test_each_deploy_check_passes_in_production_and_fires_when_its_setting_is_weakened(
    check, weaken, error_id
):
    with override_settings(**PRODUCTION_SECURITY):
        assert check() == []
        with override_settings(**weaken()):
            found = [message.id for message in check()]

    assert error_id in found


def test_every_deploy_check_of_ours_is_registered_for_check_deploy():
    from django.core.checks import registry

    deploy_checks = registry.registry.get_checks(include_deployment_checks=True)
    ours = {
        checks.check_content_security_policy,
        checks.check_strict_transport_security,
        checks.check_secure_cookies,
        checks.check_no_framing,
        checks.check_referrer_policy,
        checks.check_staff_pages_are_not_cached,
        checks.check_personal_data_stays_out_of_logs,
    }

    assert ours <= set(deploy_checks)


# --- Headers on real responses --------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_admin_pages_send_a_strict_csp_whose_nonce_their_scripts_carry(caseworker, client, login):
    login(client, caseworker)

    response = client.get("/admin/cases/family/")

    assert response.status_code == 200
    policy = csp_directives(response.headers["Content-Security-Policy"])
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    nonces = [source for source in script_src if source.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert f'<script src="/static/admin/js/theme.js" nonce="{nonce}">' in response.text
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_each_response_gets_a_new_nonce(caseworker, client, login):
    login(client, caseworker)

    first = client.get("/admin/").headers["Content-Security-Policy"]
    second = client.get("/admin/").headers["Content-Security-Policy"]

    assert re.search(r"'nonce-[^']+'", first)
    assert first != second


def test_even_the_public_redirect_and_login_pages_send_the_csp(client):
    for url in ["/", "/staff/login/"]:
        assert "frame-ancestors 'none'" in client.get(url).headers["Content-Security-Policy"]


def test_admin_pages_are_never_stored_by_browsers_or_proxies(caseworker, client, login):
    login(client, caseworker)

    response = client.get("/admin/cases/family/")

    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Pragma"] == "no-cache"


def test_staff_login_page_is_never_stored_even_for_anonymous_visitors(client):
    response = client.get("/staff/login/")

    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Pragma"] == "no-cache"


def test_any_response_to_signed_in_staff_is_never_stored(caseworker, client, login):
    login(client, caseworker)

    response = client.get("/")  # outside /admin/ and /staff/

    assert "no-store" in response.headers["Cache-Control"]


def test_public_responses_to_anonymous_visitors_keep_their_caching(client):
    response = client.get("/")

    assert "Cache-Control" not in response.headers
    assert "Pragma" not in response.headers


def test_pages_cannot_be_framed_or_leak_the_referrer(client):
    response = client.get("/staff/login/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


# --- Logs --------------------------------------------------------------------------------


@pytest.fixture
def log_output():
    """What the configured log handlers (settings.LOGGING) write, captured."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    ]
    assert handlers, "no root log handler carries the personal-data filter"
    stream = io.StringIO()
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_logged_messages_lose_email_addresses_and_phone_numbers(log_output):
    logging.getLogger("cases.test").warning(
        "Relative %s reachable at %s, case %s", "gulnar.ehmet@example.org", "+86 138 0013 8000", 42
    )

    output = log_output.getvalue()
    assert "gulnar.ehmet@example.org" not in output
    assert "138 0013 8000" not in output
    assert "Relative [redacted] reachable at [redacted], case 42" in output


def test_logged_tracebacks_lose_email_addresses_and_phone_numbers(log_output):
    try:
        raise ValueError("duplicate contact: aziz@example.org, 13800138000")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /admin/")

    output = log_output.getvalue()
    assert "ValueError: duplicate contact: [redacted], [redacted]" in output
    assert "aziz@example.org" not in output
    assert "13800138000" not in output


def test_django_request_lines_go_through_the_filter(log_output):
    logging.getLogger("django.server").info('"GET /admin/cases/person/?q=Gulnar HTTP/1.1" 200 12')

    assert "?q=[redacted]" in log_output.getvalue()
    assert "Gulnar" not in log_output.getvalue()


def test_request_lines_keep_their_status_code_and_size(log_output):
    logging.getLogger("django.server").info('"%s" %s %s', "GET /staff/login/ HTTP/1.1", 200, 2797)
    logging.getLogger("cases.test").info("Called %s", 8613800138000)

    assert '"GET /staff/login/ HTTP/1.1" 200 2797' in log_output.getvalue()
    assert "8613800138000" not in log_output.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "Family F-2026-0042 changed",
        "Cleaned up entries older than 2026-11-21 21:19:45.123456+00:00",
        "Exported 1234 rows in 56 ms",
        # A UUID whose first group happens to be all digits (one in 43).
        "export download 10389419-da19-4034-b8a3-f2474788d77d failed",
        "upload 12345678-1234-4234-8234-123456789012 deleted",
    ],
)
def test_redaction_keeps_case_references_dates_uuids_and_small_numbers(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "phone", ["+86 138 0013 8000", "(0991) 555-0134", "13800138000", "+1-202-555-0147"]
)
def test_redaction_removes_phone_numbers_in_their_usual_shapes(phone):
    assert redact(f"call {phone} today") == "call [redacted] today"


# --- Error reports and error pages ------------------------------------------------------

POSTED = {
    "name_latin": "Gulnar Ehmet",
    "contact_phone": "+86 138 0013 8000",
    "email": "gulnar.ehmet@example.org",
    "internal_notes": "Held in Aksu since 2017",
}


def report_for_a_failed_post(rf, **extra):
    request = rf.post("/admin/cases/person/add/?q=Ehmet+Aksu", POSTED, **extra)
    request.COOKIES["sessionid"] = "session-cookie-value-123"
    request.COOKIES["csrftoken"] = "csrf-cookie-value-456"
    try:
        form_data = request.POST.copy()  # noqa: F841  (a local variable in the traceback)
        raise ValueError(f"could not save {POSTED['email']}")
    except ValueError:
        exc_info = sys.exc_info()
    reporter = get_exception_reporter_class(request)(request, *exc_info, is_email=True)
    return reporter.get_traceback_html() + reporter.get_traceback_text()


@pytest.mark.parametrize("debug", [False, True])
def test_an_error_report_for_a_post_contains_none_of_the_posted_values(rf, settings, debug):
    settings.DEBUG = debug

    report = report_for_a_failed_post(rf)

    assert "name_latin" in report  # the report still says which fields came
    for value in [*POSTED.values(), "Gulnar", "Ehmet", "Aksu"]:
        assert value not in report
    assert "session-cookie-value-123" not in report
    assert "csrf-cookie-value-456" not in report


def test_an_error_report_hides_the_address_it_came_from_and_sensitive_settings(rf):
    report = report_for_a_failed_post(rf, REMOTE_ADDR="203.0.113.7", HTTP_REFERER="/x?q=Aksu")

    assert "203.0.113.7" not in report
    assert settings.SECRET_KEY not in report
    for key in getattr(settings, "REUNITE_ENCRYPTION_KEYS", []):
        assert key not in report


def test_the_404_page_repeats_nothing_from_the_request(client):
    response = client.get("/no-such-page-Gulnar/?q=Ehmet")

    assert response.status_code == 404
    assert "Gulnar" not in response.text
    assert "Ehmet" not in response.text
    assert '<html lang="en" dir="ltr">' in response.text


def test_the_404_page_is_right_to_left_in_uyghur(client):
    response = client.get("/no-such-page/", headers={"accept-language": "ug"})

    assert '<html lang="ug" dir="rtl">' in response.text
    assert "بەت تېپىلمىدى" in response.text  # "Page not found"


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ug", "rtl")])
def test_the_500_page_renders_without_a_request_in_the_current_language(language, direction):
    from django.test import RequestFactory
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override(language):
        response = server_error(RequestFactory().get("/admin/?q=Gulnar"))

    text = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}" dir="{direction}">' in text
    assert "Gulnar" not in text
