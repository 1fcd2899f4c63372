"""Settings are read at import, so each case runs in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 60
PRODUCTION_KEYS = {
    # Fernet key: 32 bytes, url-safe base64 (tests/test_crypto.py covers these).
    "REUNITE_ENCRYPTION_KEYS": "dGVzdHMtb25seS1rZXktbmV2ZXItdXNlLWZvci11c2U=",
    "REUNITE_BLIND_INDEX_KEY": "b" * 40,
}


def load_settings(env: dict[str, str], expression: str = "None") -> subprocess.CompletedProcess:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({expression}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "reunite.settings",
            "DJANGO_ENV_FILE": "/dev/null",  # a developer's .env must not change the outcome
            "PATH": "/usr/bin:/bin",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings({"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "reunite.example"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": GOOD_KEY})

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_a_key_and_hosts_and_turns_on_secure_cookies():
    result = load_settings(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "reunite.example",
            **PRODUCTION_KEYS,
        },
        "[settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS]",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True, 31536000]


@pytest.mark.parametrize("host", ["db.example.org", "10.0.0.5"])
def test_debug_is_refused_with_a_database_on_another_host(host):
    result = load_settings({"DJANGO_DEBUG": "true", "DATABASE_URL": f"postgres://u:p@{host}/r"})

    assert result.returncode != 0
    assert "DJANGO_DEBUG is on with a database on another host" in result.stderr


def test_development_defaults_to_sqlite_and_console_mail():
    result = load_settings(
        {},
        "[settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.MAILERS]",
    )

    assert result.returncode == 0, result.stderr
    debug, engine, mailers = json.loads(result.stdout)
    assert debug is True
    assert engine == "django.db.backends.sqlite3"
    assert mailers["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_email_url_is_mapped_onto_a_mailer():
    result = load_settings(
        {"EMAIL_URL": "smtp+tls://mailer:s3cret@mail.example.org:587"}, "settings.MAILERS"
    )

    assert result.returncode == 0, result.stderr
    mailer = json.loads(result.stdout)["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "mail.example.org",
        "port": 587,
        "username": "mailer",
        "password": "s3cret",
        "use_tls": True,
    }


def test_a_postgresql_database_without_djangodebug_runs_as_production():
    # The reviewer's case: a deployment that forgot DJANGO_DEBUG on a local PostgreSQL.
    result = load_settings(
        {
            "DATABASE_URL": "postgres://reunite@localhost/reunite",
            "DJANGO_ALLOWED_HOSTS": "reunite.example.org",
        }
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_is_refused_when_allowed_hosts_name_a_public_host():
    result = load_settings({"DJANGO_DEBUG": "true", "DJANGO_ALLOWED_HOSTS": "reunite.example.org"})

    assert result.returncode != 0
    assert "names public hosts" in result.stderr


@pytest.mark.parametrize(
    ("proxies", "header"), [("0", None), ("1", ["HTTP_X_FORWARDED_PROTO", "https"])]
)
def test_only_a_declared_proxy_may_say_the_connection_was_https(proxies, header):
    result = load_settings(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "reunite.example",
            "REUNITE_TRUSTED_PROXIES": proxies,
            **PRODUCTION_KEYS,
        },
        "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == header
