"""Exports at scale (issue 9): a fixed number of database queries whatever the number
of cases, and memory that does not grow with it, on cases generated with bulk inserts
(`tests.bench.exports.generate_cases`, which the benchmark uses too).

Memory criterion (decision): the tracemalloc peak while streaming 2,000 cases must stay
below 1.25 x the peak for 200 cases + 1 MiB. Streaming holds at most one chunk of rows
per query (`records.CHUNK`, set to 50 here so that 200 cases already fill every chunk:
with the default 500 the smaller run would sit below the plateau, and the ratio would
measure the chunk, not a leak). Anything kept per case grows tenfold between the two
runs; the same test holding every summary shows that it would fail by far.
"""

import tracemalloc
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.exports import formats, records
from cases.exports.levels import Level
from cases.exports.records import iter_case_records
from cases.exports.summary import case_summary
from cases.models import Family
from cases.partial_dates import PartialDate
from tests.bench.exports import generate_cases
from tests.exports.conftest import summaries
from tests.factories import PersonFactory, SeparationFactory

pytestmark = pytest.mark.django_db

# One query per kind of record: cases, members, separations, status changes, conditions
# (through memberships, through separations), contacts, entries, petition events.
QUERIES = 9
# A row per case (`summary.brief_reads`): the cases, members, separations and contacts;
# at the internal level, where nobody is held to consent, not the members.
CASE_ROW_QUERIES = 4
INTERNAL_CASE_ROW_QUERIES = 3
# A row per separated person: the cases, members and separations.
PERSON_ROW_QUERIES = 3


def consume(families, level: Level, *, private: bool = True) -> int:
    """Stream the summaries of `families` and throw them away; how many there were."""
    count = 0
    for case in iter_case_records(families, private=private):
        case_summary(case, level)
        count += 1
    return count


def queries_of(action, *args) -> int:
    with CaptureQueriesContext(connection) as queries:
        action(*args)
    return len(queries.captured_queries)


def rendered(fmt: str, level: Level, user, layout: str = "cases") -> int:
    chunks = formats.render(
        layout=layout, fmt=fmt, level=level, families=Family.objects.all(), user=user
    )
    return sum(len(chunk) for chunk in chunks)


def traced_peak(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(records, "CHUNK", 50)


# --- Queries --------------------------------------------------------------------------

EXPORTS = {
    # How each export reads the cases, and the queries it takes: summaries at a level,
    # and the files of formats.
    "internal summaries": (lambda user: consume(Family.objects.all(), Level.INTERNAL), QUERIES),
    "advocacy summaries": (lambda user: consume(Family.objects.all(), Level.ADVOCACY), QUERIES),
    "advocacy summaries, private fields unread": (
        lambda user: consume(Family.objects.all(), Level.ADVOCACY, private=False),
        QUERIES,
    ),
    "internal CSV": (
        lambda user: rendered("csv", Level.INTERNAL, user),
        INTERNAL_CASE_ROW_QUERIES,
    ),
    "advocacy CSV": (lambda user: rendered("csv", Level.ADVOCACY, user), CASE_ROW_QUERIES),
    "advocacy CSV by person": (
        lambda user: rendered("csv", Level.ADVOCACY, user, layout="people"),
        PERSON_ROW_QUERIES,
    ),
    "internal JSON": (lambda user: rendered("json", Level.INTERNAL, user), QUERIES),
    "advocacy JSON": (lambda user: rendered("json", Level.ADVOCACY, user), QUERIES),
}
EXPECTED = {name: queries for name, (_export, queries) in EXPORTS.items()}


def queries_of_every_export(user) -> dict[str, int]:
    return {name: queries_of(export, user) for name, (export, _queries) in EXPORTS.items()}


def test_every_export_of_10_and_of_1000_cases_takes_the_same_few_queries(supervisor):
    generate_cases(10)
    at_10 = queries_of_every_export(supervisor)
    generate_cases(990, start=10)

    at_1000 = queries_of_every_export(supervisor)

    assert at_10 == at_1000 == EXPECTED


def test_a_case_with_every_kind_of_record_adds_no_query(marked_case, supervisor):
    generate_cases(20)

    assert queries_of_every_export(supervisor) == EXPECTED


def test_someone_known_only_by_a_description_adds_no_query_to_a_row_per_case(supervisor):
    generate_cases(3)
    unnamed = PersonFactory(
        name_latin="",
        description="the younger son",
        birth_date=PartialDate.parse("2015"),
        birth_date_approximate=True,
    )
    SeparationFactory(family=Family.objects.order_by("pk").first(), person=unnamed)

    with CaptureQueriesContext(connection) as queries:
        content = b"".join(
            formats.render(
                layout="cases",
                fmt="csv",
                level=Level.INTERNAL,
                families=Family.objects.all(),
                user=supervisor,
            )
        ).decode()

    assert len(queries.captured_queries) == INTERNAL_CASE_ROW_QUERIES
    assert "the younger son\u2069, born about 2015" in content


@pytest.mark.parametrize(
    ("level", "also_unread"),
    [
        # Naming as the case file does: no member, no consent, no alias.
        (Level.INTERNAL, ["cases_membership", '"consent"', '"aliases"']),
        # Named or pseudonymised: nothing an unnamed person is described by.
        (Level.ADVOCACY, ['"description"', '"birth_date"']),
    ],
)
def test_a_row_per_case_reads_only_the_fields_it_shows(supervisor, level, also_unread):
    generate_cases(5)

    with CaptureQueriesContext(connection) as queries:
        rendered("csv", level, supervisor)

    sql = " ".join(query["sql"] for query in queries.captured_queries)
    # Neither the timeline, nor the internal detail, nor a person's other fields.
    unread = ["internal_summary", "statuschange", "timelineentry", '"notes"', "sentence_start"]
    assert [column for column in unread + also_unread if column in sql] == []
    assert "name_latin" in sql  # the names are read: the case row names the separated


# --- The merge join at scale -----------------------------------------------------------


def test_every_case_streams_once_in_order_with_its_own_records_across_chunks(small_chunks):
    generate_cases(300)

    streamed = list(iter_case_records(Family.objects.all()))

    assert [case.family.pk for case in streamed] == sorted(
        Family.objects.values_list("pk", flat=True)
    )
    shapes = Counter(
        (
            len(case.memberships),
            len(case.separations),
            len(case.status_changes),
            len(case.conditions),
            len(case.contacts),
            len(case.entries),
        )
        for case in streamed
    )
    assert shapes == {(3, 1, 2, 1, 1, 1): 300}
    for case in streamed:
        rows = [*case.memberships, *case.separations, *case.status_changes, *case.contacts]
        assert {row.family_id for row in [*rows, *case.entries]} == {case.family.pk}
        assert {c.person_id for c in case.conditions} <= set(case.people)


def test_reading_the_advocacy_level_without_private_fields_gives_the_same_summaries(
    marked_case,
):
    generate_cases(20)
    families = Family.objects.all()

    unread = [
        case_summary(case, Level.ADVOCACY) for case in iter_case_records(families, private=False)
    ]

    assert unread == summaries(families, Level.ADVOCACY)


# --- Memory ----------------------------------------------------------------------------


def test_streaming_2000_cases_peaks_at_about_the_memory_of_200(small_chunks, supervisor):
    streams = {
        "summaries": lambda: consume(Family.objects.all(), Level.ADVOCACY),
        "CSV": lambda: rendered("csv", Level.ADVOCACY, supervisor),
        "JSON": lambda: rendered("json", Level.ADVOCACY, supervisor),
    }
    generate_cases(200)
    for stream in streams.values():
        stream()  # imports, translations, caches: once, before measuring
    at_200 = {name: traced_peak(stream) for name, stream in streams.items()}
    generate_cases(1800, start=200)

    at_2000 = {name: traced_peak(stream) for name, stream in streams.items()}
    kept = traced_peak(
        lambda: [
            case_summary(case, Level.ADVOCACY) for case in iter_case_records(Family.objects.all())
        ]
    )

    limits = {name: 1.25 * peak + 2**20 for name, peak in at_200.items()}
    assert all(at_2000[name] < limits[name] for name in streams), (at_200, at_2000)
    assert kept > 2 * limits["summaries"], (at_200, kept)  # what a leak would look like
