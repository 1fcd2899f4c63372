"""How governments answer: for each government and body contacted, how many requests,
how many answered, the median days to an answer, and how many are still unanswered past
their follow-up date. Shown on the staff page "How governments answer"
(cases/responsiveness_views.py) to supervisors and advocates.

Definitions:

- A *request* is a `GovernmentContact` with direction "we asked" (what a government
  stated unasked is not a request). It is *answered* once its response date is set.
- *Days to an answer* is counted only where both the request and the answer are dated
  to the day: a request or answer known only to the month or the year counts as a
  request and as answered, but not in the median (`Row.untimed` says how many).
- *Unanswered past follow-up*: no answer, and a follow-up date before today.
- The period narrows by the request's date. A request dated only to a month or a year
  counts if that month or year overlaps the period, as partial dates compare elsewhere
  (the coarser precision decides).
- Only the cases the reader may open count (`cases.access.visible`).

Every figure comes from one aggregate query, whatever the number of contacts: `GROUP BY`
government, kind of body and body (and one more for the totals). The median works on
SQLite and PostgreSQL alike (PostgreSQL's `percentile_cont` has no SQLite equivalent):
in a subquery, a window function ranks each group's timed answers by days and keeps the
middle one or two; the group's median is the average of its answers among those.

Disclosure control (`shown_rows`), for readers without `cases.view_private_fields`
(advocates); supervisors see every figure exact:

- A count from 1 to 4 is shown as "<5" (`SUPPRESSED`).
- A row with fewer than 5 requests shows nothing else: no rate, no median, no count.
- Answered and unanswered add up to the requests, so the answered count and the rate are
  shown only when neither is from 1 to 4; otherwise the rate and (from 5 up) the count
  are withheld, and neither can be worked out from the other.
- A median from fewer than 5 timed answers is withheld, as is the per-row count of
  timed answers (it would give back the untimed ones).
- No totals: a total minus the shown rows would give back a suppressed one.

What this cannot stop is differencing two filters that differ by one request (a period
a day longer); the figures are of requests to governments, never of people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import NotSupportedError
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Left, Length, RowNumber
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _
from django_countries import countries

from cases import access
from cases.models import GovernmentContact

User = AbstractBaseUser | AnonymousUser

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
WITHHELD = "—"
GROUP = ("government", "body_kind", "body")
ISO_DAY = 10  # len("2024-05-17"): a partial date known to the day


def may_view(user: User) -> bool:
    """Supervisors (every case) and advocates (every unrestricted case); not caseworkers,
    whose figures would cover only their own cases."""
    return user.has_perm("cases.view_governmentcontact") and (
        user.has_perm("cases.view_all_cases") or user.has_perm("cases.view_unrestricted_cases")
    )


def sees_exact_figures(user: User) -> bool:
    """Who may see small counts: those who may see the private fields of a case."""
    return access.can_see_private(user)


class DaysBetween(Func):
    """Whole days from one ISO date text to another, both known to the day."""

    arity = 2
    output_field = IntegerField()

    def _compiled(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return start_sql, end_sql, [*end_params, *start_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        start, end, params = self._compiled(compiler, connection)
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        start, end, params = self._compiled(compiler, connection)
        return f"(CAST({end} AS date) - CAST({start} AS date))", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("DaysBetween is written for SQLite and PostgreSQL only.")


def _iso(value: dt.date) -> Value:
    return Value(value.isoformat(), output_field=CharField())


def requests_for(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    host_country: str = "",
) -> QuerySet[GovernmentContact]:
    """The requests on the cases `user` may open, narrowed by period and host country."""
    requests = access.visible(GovernmentContact.objects.all(), user).filter(
        direction=GovernmentContact.Direction.WE_ASKED
    )
    # "2024-05" is in a period from 2024-05-20: compared at the date's own precision.
    if start is not None:
        requests = requests.filter(
            GreaterThanOrEqual(F("contacted_on"), Left(_iso(start), Length("contacted_on")))
        )
    if end is not None:
        requests = requests.filter(
            LessThanOrEqual(F("contacted_on"), Left(_iso(end), Length("contacted_on")))
        )
    if host_country:
        requests = requests.filter(family__host_country=host_country)
    return requests


ANSWERED = ~Q(response_on="")
TIMED = (
    ANSWERED & Q(Exact(Length("contacted_on"), ISO_DAY)) & Q(Exact(Length("response_on"), ISO_DAY))
)


def _middle_answers(
    requests: QuerySet[GovernmentContact], keys: tuple[str, ...]
) -> QuerySet[GovernmentContact]:
    """The middle one (odd count) or two (even) of each group's timed answers, by days:
    a window function ranks them, and the rank is filtered (in a subquery, as Django
    filters on windows)."""
    partition = [F(key) for key in keys] or None
    days = DaysBetween("contacted_on", "response_on")
    return (
        requests.filter(TIMED)
        .annotate(
            position=Window(RowNumber(), partition_by=partition, order_by=[days.asc(), "pk"]),
            timed_in_group=Window(Count("pk"), partition_by=partition),
        )
        # Integer division: for 4, positions 2 and 3; for 5, position 3.
        .filter(
            position__gte=(F("timed_in_group") + 1) / 2,
            position__lte=F("timed_in_group") / 2 + 1,
        )
    )


def _figures(
    requests: QuerySet[GovernmentContact], keys: tuple[str, ...], today: dt.date
) -> dict[str, Any]:
    """The aggregates of one row; the median is the average of the middle answers."""
    middle = _middle_answers(requests, keys).values("pk")
    return {
        "requests": Count("pk"),
        "answered": Count("pk", filter=ANSWERED),
        "timed": Count("pk", filter=TIMED),
        "overdue": Count("pk", filter=Q(response_on="", follow_up_on__lt=today)),
        "median_days": Avg(
            # Never a date cast of "2024-04", whichever the database evaluates first.
            Case(When(TIMED, then=DaysBetween("contacted_on", "response_on"))),
            filter=Q(pk__in=middle),
            output_field=FloatField(),
        ),
    }


@dataclass(frozen=True)
class Row:
    """The exact figures of one government and body (or of all, for the totals)."""

    government: str  # an ISO country code, "" for none (a UN body)
    body_kind: str
    body: str
    requests: int
    answered: int
    timed: int  # answered, both dates known to the day: in the median
    overdue: int
    median_days: float | None

    @property
    def unanswered(self) -> int:
        return self.requests - self.answered

    @property
    def untimed(self) -> int:
        """Answered, but a date known only to the month or year: not in the median."""
        return self.answered - self.timed

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.requests if self.requests else None

    @property
    def government_name(self) -> str:
        if not self.government:
            return _("No government (an international body)")
        return str(countries.name(self.government) or self.government)

    @property
    def body_kind_label(self) -> str:
        kinds = GovernmentContact.BodyKind
        return str(kinds(self.body_kind).label) if self.body_kind in kinds.values else ""


def responsiveness(*, requests: QuerySet[GovernmentContact], today: dt.date) -> list[Row]:
    """One row per government and body among `requests` (one query), sorted by the
    government's name in the active language, then the body."""
    grouped = requests.values(*GROUP).annotate(**_figures(requests, GROUP, today)).order_by()
    rows = [Row(**figures) for figures in grouped]
    return sorted(rows, key=lambda row: (row.government_name.casefold(), row.body.casefold()))


def totals(*, requests: QuerySet[GovernmentContact], today: dt.date) -> Row:
    """The same figures over all of `requests` (one query)."""
    return Row(
        government="", body_kind="", body="", **requests.aggregate(**_figures(requests, (), today))
    )


# --- What a reader is shown --------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A row as one reader may see it: text for every cell, None for a rate not shown."""

    row: Row
    requests: str
    answered: str
    rate: str
    rate_value: float | None  # for the chart's bar; None: no bar
    median: str
    timed: str
    overdue: str


def _count(n: int, *, exact: bool) -> str:
    return str(n) if exact or n == 0 or n >= SUPPRESS_BELOW else SUPPRESSED


def _small(n: int) -> bool:
    return 0 < n < SUPPRESS_BELOW


def _withheld(n: int) -> str:
    return SUPPRESSED if _small(n) else WITHHELD


def percent(rate: float) -> str:
    return _("%(percent)s%%") % {"percent": round(rate * 100)}


def shown_days(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def shown_row(row: Row, *, exact: bool) -> Shown:
    """The row with the disclosure control of the module docstring, unless `exact`."""
    if not exact and row.requests < SUPPRESS_BELOW:
        return Shown(row, SUPPRESSED, WITHHELD, WITHHELD, None, WITHHELD, WITHHELD, WITHHELD)
    rate_shown = exact or not (_small(row.answered) or _small(row.unanswered))
    answered = str(row.answered) if rate_shown else _withheld(row.answered)
    rate = row.response_rate if rate_shown else None
    median_shown = row.median_days is not None and (exact or row.timed >= SUPPRESS_BELOW)
    return Shown(
        row=row,
        requests=str(row.requests),
        answered=answered,
        rate=percent(rate) if rate is not None else WITHHELD,
        rate_value=rate,
        median=shown_days(row.median_days) if median_shown else WITHHELD,
        timed=str(row.timed) if exact else WITHHELD,
        overdue=_count(row.overdue, exact=exact),
    )


def shown_rows(rows: list[Row], *, exact: bool) -> list[Shown]:
    return [shown_row(row, exact=exact) for row in rows]


def shown_untimed(rows: list[Row], *, exact: bool) -> str:
    """How many answered requests are not in the medians, on the whole page."""
    return _count(sum(row.untimed for row in rows), exact=exact)
