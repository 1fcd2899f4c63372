"""Guards for staff views: a verified session, and a recent proof of identity."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from cases.accounts.state import is_verified, recently_authenticated

View = Callable[..., HttpResponse]

DEFAULT_MAX_AGE = 300  # seconds


def allow_unverified(view: View) -> View:
    """Mark a view of the login flow that a password-only session may reach."""
    view.allows_unverified_session = True  # type: ignore[attr-defined]
    return view


def _refuse_unless_verified_staff(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not is_verified(user):
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    return None


def verified_staff_required(view: View) -> View:
    """Only an active staff member whose session passed the second factor gets through."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refuse_unless_verified_staff(request) or view(request, *args, **kwargs)

    return wrapper


def require_recent_authentication(
    request: HttpRequest, max_age: int = DEFAULT_MAX_AGE
) -> HttpResponse | None:
    """None if the user proved password and second factor within `max_age` seconds;
    otherwise a redirect to the re-authentication page, which comes back here after.

    For admin actions and other code that is not a whole view:

        if (response := require_recent_authentication(request)) is not None:
            return response
    """
    if recently_authenticated(request, max_age):
        return None
    return redirect_to_login(request.get_full_path(), resolve_url("staff:reauthenticate"))


def recent_authentication_required(
    view: View | None = None, *, max_age: int = DEFAULT_MAX_AGE
) -> Any:
    """Decorator: verified staff who proved password and second factor within `max_age`
    seconds (at login or on the re-authentication page). Others are sent to prove it.

        @recent_authentication_required
        def view(request): ...

        @recent_authentication_required(max_age=120)
        def view(request): ...
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return (
                _refuse_unless_verified_staff(request)
                or require_recent_authentication(request, max_age)
                or view(request, *args, **kwargs)
            )

        return wrapper

    return decorate(view) if view is not None else decorate
