"""What a staff session knows about its login, kept in the session itself."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Unix timestamps (seconds) in the session.
LOGIN_AT = "reunite_login_at"  # password accepted: the absolute timeout counts from here
LAST_SEEN = "reunite_last_seen"  # last request: the idle timeout counts from here
AUTHENTICATED_AT = "reunite_authenticated_at"  # password and second factor last proven
REAUTH_PASSWORD_AT = "reunite_reauth_password_at"  # re-authentication: password step done
# Recovery codes waiting to be shown once, then removed from the session.
NEW_RECOVERY_CODES = "reunite_new_recovery_codes"


def now() -> float:
    return time.time()


def is_verified(user: Any) -> bool:
    """Logged in and past the second factor in this session (django-otp's OTPMiddleware)."""
    if not getattr(user, "is_authenticated", False):
        return False
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def seconds_since(request: HttpRequest, key: str) -> float | None:
    value = request.session.get(key)
    return None if value is None else now() - float(value)


def recently_authenticated(request: HttpRequest, max_age: int = 300) -> bool:
    """Password and second factor proven in this session within `max_age` seconds."""
    age = seconds_since(request, AUTHENTICATED_AT)
    return is_verified(request.user) and age is not None and 0 <= age <= max_age


def safe_next_url(request: HttpRequest, url: str | None, *, default: str) -> str:
    """`url` if it points at this site (same host, no scheme switch), else `default`."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def next_from(request: HttpRequest, *, default: str) -> str:
    """The safe `next` of a GET or POST request."""
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    return safe_next_url(request, url, default=default)
