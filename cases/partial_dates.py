"""Dates known only to the year or the month, as caseworkers usually know them.

A `PartialDate` is stored as its ISO 8601 text ("2015", "2015-06", "2015-06-12").
That text sorts chronologically as a string, so the database can order and compare
it, and a year-only date sorts before any day of that year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")
FORMAT_HELP = _("A year (2015), a month (2015-06) or a day (2015-06-12).")


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2100:
            raise ValueError("year out of range")
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month out of range")
        if self.day is not None:
            dt.date(self.year, self.month, self.day)  # raises ValueError if impossible

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"not a partial ISO date: {text!r}")
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        return cls(**parts)

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        if self.day:
            return self.first_day
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text

    def display(self) -> str:
        """The date as a reader expects it in the active language, at its precision."""
        if self.day:
            return formats.date_format(self.first_day, "DATE_FORMAT")
        if self.month:
            return formats.date_format(self.first_day, "YEAR_MONTH_FORMAT")
        return str(self.year)


def _coerce(value: Any) -> PartialDate | None:
    if value is None or value == "":
        return None
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        return PartialDate.from_date(value.date())
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    return PartialDate.parse(str(value))


@lru_cache(maxsize=4096)
def _stored(text: str) -> PartialDate:
    """A date as the database holds it, parsed once: dates repeat (a year of birth, the
    month a detention began), a `PartialDate` is immutable, and an export of many
    cases parses hundreds of thousands of them."""
    return PartialDate.parse(text)


_ABOUT = re.compile(
    r"^(?:about|around|approx\.?|approximately|circa|ca?\.|~)\s*(?P<date>\d{4}(?:-\d{2})?)$", re.I
)
_AGE = re.compile(
    r"^(?:aged?\s+)?(?P<age>\d{1,3})(?:\s+years?(?:\s+old)?)?(?:\s+in\s+(?P<year>\d{4}))?$", re.I
)


def parse_birth(text: str, *, today: dt.date | None = None) -> tuple[PartialDate | None, bool]:
    """A birth date as reports give it, and whether it is approximate:
    "2011-04", "about 2011", "~2011", "10 years old in 2021", "aged 10 in 2021",
    "10 years old" (this year). Raises ValueError for anything else."""
    text = " ".join(text.split())
    if not text:
        return None, False
    if match := _ABOUT.match(text):
        return PartialDate.parse(match["date"]), True
    if match := _AGE.match(text):
        year = int(match["year"]) if match["year"] else (today or timezone.localdate()).year
        return PartialDate(year - int(match["age"])), True
    return PartialDate.parse(text), False


def validate_not_in_future(value: PartialDate | None) -> None:
    if value is not None and value.first_day > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


class PartialDateFormField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", FORMAT_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "YYYY-MM-DD")
        self.widget.attrs.setdefault("size", 12)
        self.widget.attrs.setdefault("maxlength", 10)

    def prepare_value(self, value: Any) -> Any:
        return str(value) if isinstance(value, PartialDate) else value

    def to_python(self, value: Any) -> PartialDate | None:  # type: ignore[override]
        text = super().to_python(value)
        try:
            return _coerce(text)
        except ValueError:
            raise ValidationError(
                _("Enter a real date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2015-06."),
                code="invalid",
            ) from None


class PartialDateField(models.Field):
    """A model field holding a `PartialDate` in a varchar(10) column; blank means unknown."""

    description = _("Date known to the year, month or day")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 10
        kwargs.setdefault("blank", True)
        kwargs.setdefault("help_text", FORMAT_HELP)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "CharField"

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        del kwargs["max_length"]
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return _stored(value) if value else None

    def to_python(self, value: Any) -> PartialDate | None:
        try:
            return _coerce(value)
        except ValueError:
            raise ValidationError(
                _("Enter a real date as YYYY, YYYY-MM or YYYY-MM-DD."), code="invalid"
            ) from None

    def get_prep_value(self, value: Any) -> str:
        # Lookups may compare with plain ISO text ("2026-08-23"), kept as given.
        if isinstance(value, str):
            return value
        coerced = _coerce(value)
        return "" if coerced is None else str(coerced)

    def value_to_string(self, obj: models.Model) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"form_class": PartialDateFormField, **kwargs})
