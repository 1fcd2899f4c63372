"""Passkeys (django-otp-webauthn), as a second factor only, under /staff/webauthn/.

The package's views with our rules: no passwordless login (the settings turn it off and
`check_can_authenticate` insists); a new passkey only from a session that proved
password and second factor within the last minutes; audit rows for every outcome.
The URL names stay in the package's "otp_webauthn" namespace, which its script tags use.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from cases.accounts import flow, state
from cases.accounts.decorators import allow_unverified
from cases.accounts.devices import tell_the_owner
from cases.audit import audit_record
from cases.models import AuditEvent


class ReauthenticationRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = _("Confirm your password and second factor again, then add the passkey.")
    default_code = "reauthentication_required"


class StaffOnly(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = _("Log in with your password first.")
    default_code = "not_allowed"


class RecentlyAuthenticatedOnly:
    def check_can_register(self) -> None:
        super().check_can_register()  # type: ignore[misc]
        if not state.recently_authenticated(self.request):  # type: ignore[attr-defined]
            raise ReauthenticationRequired()


class BeginRegistration(RecentlyAuthenticatedOnly, BeginCredentialRegistrationView):
    pass


class CompleteRegistration(RecentlyAuthenticatedOnly, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        audit_record(
            action=AuditEvent.Action.TWO_FACTOR_ENROLLED,
            request=self.request,
            obj=self.request.user,
            detail="passkey",
        )
        tell_the_owner(self.request.user, "a passkey was added")
        return response


class PasswordFirst:
    def check_can_authenticate(self) -> None:
        user = self.request.user  # type: ignore[attr-defined]
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise StaffOnly()


class BeginAuthentication(PasswordFirst, BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(PasswordFirst, CompleteCredentialAuthenticationView):
    """Second step of a login, or of a re-authentication whose password step is fresh."""

    def complete_auth(self, device: Any) -> None:
        request = self.request
        was_verified = state.is_verified(request.user)
        super().complete_auth(device)
        if not was_verified:
            flow.complete_login(request, device, detail="passkey")
        elif flow.password_step_fresh(request):
            flow.complete_reauthentication(request, device, detail="passkey")

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and self.request.user.is_authenticated:
            flow.record_second_factor_failure(self.request, detail="passkey")
        return super().handle_exception(exc)


app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        BeginRegistration.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        allow_unverified(BeginAuthentication.as_view()),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        allow_unverified(CompleteAuthentication.as_view()),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        allow_unverified(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="js-i18n-catalog",
    ),
]
