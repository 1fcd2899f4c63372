"""Real-browser tests: Debian's Chromium, driven by Playwright, against `live_server`.

`playwright install` downloads browsers, which cannot happen here, so the tests launch
the system's Chromium (`apt-get install chromium`). Without it they are skipped, unless
REUNITE_REQUIRE_BROWSER=1 (CI sets it), which turns the skip into a failure.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread for the rest of the session;
# Django would then refuse the tests' (and live_server's) synchronous database calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The binary itself, not the /usr/bin/chromium shell wrapper, which adds its own flags.
CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """REUNITE_CHROMIUM if set (another build or distribution), else Debian's binary."""
    configured = os.environ.get("REUNITE_CHROMIUM")
    for candidate in [configured] if configured else CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system's Chromium."""
    executable = find_chromium()
    if executable is None:
        message = "Chromium not found (apt-get install chromium); browser tests not run"
        if os.environ.get("REUNITE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}, but REUNITE_REQUIRE_BROWSER=1.", pytrace=False)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    Otherwise it may start first, see no in-memory SQLite database to share, and let
    each request thread open (and leak) a connection of its own.
    """
    return live_server


@pytest.fixture(scope="session")
def base_url():
    """No base URL: tests use live_server.url. Replaces pytest-playwright's fallback
    fixture, a method that pytest 9 deprecates. (Depending on live_server here would
    start it before the test database exists.)"""
    return None


@pytest.fixture
def sign_in(live_server, context, login):
    """Give the browser the session of a staff member who passed both factors.

    The test client logs in (tests/conftest.py's `login`); its session cookie is
    handed to the browser, so the browser needs no password and no code.
    """

    def sign_in_as(user) -> None:
        client = login(Client(), user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return sign_in_as
