"""Shared ammunition for the adversarial suite: one list of hostile inputs, one marker helper.

New surfaces (public pages, exports, emails) join the suite by rendering what these
plant and asserting with `assert_no_markers` / `assert_inert`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from cases.access import PRIVATE_FIELDS

# Script injection in every shape a template might mishandle.
XSS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "{{ request.session }}{% debug %}",
    "javascript:alert(1)",
]
# Spreadsheet formulas that run when an export is opened.
CSV_FORMULAS = [
    '=HYPERLINK("https://evil.example","open")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
]
# Characters that reorder or hide text, and letters that look like others.
RLO = "\u202e"
BIDI_CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    RLO,
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]
ZERO_WIDTH = ["\u200b", "\u2060", "\ufeff"]
LOOKALIKE_LATIN_NAME = "Аdil Yasin"  # the first letter is Cyrillic А (U+0410)
UNICODE_ABUSE = [f"Adil{RLO}nisaY", "Ad\u200bil", LOOKALIKE_LATIN_NAME, "Adil\u2066Yasin\u2069"]

HOSTILE_TEXT = [*XSS, *CSV_FORMULAS, *UNICODE_ABUSE]


@dataclass
class Markers:
    """Unique strings planted in private fields, to be looked for where they must not be."""

    by_field: dict[str, str]

    @property
    def values(self) -> list[str]:
        return list(self.by_field.values())


_counter = itertools.count(1)


def plant_markers(*objects: models.Model) -> Markers:
    """Fill every private field (per `cases.access.PRIVATE_FIELDS`) of these saved objects
    with a unique marker, save them, and return the markers."""
    planted: dict[str, str] = {}
    for obj in objects:
        for name in PRIVATE_FIELDS.get(type(obj), ()):
            field = obj._meta.get_field(name)
            if isinstance(field, models.FileField):
                continue  # evidence files are covered by the evidence view's own tests
            marker = f"PRIVATE{next(_counter):04d}X{name.upper()}"
            setattr(obj, name, marker)
            planted[f"{obj._meta.label_lower}.{name}#{obj.pk}"] = marker
        obj.save()
    return Markers(planted)


def assert_no_markers(text: str | bytes, markers: Markers, *, where: str = "") -> None:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    leaked = [field for field, marker in markers.by_field.items() if marker in text]
    assert not leaked, f"private fields leaked{' into ' + where if where else ''}: {leaked}"


def assert_inert(html: str | bytes, payloads: Iterable[str] = XSS) -> None:
    """No payload appears as live markup: every `<` of it must arrive escaped."""
    if isinstance(html, bytes):
        html = html.decode(errors="replace")
    for payload in payloads:
        if "<" in payload:
            assert payload not in html, f"unescaped markup in page: {payload!r}"
