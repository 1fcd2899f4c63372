"""Forms of the staff login flow. Error messages never say whether an account exists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import ratelimit
from cases.accounts import slowdown
from cases.accounts.devices import normalise_code, verify_code

THROTTLED = _("Too many wrong codes. Wait a minute, then try again.")


class StaffAuthenticationForm(AuthenticationForm):
    """Django's login form for staff only. A correct password on an account that is
    not staff gets the same error as a wrong one.

    Every failure counts towards the username's slow-down (cases/accounts/slowdown.py).
    While it holds, the password is checked only after a solved proof-of-work challenge;
    `proof_of_work_challenge` is then the next challenge for the page to show."""

    # Our own wording, so the message is whole in every language we ship.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. Both are case-sensitive."
        ),
        "proof_of_work": _(
            "Your password was not checked yet: first your browser has to finish a short "
            "calculation. Enter your password again and choose Continue."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proof_of_work_challenge: dict[str, Any] | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        if slowdown.is_slowed(username) and not slowdown.solution_accepted(
            self.data.get(slowdown.FIELD), username
        ):
            self.proof_of_work_challenge = slowdown.new_challenge(username)
            raise forms.ValidationError(self.error_messages["proof_of_work"], code="proof_of_work")
        try:
            return super().clean()
        except forms.ValidationError:
            slowdown.record_failure(self.request, username)
            if slowdown.is_slowed(username):
                self.proof_of_work_challenge = slowdown.new_challenge(username)
            raise

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class CodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        attrs = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        super().__init__(
            label=kwargs.pop("label", _("Code")),
            max_length=32,
            widget=forms.TextInput(attrs=attrs),
            **kwargs,
        )


class SecondFactorForm(forms.Form):
    """A code from the authenticator app, or one of the recovery codes."""

    code = CodeField(
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes.")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.device: Device | None = None

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        self.device, throttled = verify_code(self.user, code)
        if self.device is None:
            raise forms.ValidationError(THROTTLED if throttled else _("That code is not valid."))
        return code


class AuthenticatorSetupForm(forms.Form):
    """The first code of a new authenticator app proves it was set up right."""

    code = CodeField(label=_("Code from the app"))

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        allowed, _info = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(THROTTLED)
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                _("That code is not valid. Check the time on your phone, then try the next code.")
            )
        return code


class PasswordAgainForm(forms.Form):
    """Re-authentication, step one. Goes through authenticate(), so django-axes counts
    and throttles wrong passwords here as on the login page."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(_("That password is not correct."))
        return password


class StaffPasswordResetForm(PasswordResetForm):
    """Sends a reset link only to active staff, and to one account at most
    MAILS_PER_ACCOUNT an hour however the requests were spread (counted where the mail
    leaves, in cases/accounts/tasks.py). The page after says the same either way."""

    MAILS_PER_ACCOUNT = 3

    def get_users(self, email: str) -> Any:
        return (
            user
            for user in super().get_users(email)
            if user.is_staff
            and not ratelimit.hit(
                ("password-reset-mail", str(user.pk)), limit=self.MAILS_PER_ACCOUNT, window=3600
            )
        )
