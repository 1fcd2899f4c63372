"""The public sign form, and the form that asks for a confirmation link again.

`SignForm()` needs no arguments: the petition page (cases.public.views) renders it once
per language into its cached copy. Its country starts at the country of the page's
language, and it carries:

- a honeypot (`website`), in a part of the form that is `hidden` for people and
  assistive technology: a bot that fills it in gets the usual page and a `suspect`
  signature, and no mail goes to the address it typed;
- `issued`, a signed time of drawing (with the whole-page cache, the time the cached
  copy was drawn: a lower bound on how long the form has been open), and `elapsed`,
  the milliseconds static/js/sign.js measured between showing the page and sending
  it. A form sent sooner than MIN_SECONDS after either, or without a genuine
  `issued`, makes a `suspect` signature.

The name is a name like every other in Reunite (cases.text: normalised, no invisible
or direction-changing characters, no symbols or markup, one script per word), plus
what a signer's name in particular must not be: a spreadsheet formula (a first
character of = + - @, as the delivery pack's CSV is opened in spreadsheets) or a web
address.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.exports.cells import FORMULA_STARTS
from cases.text import (
    DIRECTION_CONTROLS,
    NameFormField,
    validate_name,
    validate_one_script_per_word,
)

MIN_SECONDS = 3  # nobody types a name and an address faster
_ISSUED_SALT = "reunite.public.sign-form.issued"

# The country a page's language suggests. Uyghur and Chinese readers live in too many
# countries to guess one, and suggesting China to either would be wrong and alarming:
# they choose.
LANGUAGE_COUNTRIES = {
    "en": "GB",
    "tr": "TR",
    "kk": "KZ",
    "fr": "FR",
    "nl-be": "BE",
    "it": "IT",
}

# A scheme, "www.", or a word ending in a common top-level domain: "example.com/x".
WEB_ADDRESS = re.compile(
    r"[a-z][a-z0-9+.-]*://|\bwww\.|[\w-]\.(?:com|net|org|info|biz|io|co|me|ru|cn|xyz|top|site"
    r"|online|app|link|ly|gl|tk|de|fr|nl|be|it|tr|kz|uk|us|eu)\b",
    re.IGNORECASE,
)


def validate_signer_name(value: str) -> None:
    if value[:1] in FORMULA_STARTS:  # what a spreadsheet runs as a formula
        raise ValidationError(_("A name cannot start with =, +, - or @."), code="formula_start")
    if WEB_ADDRESS.search(value):
        raise ValidationError(_("Leave web addresses out of your name."), code="web_address")


def validate_comment(value: str) -> None:
    """Free text on several lines, but no direction controls or control characters."""
    refused = {
        c
        for c in value
        if c in DIRECTION_CONTROLS or (ord(c) < 32 and c not in "\n\r\t") or 127 <= ord(c) < 160
    }
    if refused:
        raise ValidationError(
            _("Remove the invisible or control characters: %(chars)s."),
            code="hidden_characters",
            params={"chars": ", ".join(f"U+{ord(c):04X}" for c in sorted(refused))},
        )


def _country_choices() -> list[tuple[str, str]]:
    return [("", _("Choose your country")), *((code, name) for code, name in countries)]


class CountryChoiceField(forms.ChoiceField):
    """The choices above, but a posted code is checked against the country codes
    themselves: the same answer as going through the choices, without translating and
    sorting some 250 country names for every signature."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in countries


def issue_stamp(at: float | None = None) -> str:
    """The signed time a form was drawn (`at`, or now)."""
    return signing.dumps(int(time.time() if at is None else at), salt=_ISSUED_SALT)


class SignForm(forms.Form):
    name = NameFormField(
        label=_("Your name"),
        max_length=100,
        validators=[validate_name, validate_one_script_per_word, validate_signer_name],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send you a link to confirm your signature. It is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryChoiceField(
        label=_("Country where you live"),
        choices=_country_choices,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    postcode = forms.CharField(
        label=_("Postcode (optional)"),
        max_length=16,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z -]*$",
                _("A postcode holds letters, digits, spaces and hyphens."),
                code="postcode",
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        validators=[validate_comment],
        help_text=_("For the organisers; not shown on the page."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show_publicly = forms.BooleanField(
        label=_("Show my first name and country on this page"), required=False
    )
    send_updates = forms.BooleanField(label=_("Email me news about this petition"), required=False)
    # Never shown to people (templates/public/_sign_form.html hides it); see above.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    issued = forms.CharField(required=False, widget=forms.HiddenInput)
    elapsed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["country"].initial = LANGUAGE_COUNTRIES.get(translation.get_language(), "")
        if not self.is_bound:  # a posted form shows the stamp it was sent with
            self.fields["issued"].initial = issue_stamp()

    def suspect_reasons(self, now: float | None = None) -> list[str]:
        """Why this (valid) form looks sent by a program, if it does."""
        now = time.time() if now is None else now
        reasons = []
        if self.cleaned_data.get("website"):
            reasons.append("honeypot")
        try:
            issued = int(signing.loads(self.cleaned_data.get("issued") or "", salt=_ISSUED_SALT))
        except (signing.BadSignature, ValueError, TypeError):
            reasons.append("no form stamp")
        else:
            if now - issued < MIN_SECONDS:
                reasons.append("too fast")
        try:
            elapsed = int(self.cleaned_data.get("elapsed") or "")
        except ValueError:
            pass  # JavaScript off: only the stamp says how long
        else:
            if elapsed < MIN_SECONDS * 1000:
                reasons.append("too fast")
        return reasons

    @property
    def trapped(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ResendForm(forms.Form):
    email = forms.EmailField(
        label=_("The email address you signed with"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    petition = forms.SlugField(max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
