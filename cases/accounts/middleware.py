"""Session timeouts, and no way past the login flow for a password-only session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from cases.accounts import state

LOGOUT_REASON = "reunite_logout_reason"  # request attribute read by the logout signal


class SessionTimeoutMiddleware:
    """Logs out a session idle for SESSION_COOKIE_AGE seconds, or older than
    SESSION_ABSOLUTE_TIMEOUT seconds since its password login. A session without a
    login time (from before this code) is logged out too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = self.expired(request)
            if reason:
                setattr(request, LOGOUT_REASON, reason)
                logout(request)
                # logout() installs a plain AnonymousUser; the OTP middleware's view of it:
                request.user.otp_device = None  # type: ignore[union-attr]
                request.user.is_verified = lambda: False  # type: ignore[union-attr]
                messages.info(request, _("Your session has ended. Please log in again."))
            else:
                request.session[state.LAST_SEEN] = state.now()
        return self.get_response(request)

    @staticmethod
    def expired(request: HttpRequest) -> str:
        since_login = state.seconds_since(request, state.LOGIN_AT)
        idle = state.seconds_since(request, state.LAST_SEEN)
        if since_login is None or since_login > settings.SESSION_ABSOLUTE_TIMEOUT:
            return "absolute session timeout"
        if idle is not None and idle > settings.SESSION_COOKIE_AGE:
            return "idle session timeout"
        return ""


class SecondFactorRequiredMiddleware:
    """A session that passed the password but not the second factor may reach only the
    views of the login flow (marked with `allow_unverified`); anything else sends it
    back to the login, which asks for the second factor."""

    ALWAYS_ALLOWED: frozenset[Any] = frozenset({set_language})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or state.is_verified(user):
            return None
        if getattr(view_func, "allows_unverified_session", False):
            return None
        if view_func in self.ALWAYS_ALLOWED:
            return None
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
