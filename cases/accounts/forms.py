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

from cases.accounts.devices import normalise_code, verify_code

THROTTLED = _("Too many wrong codes. Wait a minute, then try again.")


class StaffAuthenticationForm(AuthenticationForm):
    """Django's login form for staff only. A correct password on an account that is
    not staff gets the same error as a wrong one."""

    # Our own wording, so the message is whole in every language we ship.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. Both are case-sensitive."
        ),
    }

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
    """Sends a reset link only to active staff; the page after says the same either way."""

    def get_users(self, email: str) -> Any:
        return (user for user in super().get_users(email) if user.is_staff)
