"""Names are where Unicode is abused: direction overrides that reorder what follows,
invisible characters that make two names differ, letters borrowed from another script
that make two names look the same. Validators refuse them at input; `isolate()` keeps
any name that is shown from reordering the text around it.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates (they change the order text is shown in), and
# characters that are invisible. ZWNJ (U+200C) stays: Persian-script spellings use it.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset("\u200b\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def _hidden_characters(value: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in value if c in DIRECTION_CONTROLS or c in INVISIBLE})


def validate_visible_text(value: str) -> None:
    """Refuse direction controls and invisible characters, naming them."""
    hidden = _hidden_characters(value)
    if hidden:
        raise ValidationError(
            _("Remove the invisible or direction-changing characters: %(chars)s."),
            code="hidden_characters",
            params={"chars": ", ".join(hidden)},
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


def isolate(value: str) -> str:
    """The text without direction controls, wrapped in a first-strong isolate, so a
    right-to-left name cannot reorder the text around it (in HTML, mail, CSV or PDF)."""
    cleaned = "".join(c for c in value if c not in DIRECTION_CONTROLS and c not in INVISIBLE)
    return f"{FIRST_STRONG_ISOLATE}{cleaned}{POP_DIRECTIONAL_ISOLATE}" if cleaned else ""
