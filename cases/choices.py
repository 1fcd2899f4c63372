"""The labels of model choices, as `get_<field>_display()` gives them, translated once
per language.

Django's own display method translates every label of the field on every call (it
hashes them all), which is most of the time an export of many cases would take.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import models
from django.db.models.options import Options
from django.utils.translation import get_language, gettext


@lru_cache(maxsize=256)
def _choice_labels(opts: Options, name: str, language: str | None) -> tuple[str, dict[Any, str]]:
    """The attribute a choice field is loaded as, and its labels. Keyed by the model's
    options, not by the field: a field's hash is worked out in Python on every call."""
    field = opts.get_field(name)
    return field.attname, {value: str(label) for value, label in field.flatchoices}


def choice_label(instance: models.Model, name: str, language: str | None = None) -> str:
    """What `instance.get_<name>_display()` gives, in `language` (the active one). An
    export passes the language it runs in, read once: `get_language()` is a
    context-local lookup. `instance` may also be a plain record of the model
    (`cases.exports.records`), which carries its `_meta`."""
    attname, labels = _choice_labels(instance._meta, name, language or get_language())
    value = getattr(instance, attname)
    return labels.get(value, value)


@lru_cache(maxsize=256)
def translated(message: str, language: str | None) -> str:
    """`gettext(message)` in `language` (the active one), looked up once per language."""
    return gettext(message)
