"""The staff login flow: password → second factor (or enrolment) → the admin.

Also re-authentication, recovery codes, and Django's password change and reset views
with our templates. Every view a password-only session may reach is marked
`allow_unverified`; SecondFactorRequiredMiddleware keeps it out of everything else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from cases import crypto
from cases.accounts import devices, flow, slowdown, state
from cases.accounts.decorators import (
    allow_unverified,
    recent_authentication_required,
    require_recent_authentication,
    verified_staff_required,
)
from cases.accounts.forms import (
    AuthenticatorSetupForm,
    PasswordAgainForm,
    SecondFactorForm,
    StaffAuthenticationForm,
    StaffPasswordResetForm,
)
from cases.accounts.tasks import send_password_reset
from cases.accounts.throttling import password_reset_throttled

LOW_ON_RECOVERY_CODES = 3


def _default_next() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def _second_step(user: Any, next_url: str) -> HttpResponse:
    if devices.has_confirmed_device(user):
        return redirect(_with_next("staff:verify", next_url))
    return redirect(_with_next("staff:two_factor_setup", next_url))


@allow_unverified
@sensitive_post_parameters()
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Step one: username and password. Wrong password, unknown name, inactive or
    non-staff account: one and the same answer. django-axes counts the failures."""
    next_url = state.next_from(request, default=_default_next())
    user = request.user
    if user.is_authenticated and request.method != "POST":
        return redirect(next_url) if state.is_verified(user) else _second_step(user, next_url)
    form = StaffAuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        auth_login(request, form.get_user())  # rotates the session key
        return _second_step(form.get_user(), next_url)
    context = {
        "form": form,
        "next": next_url,
        # While the username is slowed down (cases/accounts/slowdown.py): the challenge
        # that static/js/proof-of-work.js solves before the form goes back.
        "proof_of_work": form.proof_of_work_challenge,
        "proof_of_work_field": slowdown.FIELD,
    }
    return render(request, "registration/login.html", context)


@allow_unverified
@sensitive_post_parameters()
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app, a recovery code, or a passkey."""
    next_url = state.next_from(request, default=_default_next())
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
    if state.is_verified(user):
        return redirect(next_url)
    if not devices.has_confirmed_device(user):
        return redirect(_with_next("staff:two_factor_setup", next_url))
    form = SecondFactorForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            flow.complete_login(request, form.device, detail=_device_kind(form.device))
            _warn_if_few_recovery_codes(request)
            return redirect(next_url)
        flow.record_second_factor_failure(request, detail="code at login")
    context = {"form": form, "next": next_url, "has_passkey": devices.has_passkey(user)}
    return render(request, "staff/verify.html", context)


@allow_unverified
@sensitive_post_parameters()
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: at the first login (or the first after a reset),
    or later to replace the app, which needs a fresh password and second factor."""
    user = request.user
    next_url = state.next_from(request, default=reverse("staff:two_factor"))
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    if not user.is_staff:
        raise PermissionDenied
    enrolling = not devices.has_confirmed_device(user)
    if not enrolling:
        if not state.is_verified(user):
            # Has a device but only gave the password: no new device without the old one.
            return redirect(_with_next("staff:verify", request.get_full_path()))
        if (response := require_recent_authentication(request)) is not None:
            return response
    device = devices.authenticator_for_enrolment(user, fresh=request.method != "POST")
    form = AuthenticatorSetupForm(request.POST or None, device=device)
    if form.is_valid():
        devices.authenticator_confirm(device=device, request=request)
        if enrolling:
            codes = devices.recovery_codes_replace(user=user)
            flow.complete_login(request, device, detail="enrolment")
            request.session[state.NEW_RECOVERY_CODES] = codes
            return redirect(_with_next("staff:recovery_codes_new", next_url))
        otp_login(request, device)  # the device this session was verified with is gone
        messages.success(request, _("Your new authenticator app is set up."))
        return redirect("staff:two_factor")
    config_url = device.config_url
    context = {
        "form": form,
        "next": next_url,
        "enrolling": enrolling,
        "qr_code": devices.qr_code_svg(config_url),
        "secret": devices.secret_base32(device),
    }
    return render(request, "staff/two_factor_setup.html", context)


@verified_staff_required
@never_cache
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: they leave the session as this page is drawn."""
    codes = request.session.pop(state.NEW_RECOVERY_CODES, None)
    if not codes:
        return redirect("staff:two_factor")
    next_url = state.next_from(request, default=reverse("staff:two_factor"))
    return render(request, "staff/recovery_codes_new.html", {"codes": codes, "next": next_url})


@recent_authentication_required
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace all recovery codes (the old ones stop working)."""
    if request.method == "POST":
        codes = devices.recovery_codes_replace(user=request.user, request=request)
        request.session[state.NEW_RECOVERY_CODES] = codes
        return redirect("staff:recovery_codes_new")
    context = {"codes_left": devices.recovery_codes_left(request.user)}
    return render(request, "staff/recovery_codes.html", context)


@verified_staff_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """What protects this account, and the ways to change it."""
    user = request.user
    context = {
        "has_authenticator": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True),
        "codes_left": devices.recovery_codes_left(user),
        "can_add_passkey": state.recently_authenticated(request),
    }
    return render(request, "staff/two_factor.html", context)


@verified_staff_required
@sensitive_post_parameters()
@never_cache
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Before a sensitive action: the password, then a second factor, again."""
    next_url = state.next_from(request, default=reverse("staff:two_factor"))
    user = request.user
    if not flow.password_step_fresh(request):
        form: Any = PasswordAgainForm(request.POST or None, request=request)
        if form.is_valid():
            request.session[state.REAUTH_PASSWORD_AT] = state.now()
            return redirect(_with_next("staff:reauthenticate", next_url))
        step = "password"
    else:
        form = SecondFactorForm(request.POST or None, user=user)
        if request.method == "POST":
            if form.is_valid():
                flow.complete_reauthentication(
                    request, form.device, detail=_device_kind(form.device)
                )
                return redirect(next_url)
            flow.record_second_factor_failure(request, detail="code at re-authentication")
        step = "second_factor"
    context = {
        "form": form,
        "step": step,
        "next": next_url,
        "has_passkey": step == "second_factor" and devices.has_passkey(user),
    }
    return render(request, "staff/reauthenticate.html", context)


def _device_kind(device: Any) -> str:
    return "recovery code" if isinstance(device, StaticDevice) else "authenticator app"


def _warn_if_few_recovery_codes(request: HttpRequest) -> None:
    left = devices.recovery_codes_left(request.user)
    if left <= LOW_ON_RECOVERY_CODES:
        messages.warning(
            request,
            ngettext(
                "Only %(count)d recovery code left: make new ones on your two-factor page.",
                "Only %(count)d recovery codes left: make new ones on your two-factor page.",
                left,
            )
            % {"count": left},
        )


logout = allow_unverified(auth_views.LogoutView.as_view())


@method_decorator(verified_staff_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's: validators apply, and only this session survives the new password."""

    success_url = reverse_lazy("staff:password_change_done")


password_change = PasswordChangeView.as_view()
password_change_done = verified_staff_required(auth_views.PasswordChangeDoneView.as_view())


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, but the mail leaves from a task (cases/accounts/tasks.py), and
    requests are throttled per address typed and per client (cases/accounts/throttling.py).

    Every request that is not throttled enqueues one task carrying the address,
    encrypted, whether or not it belongs to anyone: the lookup happens in the worker,
    so the answer takes as long either way. Staff, unknown, non-staff and throttled
    addresses all get the same redirect to the same page. The address is never logged."""

    form_class = StaffPasswordResetForm
    success_url = reverse_lazy("staff:password_reset_done")

    def form_valid(self, form: StaffPasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        if not password_reset_throttled(self.request, email):
            send_password_reset.enqueue(
                email_token=crypto.encrypt(email),
                domain=self.request.get_host(),
                use_https=self.request.is_secure(),
                language=get_language() or settings.LANGUAGE_CODE,
            )
        return HttpResponseRedirect(self.get_success_url())


password_reset = allow_unverified(PasswordResetView.as_view())
password_reset_done = allow_unverified(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = allow_unverified(
    auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("staff:password_reset_complete")
    )
)
password_reset_complete = allow_unverified(auth_views.PasswordResetCompleteView.as_view())
