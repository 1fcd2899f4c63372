"""Public statistics: counts by category from aggregate queries, counts under 5 shown as
"<5", every other count rounded to 5, no totals, and only the cases the reader may open.

The fixture's counts are worked out by hand in `HAND_COUNTED`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from cases.exports import formats, statistics
from cases.exports.cells import BOM
from cases.exports.levels import Format, Level
from cases.exports.service import Layout
from cases.models import Family, Person, Separation
from tests.exports.conftest import NAMED, UNCONSENTED_NAMES
from tests.factories import FamilyFactory, PersonFactory, SeparationFactory

pytestmark = pytest.mark.django_db

IMPRISONED = Person.Condition.IMPRISONED
CAMP = Person.Condition.DETAINED_IN_CAMP
MISSING = Person.Condition.MISSING


def separate(family: Family, person: Person, *, since: str, status: str) -> None:
    SeparationFactory(family=family, person=person, since=since, status=status)


@pytest.fixture
def counted_cases() -> dict[str, Family]:
    """Four cases; the fourth is restricted (assigned to nobody, in no team).

    - A, Belgium, active: 7 imprisoned people, separated in 2017-05, verified.
    - B, Netherlands, advocacy: 3 people detained in a camp, separated in 2018, reported.
    - C, Belgium, intake: 1 missing person, date not known, reported; and one of A's
      seven again, verified, separated in 2017 (counted once everywhere).
    - D, Belgium, active, restricted: 2 imprisoned people, separated in 2019-01, reported.
    """
    a = FamilyFactory(host_country="BE", status=Family.Status.ACTIVE)
    b = FamilyFactory(host_country="NL", status=Family.Status.ADVOCACY)
    c = FamilyFactory(host_country="BE", status=Family.Status.INTAKE)
    d = FamilyFactory(host_country="BE", status=Family.Status.ACTIVE, restricted=True)
    seven = [PersonFactory(condition=IMPRISONED) for _ in range(7)]
    for person in seven:
        separate(a, person, since="2017-05", status=Separation.Status.VERIFIED)
    for _ in range(3):
        separate(b, PersonFactory(condition=CAMP), since="2018", status=Separation.Status.REPORTED)
    separate(c, PersonFactory(condition=MISSING), since="", status=Separation.Status.REPORTED)
    separate(c, seven[0], since="2017", status=Separation.Status.VERIFIED)
    for _ in range(2):
        separate(d, PersonFactory(condition=IMPRISONED), since="2019-01", status="reported")
    return {"A": a, "B": b, "C": c, "D": d}


# Exact counts by hand: (without the restricted case D, with it).
HAND_COUNTED = {
    "people_by_condition": (
        {"imprisoned": 7, "detained_in_camp": 3, "missing": 1},
        {"imprisoned": 9, "detained_in_camp": 3, "missing": 1},
    ),
    "people_by_separation_status": (
        {"verified": 7, "reported": 4},
        {"verified": 7, "reported": 6},
    ),
    "people_by_host_country": ({"BE": 8, "NL": 3}, {"BE": 10, "NL": 3}),
    "people_by_year_of_separation": (
        {"2017": 7, "2018": 3, "": 1},
        {"2017": 7, "2018": 3, "2019": 2, "": 1},
    ),
    "cases_by_status": (
        {"active": 1, "advocacy": 1, "intake": 1},
        {"active": 2, "advocacy": 1, "intake": 1},
    ),
}
# What may be published of them.
HAND_SHOWN = {
    "people_by_condition": (
        {"imprisoned": 5, "detained_in_camp": "<5", "missing": "<5"},
        {"imprisoned": 10, "detained_in_camp": "<5", "missing": "<5"},
    ),
    "people_by_separation_status": (
        {"verified": 5, "reported": "<5"},
        {"verified": 5, "reported": 5},
    ),
    "people_by_host_country": ({"BE": 10, "NL": "<5"}, {"BE": 10, "NL": "<5"}),
    "people_by_year_of_separation": (
        {"2017": 5, "2018": "<5", "": "<5"},
        {"2017": 5, "2018": "<5", "2019": "<5", "": "<5"},
    ),
    "cases_by_status": (
        {"active": "<5", "advocacy": "<5", "intake": "<5"},
        {"active": "<5", "advocacy": "<5", "intake": "<5"},
    ),
}


def tables_for(user) -> dict[str, statistics.Table]:
    tables = statistics.case_statistics(Family.objects.visible_to(user))
    return {table.key: table for table in tables}


def test_an_advocate_gets_the_hand_counted_figures_without_the_restricted_case(
    counted_cases, advocate
):
    tables = tables_for(advocate)

    assert {key: {r.code: r.count for r in t.rows} for key, t in tables.items()} == {
        key: without for key, (without, _with) in HAND_COUNTED.items()
    }
    assert {key: {r.code: r.shown for r in t.rows} for key, t in tables.items()} == {
        key: without for key, (without, _with) in HAND_SHOWN.items()
    }


def test_a_supervisor_who_may_open_the_restricted_case_gets_it_counted(counted_cases, supervisor):
    tables = tables_for(supervisor)

    assert {key: {r.code: r.count for r in t.rows} for key, t in tables.items()} == {
        key: with_d for key, (_without, with_d) in HAND_COUNTED.items()
    }
    assert {key: {r.code: r.shown for r in t.rows} for key, t in tables.items()} == {
        key: with_d for key, (_without, with_d) in HAND_SHOWN.items()
    }


@pytest.mark.parametrize(
    ("count", "shown"),
    [(1, "<5"), (4, "<5"), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15), (102, 100)],
)
def test_small_counts_are_suppressed_and_the_others_rounded_to_five(count, shown):
    assert statistics.shown(count) == shown


def statistics_export(user, fmt: Format) -> bytes:
    return b"".join(
        formats.render(
            layout=Layout.STATISTICS,
            fmt=fmt,
            level=Level.PUBLIC,
            families=Family.objects.visible_to(user),
            user=user,
        )
    )


def statistics_csv(user) -> list[list[str]]:
    content = statistics_export(user, Format.CSV)
    assert content.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix(BOM))))


def test_the_csv_has_labels_and_published_counts_and_no_totals(counted_cases, advocate):
    header, *rows = statistics_csv(advocate)

    assert header == ["Table", "Code", "Category", "People or cases"]
    assert ["Separated people by condition", "imprisoned", "Imprisoned", "5"] in rows
    assert ["Separated people by the family's host country", "NL", "Netherlands", "<5"] in rows
    assert ["Separated people by year of separation", "", "Unknown", "<5"] in rows
    assert len(rows) == sum(len(without) for without, _with in HAND_COUNTED.values())
    assert not [row for row in rows if "total" in " ".join(row).lower()]
    # An exact count of 5 or more is never published: only multiples of 5.
    assert {row[3] for row in rows} <= {"<5", "5", "10"}


def test_a_suppressed_count_cannot_be_recovered_by_difference(counted_cases, advocate):
    """Were counts exact, the host-country table's 8 + 3 = 11 people minus the 7
    imprisoned the condition table shows would give back the 4 people it suppresses.
    Rounded, the shown cells leave the suppressed ones uncertain by more than the whole
    range 1 to 4."""
    tables = tables_for(advocate)
    by_country = [r.shown for r in tables["people_by_host_country"].rows]
    by_condition = [r.shown for r in tables["people_by_condition"].rows]

    shown_numbers = [n for n in by_country + by_condition if isinstance(n, int)]
    assert all(n % statistics.ROUND_TO == 0 for n in shown_numbers)
    # Each shown number stands for any count within 2 of it: the total the country
    # table implies (at least 10 - 2 + 1, at most 10 + 2 + 4) spans more than 4 values.
    low = sum(n - 2 for n in by_country if isinstance(n, int)) + sum(
        1 for n in by_country if n == "<5"
    )
    high = sum(n + 2 for n in by_country if isinstance(n, int)) + sum(
        4 for n in by_country if n == "<5"
    )
    assert high - low > statistics.SUPPRESS_BELOW - 1


def test_the_json_is_valid_against_its_schema(counted_cases, advocate):
    schema_file = Path(settings.BASE_DIR) / "cases/exports/schema/case-statistics-v1.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)

    document = json.loads(statistics_export(advocate, Format.JSON))
    assert [e.message for e in Draft202012Validator(schema).iter_errors(document)] == []
    assert document["schema"] == schema["$id"] == formats.STATISTICS_SCHEMA_ID
    tables = {t["key"]: {r["code"]: r["count"] for r in t["rows"]} for t in document["tables"]}
    assert tables == {key: without for key, (without, _with) in HAND_SHOWN.items()}


@pytest.mark.parametrize("fmt", [Format.CSV, Format.JSON])
def test_statistics_hold_no_name_no_reference_and_no_restricted_field(marked_case, supervisor, fmt):
    markers = marked_case.markers

    content = statistics_export(supervisor, fmt).decode("utf-8")

    folded = content.casefold()
    needles = [*markers.internal_only, *markers.never, *UNCONSENTED_NAMES, *NAMED.values()]
    assert [needle for needle in needles if needle.casefold() in folded] == []
    assert marked_case.family.reference not in content
    assert "Qurban" not in content


def test_the_statistics_are_five_aggregate_queries_whatever_the_number_of_cases(
    counted_cases, supervisor, django_assert_num_queries
):
    families = Family.objects.visible_to(supervisor)  # the permission checks: before

    with django_assert_num_queries(5):
        statistics.case_statistics(families)
