"""Names are where Unicode is abused: direction overrides that reorder what follows,
invisible characters that make two names differ, letters borrowed from another script
that make two names look the same, and the same letter typed in two encodings.

One place decides what a name may hold, for every name-like field (people's names and
aliases, case names, officials and bodies, teams, and later the petition signers):

- `normalise_name()` stores text that means the same the same way: NFC, every kind of
  space folded into one plain space, the direction marks some keyboards add dropped.
- `validate_name()` allows letters, combining marks, digits, plain spaces and
  punctuation, and ZWNJ (U+200C), which Uyghur and Persian spellings need. Anything
  else (direction controls, invisible characters, symbols, line breaks) is refused with
  the code points named.
- `validate_one_script_per_word()` refuses a word that mixes scripts ("Аdil" with a
  Cyrillic А), where the field allows several scripts.
- `NameField` / `NameListField` apply all three; `isolate()` keeps any name that is
  shown from reordering the text around it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates (they change the order text is shown in).
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# LRM, RLM and ALM: direction marks that right-to-left keyboards and editors insert.
# They change nothing a reader needs in a name, so they are dropped, not refused.
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
ZWNJ = "\u200c"
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters
# a font draws as nothing, although some are classed as marks or letters (U+034F, the
# variation selectors, U+17B4, the Hangul fillers). Only ZWNJ is let through.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Letters (L*), combining marks (M*), decimal digits and punctuation (P*).
_ALLOWED_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd"})


def _is_default_ignorable(char: str) -> bool:
    code = ord(char)
    if code < _DEFAULT_IGNORABLE[0][0]:  # ASCII and the rest of Latin-1 before U+00AD
        return False
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


def _allowed_in_name(char: str) -> bool:
    if char == " " or char == ZWNJ:
        return True
    if _is_default_ignorable(char):
        return False
    category = unicodedata.category(char)
    return category in _ALLOWED_CATEGORIES or category.startswith("P")


def _code_points(chars: set[str]) -> str:
    return ", ".join(f"U+{ord(c):04X}" for c in sorted(chars))


def normalise_name(value: str) -> str:
    """One line of a name as it is stored and searched: NFC, direction marks dropped,
    every space character (no-break, ideographic, thin…) a plain space, runs of spaces
    folded, no space at either end. What remains is for `validate_name` to judge."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        " " if unicodedata.category(c) == "Zs" else c for c in value if c not in DIRECTION_MARKS
    )
    return " ".join(part for part in value.split(" ") if part)


def normalise_name_list(value: str) -> str:
    """Several names, one per line (aliases): each line normalised, blank lines dropped."""
    lines = (normalise_name(line) for line in value.replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def normalise_search_term(value: str) -> str:
    """A search box entry, made comparable with stored names. Never refused: hidden
    characters are simply dropped."""
    value = normalise_name(value)
    return "".join(c for c in value if c in " \u200c" or not _is_default_ignorable(c)).strip()


def validate_name(value: str) -> None:
    """Letters, marks, digits, spaces, punctuation and ZWNJ, on one line; the rest is
    refused with its code points named."""
    refused = {c for c in value if not _allowed_in_name(c)}
    if not refused:
        return
    if any(_is_default_ignorable(c) for c in refused):
        message = _("Remove the invisible or direction-changing characters: %(chars)s.")
        code = "hidden_characters"
    else:
        message = _("A name holds letters, digits, spaces and punctuation only. Remove: %(chars)s.")
        code = "not_in_a_name"
    raise ValidationError(message, code=code, params={"chars": _code_points(refused)})


def validate_name_list(value: str) -> None:
    """Several names, one per line: each line as `validate_name`."""
    validate_name(value.replace("\n", " "))


# Kept for the migrations that name it; new fields use validate_name.
validate_visible_text = validate_name


def _script(char: str) -> str:
    """The script of a letter, read from its Unicode name ("LATIN SMALL LETTER A")."""
    name = unicodedata.name(char, "")
    return "CJK" if name.startswith("CJK") else name.split(" ", 1)[0]


def validate_one_script_per_word(value: str) -> None:
    """A word whose letters come from two scripts is a look-alike ("Аdil" with a
    Cyrillic А looks like "Adil"). Different words may be in different scripts."""
    mixed = []
    for word in value.split():
        scripts = {_script(c) for c in word if c.isalpha()}
        if len(scripts) > 1:
            mixed.append(word)
    if mixed:
        raise ValidationError(
            _("Each word must be written in one script; these mix several: %(words)s."),
            code="mixed_scripts",
            params={
                "words": "; ".join(
                    f"{word} ({_code_points({c for c in word if c.isalpha()})})" for word in mixed
                )
            },
        )


@deconstructible
class ScriptValidator:
    """Every letter of the value belongs to one of the named Unicode scripts.

    The script is read from the character's Unicode name ("LATIN SMALL LETTER A",
    "ARABIC LETTER ALEF", "CJK UNIFIED IDEOGRAPH-…"), which is what a reader's font
    cannot show: "Аdil" with a Cyrillic А looks like "Adil" and is refused here.
    """

    def __init__(self, *scripts: str, label: str) -> None:
        self.scripts = scripts
        self.label = label

    def __call__(self, value: str) -> None:
        foreign = sorted(
            {
                c
                for c in value
                if c.isalpha() and not unicodedata.name(c, "").startswith(self.scripts)
            }
        )
        if foreign:
            raise ValidationError(
                _("Only %(script)s letters here; these are not: %(letters)s."),
                code="wrong_script",
                params={
                    "script": self.label,
                    "letters": " ".join(f"{c} (U+{ord(c):04X})" for c in foreign),
                },
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScriptValidator) and other.scripts == self.scripts


latin_letters = ScriptValidator("LATIN", label=_("Latin"))
arabic_letters = ScriptValidator("ARABIC", label=_("Arabic-script (Uyghur)"))
chinese_characters = ScriptValidator("CJK", label=_("Chinese"))


class NameFormField(forms.CharField):
    """A form field that normalises what was typed before anything checks it."""

    def __init__(self, *, normalise: Callable[[str], str] = normalise_name, **kwargs: Any) -> None:
        self.normalise = normalise
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return self.normalise(value) if isinstance(value, str) else value


class _NameFieldMixin:
    """Normalise on the way in from a form, on save and in queries, so a name typed in
    NFD, pasted with a no-break space or looked up in another form is the same name."""

    normalise: Callable[[str], str]
    default_validators = [validate_name]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return self.normalise(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = self.normalise(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return self.normalise(value) if isinstance(value, str) else value

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(
            **{"form_class": NameFormField, "normalise": self.normalise, **kwargs}
        )


class NameField(_NameFieldMixin, models.CharField):
    """A one-line name: normalised (`normalise_name`), then checked (`validate_name`)."""

    description = _("Name")
    normalise = staticmethod(normalise_name)


class NameListField(_NameFieldMixin, models.TextField):
    """Several names, one per line (aliases), each normalised and checked."""

    description = _("Names, one per line")
    normalise = staticmethod(normalise_name_list)
    default_validators = [validate_name_list]


def character_class(codes: Iterable[int]) -> re.Pattern[str]:
    """A regular expression matching any one of `codes` (code points), written as one
    character class of ranges: one C-speed `sub()` instead of a loop over characters."""
    ranges: list[list[int]] = []
    for code in sorted(set(codes)):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile(
        "[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges) + "]"
    )


def default_ignorable_codes() -> Iterator[int]:
    """Every code point of `_DEFAULT_IGNORABLE`: drawn as nothing."""
    for low, high in _DEFAULT_IGNORABLE:
        yield from range(low, high + 1)


_IGNORABLE_BUT_ZWNJ = character_class(
    code for code in default_ignorable_codes() if code != ord(ZWNJ)
)


def isolate(value: str) -> str:
    """The text without direction controls, wrapped in a first-strong isolate, so a
    right-to-left name cannot reorder the text around it (in HTML, mail, CSV or PDF)."""
    # ASCII holds no default-ignorable character (the first is U+00AD).
    cleaned = value if value.isascii() else _IGNORABLE_BUT_ZWNJ.sub("", value)
    return f"{FIRST_STRONG_ISOLATE}{cleaned}{POP_DIRECTIONAL_ISOLATE}" if cleaned else ""
