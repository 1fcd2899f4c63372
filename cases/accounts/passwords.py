"""Refusing the guessers' favourite shape of password: a common word or password with
digits, a year or symbols around it, and letters swapped for look-alike digits
(Password2024!, Welcome2024!, Summer2024!!, P@ssw0rd2024!, 2024Welcome!).

Offline, no lookup anywhere: the list is Django's own common-passwords.txt.gz (the
20,000 passwords most common in breaches, which holds the plain words people build on,
summer and welcome among them), plus the few words anyone attacking this site tries
first. Django's CommonPasswordValidator still refuses the exact matches.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Digits and symbols that stand in for letters. Some stand for more than one.
LOOKALIKES: dict[str, str] = {
    "0": "o",
    "1": "il",
    "!": "il",
    "|": "l",
    "3": "e",
    "4": "a",
    "@": "a",
    "5": "s",
    "$": "s",
    "7": "t",
    "+": "t",
    "8": "b",
    "9": "g",
}
SEPARATORS = " -_."
MAX_SPELLINGS = 64  # readings tried per candidate when look-alikes are ambiguous
# Words of this site and its cause, the first an attacker of it would build on.
SITE_WORDS = (
    "reunite",
    "reunion",
    "uyghur",
    "uighur",
    "uyghurs",
    "xinjiang",
    "turkistan",
    "eastturkistan",
    "urumqi",
    "kashgar",
    "hotan",
    "caseworker",
    "families",
)


class CommonWordPasswordValidator(CommonPasswordValidator):
    """Refuses a password that is a common password or word once the digits, years and
    symbols at its two ends are taken off, its case folded and its look-alikes read as
    letters (0 as o, 1 as i or l, 3 as e, 4 and @ as a, 5 and $ as s, 7 as t...).

    A long passphrase passes: what is left of it is no single common word.
    """

    def __init__(
        self,
        password_list_path: Any = CommonPasswordValidator.DEFAULT_PASSWORD_LIST_PATH,
        extra_words: Iterable[str] = SITE_WORDS,
    ) -> None:
        super().__init__(password_list_path)
        self.words = self.passwords | {word.casefold() for word in extra_words}
        self.longest = max(len(word) for word in self.words)

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower().strip() in self.passwords:
            return  # CommonPasswordValidator refuses it already, in its own words
        if any(spelling in self.words for spelling in self.readings(password)):
            raise ValidationError(self.get_error_message(), code="password_common_word")

    def readings(self, password: str) -> Iterator[str]:
        """What a guesser would have started from: each way of taking digits and symbols
        off the ends, with and without separators, with look-alikes read as letters."""
        for core in _cores(unicodedata.normalize("NFKC", password).casefold()):
            for candidate in {core, "".join(ch for ch in core if ch not in SEPARATORS)}:
                if candidate and len(candidate) <= self.longest:
                    yield candidate
                    yield from _spellings(candidate)

    def get_error_message(self) -> str:
        return _(
            "This password is a common word or password with digits, a year or symbols "
            "added: guessers try those first. A few unrelated words make a stronger one."
        )

    def get_help_text(self) -> str:
        return _(
            "Your password can’t be a common word or password with only digits, a year or "
            "symbols added, or letters swapped for look-alikes (P@ssw0rd2024!)."
        )


def _cores(text: str) -> Iterator[str]:
    """Every slice of `text` that keeps all its letters and drops only non-letters
    (digits, symbols, spaces) at either end."""
    letters = [index for index, char in enumerate(text) if char.isalpha()]
    if not letters:
        return
    for start in range(letters[0] + 1):
        for end in range(letters[-1] + 1, len(text) + 1):
            yield text[start:end]


def _spellings(text: str) -> Iterator[str]:
    """`text` with its look-alikes read as letters, every reading of the ambiguous ones
    up to MAX_SPELLINGS (beyond that, the first reading of each)."""
    choices = [LOOKALIKES.get(char, char) for char in text]
    readings = 1
    for options in choices:
        readings *= len(options)
    if readings == 1:
        if any(char in LOOKALIKES for char in text):
            yield "".join(choices)
        return
    if readings > MAX_SPELLINGS:
        yield "".join(options[0] for options in choices)
        return
    for letters in itertools.product(*choices):
        yield "".join(letters)
