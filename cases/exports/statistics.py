"""Public statistics: how many people and cases, by category, so that no family can be
singled out. The only export at the public level, for anyone with export rights.

Tables (each one aggregate query, whatever the number of cases):

- separated people by their condition, by separation status, by the host country of
  the family, and by the year of the separation (the first four characters of `since`,
  a partial ISO date; "Unknown" where it is not known);
- cases by their status.

A person is counted once per category however many separations put them there (a
person separated in two cases with the same status counts once for that status).
Only the cases of `families` are counted: the caller narrows them to what the reader
may open (`Family.objects.visible_to`), so a restricted case is counted only for those
who may open it.

Disclosure control (decision):

- Every count from 1 to 4 is shown as "<5" (`SUPPRESSED`).
- Every other count is rounded to the nearest multiple of 5 (7 -> 5, 8 -> 10).
- No totals are printed.

Why rounding, not only "no totals": the four tables of separated people count the same
people, so a table without a suppressed cell adds up to the total, and the total minus
the shown cells of another table would give back a suppressed count exactly. Rounding
every shown count leaves that difference uncertain by more than the width of the
suppressed range, so a "<5" cannot be recovered from the other cells or tables.
Categories with nobody in them are not listed. What rounding cannot stop is
differencing two exports with filters that differ by one case; the export records
which filters each one used (the audit trail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet, TextChoices
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django_countries import countries

from cases.models import Family, Person, Separation

SCHEMA_VERSION = 1
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
ROUND_TO = 5


def shown(count: int) -> int | str:
    """A count as it may be published: "<5" for 1 to 4, else to the nearest 5."""
    if count < SUPPRESS_BELOW:
        return SUPPRESSED if count > 0 else 0
    return ROUND_TO * round(count / ROUND_TO)


def suppression() -> dict[str, Any]:
    """The rule, as the JSON export states it."""
    return {"suppressed_below": SUPPRESS_BELOW, "shown_as": SUPPRESSED, "rounded_to": ROUND_TO}


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    count: int  # exact: never published as it is, only through `shown`

    @property
    def shown(self) -> int | str:
        return shown(self.count)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    counts: str  # "people" or "cases"
    rows: list[Category]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "counts": self.counts,
            "rows": [{"code": r.code, "label": r.label, "count": r.shown} for r in self.rows],
        }


def _people_by(separations: QuerySet[Separation], expression: Any) -> dict[str, int]:
    """Distinct separated people by the value of `expression` (one aggregate query)."""
    rows = (
        separations.annotate(code=expression)
        .values("code")
        .annotate(n=Count("person", distinct=True))
        .order_by("code")
    )
    return {row["code"] or "": row["n"] for row in rows}


def _by_choice(
    key: str, title: str, counts: dict[str, int], choices: type[TextChoices], of: str = "people"
) -> Table:
    """A table over a closed list, in the list's order; a code not in it is "Unknown"."""
    order = {value: index for index, value in enumerate(choices.values)}
    rows = [
        Category(code, str(choices(code).label) if code in order else _("Unknown"), n)
        for code, n in counts.items()
    ]
    return Table(
        key, title, of, sorted(rows, key=lambda r: (order.get(r.code, len(order)), r.code))
    )


def _by_name(key: str, title: str, counts: dict[str, int], label: Callable[[str], str]) -> Table:
    """A table in the order of its labels, "Unknown" (no code) last."""
    rows = [Category(code, label(code) if code else _("Unknown"), n) for code, n in counts.items()]
    return Table(key, title, "people", sorted(rows, key=lambda r: (not r.code, r.label)))


def case_statistics(families: QuerySet[Family]) -> list[Table]:
    """The tables for the cases of `families` (five aggregate queries)."""
    ids = families.values("pk")
    separations = Separation.objects.filter(family__in=ids)
    cases = Family.objects.filter(pk__in=ids).values("status").annotate(n=Count("pk"))
    return [
        _by_choice(
            "people_by_condition",
            _("Separated people by condition"),
            _people_by(separations, F("person__condition")),
            Person.Condition,
        ),
        _by_choice(
            "people_by_separation_status",
            _("Separated people by separation status"),
            _people_by(separations, F("status")),
            Separation.Status,
        ),
        _by_name(
            "people_by_host_country",
            _("Separated people by the family's host country"),
            _people_by(separations, F("family__host_country")),
            lambda code: str(countries.name(code) or code),
        ),
        _by_name(
            "people_by_year_of_separation",
            _("Separated people by year of separation"),
            _people_by(separations, Substr("since", 1, 4)),
            str,
        ),
        _by_choice(
            "cases_by_status",
            _("Cases by status"),
            {row["status"]: row["n"] for row in cases.order_by("status")},
            Family.Status,
            of="cases",
        ),
    ]
