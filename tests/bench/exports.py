"""The case export benchmark: 100,000 generated cases exported to CSV and JSON.

    make bench ARGS=--exports              (throwaway PostgreSQL, as the main bench)
    .venv/bin/python tests/bench/exports.py --cases 20000   (a throwaway SQLite file)

It generates the cases with bulk inserts (`generate_cases`, which the scale tests in
tests/exports/test_scale.py use too): each with a mother abroad who agreed to be named
and two children inside China, one of them separated, two status changes, a condition
change, a government contact and a timeline entry, private fields filled (they are
encrypted at rest, and decrypting them is part of the cost). Then, as a supervisor,
through `service.export_cases` (the audited entry point every export takes), it
streams the file to nowhere and prints, per format and level: case rows per second of
wall clock and per second of this process's CPU time (on a busy machine the two
differ), seconds, bytes, database queries, the tracemalloc peak and the process's
peak RSS. The peak comes from a second, untimed pass (tracing slows the code down),
which also checks the file as it streams: as many rows (CSV) or documents (JSON) as
cases, each reference once.

Exit status 1 when a check fails; the throughput target (20,000 case rows/s in CSV)
is printed, not failed, since it depends on the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_CSV_ROWS_PER_SECOND = 20_000
BATCH = 2_000  # cases generated per round of bulk inserts
REFERENCE_PREFIX = "BENCH"


def say(message: str, *, bench: str = "exports") -> None:
    print(f"bench {bench}: {message}", file=sys.stderr, flush=True)


# --- Generated cases ----------------------------------------------------------------------


def generate_cases(count: int, *, private: bool = True, start: int = 0) -> int:
    """`count` fictional cases, bulk-inserted in rounds of `BATCH`; their references are
    BENCH-0000001 onwards (from `start`). Returns the number of rows written.

    `private=False` leaves the encrypted fields blank (faster: for the tests)."""
    from django.db import transaction
    from django.utils import timezone

    from cases.models import (
        ConditionChange,
        Family,
        GovernmentContact,
        Membership,
        Person,
        Separation,
        StatusChange,
        TimelineEntry,
    )
    from cases.partial_dates import PartialDate

    now = timezone.now()
    since = PartialDate.parse("2018-05")
    contacted = PartialDate.parse("2024-01-10")
    answered = PartialDate.parse("2024-02")
    hosts = ["BE", "NL", "DE", "TR", "AU", "US", "CA", "SE"]
    conditions = [
        Person.Condition.DETAINED_IN_CAMP,
        Person.Condition.IMPRISONED,
        Person.Condition.STATE_CARE,
        Person.Condition.MISSING,
    ]
    rows = 0

    def secret(text: str) -> str:
        return text if private else ""

    for first in range(start, start + count, BATCH):
        numbers = range(first, min(first + BATCH, start + count))
        with transaction.atomic():
            families = Family.objects.bulk_create(
                Family(
                    reference=f"{REFERENCE_PREFIX}-{n:07d}",
                    name=f"Benchfamily{n}",
                    status=Family.Status.ACTIVE if n % 3 else Family.Status.ADVOCACY,
                    host_country=hosts[n % len(hosts)],
                    internal_summary=secret(f"Internal summary of bench case {n}."),
                    public_summary="The mother abroad has had no news of her son since 2018.",
                )
                for n in numbers
            )
            people = Person.objects.bulk_create(
                person
                for n in numbers
                for person in (
                    Person(
                        name_latin=f"Benchmother{n} Example",
                        name_uyghur="گۈلنار ئەمەت",
                        whereabouts=Person.Whereabouts.ABROAD,
                        condition=Person.Condition.REFUGEE,
                        location_country=hosts[n % len(hosts)],
                        consent=Person.Consent.NAMED,
                        consent_recorded_at=now,
                        contact_details=secret(f"+32 470 {n:06d}"),
                        birth_date=PartialDate.parse("1984-06"),
                    ),
                    Person(
                        name_latin=f"Benchson{n} Example",
                        name_chinese="买买提",
                        aliases=f"Benchalias{n}",
                        whereabouts=Person.Whereabouts.UYGHUR_REGION,
                        condition=conditions[n % len(conditions)],
                        location_country="CN",
                        location_place=secret(f"Bench town {n}"),
                        notes=secret(f"Notes on the son of bench case {n}."),
                        birth_date=PartialDate.parse("2012"),
                    ),
                    Person(
                        name_latin=f"Benchdaughter{n} Example",
                        whereabouts=Person.Whereabouts.UYGHUR_REGION,
                        condition=Person.Condition.AT_HOME,
                        location_country="CN",
                        consent=Person.Consent.ANONYMISED,
                        consent_recorded_at=now,
                    ),
                )
            )
            trios = [people[i : i + 3] for i in range(0, len(people), 3)]
            roles = (Membership.Role.MOTHER, Membership.Role.CHILD, Membership.Role.CHILD)
            Membership.objects.bulk_create(
                Membership(family=family, person=person, role=role)
                for family, trio in zip(families, trios, strict=True)
                for person, role in zip(trio, roles, strict=True)
            )
            separations = Separation.objects.bulk_create(
                Separation(
                    family=family,
                    person=trio[1],
                    since=since,
                    circumstance=Separation.Circumstance.LEFT_BEHIND,
                    status=Separation.Status.VERIFIED,
                    details=secret("Left with his grandparents when the family fled."),
                )
                for family, trio in zip(families, trios, strict=True)
            )
            StatusChange.objects.bulk_create(
                change
                for family, separation in zip(families, separations, strict=True)
                for change in (
                    StatusChange(
                        family=family,
                        to_status=family.status,
                        effective_on=since,
                        note=secret("Opened at the clinic."),
                        changed_at=now,
                    ),
                    StatusChange(
                        family=family,
                        separation=separation,
                        from_status=Separation.Status.REPORTED,
                        to_status=Separation.Status.VERIFIED,
                        effective_on=answered,
                        changed_at=now,
                    ),
                )
            )
            ConditionChange.objects.bulk_create(
                ConditionChange(
                    person=trio[1],
                    effective_on=since,
                    condition=trio[1].condition,
                    whereabouts=trio[1].whereabouts,
                    location_place=secret("Bench town"),
                    source="A neighbour's testimony",
                )
                for trio in trios
            )
            GovernmentContact.objects.bulk_create(
                GovernmentContact(
                    family=family,
                    separation=separation,
                    government=family.host_country,
                    body_kind=GovernmentContact.BodyKind.FOREIGN_MINISTRY,
                    body="Ministry of Foreign Affairs",
                    contacted_on=contacted,
                    direction=GovernmentContact.Direction.WE_ASKED,
                    channel=GovernmentContact.Channel.LETTER,
                    summary="Asked for help with the son's exit documents.",
                    response_on=answered if n % 2 else "",
                    follow_up_on=contacted.first_day.replace(month=3),
                )
                for n, family, separation in zip(numbers, families, separations, strict=True)
            )
            TimelineEntry.objects.bulk_create(
                TimelineEntry(
                    family=family,
                    occurred_on=since,
                    kind=TimelineEntry.Kind.MEDIA,
                    title="The family's story in the press",
                    description="A newspaper told how the son was left behind.",
                    source="Example Gazette",
                    publishable=True,
                )
                for family in families
            )
        rows += len(numbers) * 12
    return rows


# --- Measuring one export ---------------------------------------------------------------


@dataclass
class Measure:
    label: str
    cases: int
    seconds: float
    size: int
    queries: int
    cpu_seconds: float = 0.0
    traced_peak: int | None = None
    rss: int | None = None  # the process's peak RSS so far
    ok: bool = True
    problem: str = ""

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Per second of this process's CPU time: what a busy machine's other work
        takes from the wall-clock rate is not counted."""
        return self.cases / self.cpu_seconds if self.cpu_seconds else 0.0


def export_chunks(user, *, fmt: str, level: str, layout: str = "cases") -> Iterator[bytes]:
    from cases.exports.service import export_cases
    from cases.models import Family

    families = Family.objects.visible_to(user).filter(reference__startswith=REFERENCE_PREFIX)
    return export_cases(
        user=user, level=level, layout=layout, fmt=fmt, families=families, filters="bench"
    ).chunks


def lines_of(chunks: Iterator[bytes]) -> Iterator[str]:
    """The text lines of a stream of UTF-8 chunks, one at a time."""
    pending = ""
    for chunk in chunks:
        pending += chunk.decode("utf-8")
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def references_in(fmt: str, chunks: Iterator[bytes]) -> Iterator[str]:
    """The case references of a file, read as it streams: CSV rows, or the JSON
    export's documents, one a line (`formats.json_document` writes them so)."""
    lines = lines_of(chunks)
    if fmt == "csv":
        rows = csv.reader(line.removeprefix("\ufeff") for line in lines)
        next(rows)  # the header
        yield from (row[0] for row in rows if row)
        return
    head = next(lines)
    assert head.endswith('"cases": ['), head[-40:]
    for line in lines:
        if line.strip() not in ("", "]}"):
            yield json.loads(line.removeprefix(",").removesuffix(","))["reference"]


class FileCheck:
    """Counts the references of a file as it streams, in constant memory: generated
    references grow with the primary key, the order of every export, so each case is
    there once if they strictly increase and there are as many as cases."""

    def __init__(self, fmt: str, expected: int) -> None:
        self.fmt, self.expected = fmt, expected
        self.count, self.problem = 0, ""

    def read(self, chunks: Iterator[bytes]) -> None:
        last = ""
        for reference in references_in(self.fmt, chunks):
            if reference <= last:
                self.problem = f"{reference} after {last}"
            last = reference
            self.count += 1
        if not self.problem and self.count != self.expected:
            self.problem = f"{self.count:,} cases in the file, {self.expected:,} generated"


def measure(user, *, fmt: str, level: str, cases: int, check: bool) -> Measure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    label = f"{fmt.upper()} {level}"
    say(f"{label}: timed pass")
    size = 0
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        cpu = time.process_time()
        for chunk in export_chunks(user, fmt=fmt, level=level):
            size += len(chunk)
        result = Measure(
            label,
            cases,
            time.perf_counter() - began,
            size,
            len(queries.captured_queries),
            cpu_seconds=time.process_time() - cpu,
        )
    say(f"{label}: traced pass" + (", checking the file" if check else ""))
    checker = FileCheck(fmt, cases)
    tracemalloc.start()
    chunks = export_chunks(user, fmt=fmt, level=level)
    if check:
        checker.read(chunks)
    else:
        for _chunk in chunks:
            pass
    result.traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result.rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if check and checker.problem:
        result.ok, result.problem = False, checker.problem
    return result


def megabytes(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:,.1f} MB"


def table(results: list[Measure]) -> str:
    header = (
        "Export",
        "Cases",
        "Rows/s",
        "Rows/CPU s",
        "Seconds",
        "File",
        "Queries",
        "tracemalloc peak",
        "Peak RSS so far",
    )
    lines = [
        (
            r.label,
            f"{r.cases:,}",
            f"{r.rate:,.0f}",
            f"{r.cpu_rate:,.0f}",
            f"{r.seconds:,.1f}",
            megabytes(r.size),
            str(r.queries),
            megabytes(r.traced_peak),
            megabytes(r.rss),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *lines]
    )


# --- The run -----------------------------------------------------------------------------


def setup_django(database_url: str, *, migrate: bool = True) -> str:
    """Django with this database, migrated; returns what it is, for the table's title."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings")
    os.environ.setdefault("DJANGO_ENV_FILE", "/dev/null")  # a developer's .env must not count
    os.environ.setdefault("DJANGO_DEBUG", "true")  # development keys for this throwaway data
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    # In a process of its own, as the generation: the migrations' state is large, and the
    # peak RSS printed is to be the exports'.
    if migrate:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            check=True,
        )
    version = (
        ".".join(str(part) for part in connection.Database.sqlite_version_info)
        if (connection.vendor == "sqlite")
        else str(connection.pg_version)
    )
    return f"{connection.vendor} {version}"


def bench(options: argparse.Namespace, database: str) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from cases.models import Family
    from cases.roles import Role

    supervisor, _created = get_user_model().objects.get_or_create(
        username="bench-supervisor", defaults={"is_staff": True}
    )
    supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR))

    existing = Family.objects.filter(reference__startswith=REFERENCE_PREFIX).count()
    if existing < options.cases:
        # In a process of its own, so that the peak RSS below is the exports' alone.
        say(f"generating {options.cases - existing:,} cases")
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(options.cases - existing),
             "--start", str(existing)],
            check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        say(f"generated {options.cases - existing:,} cases in {seconds:,.1f} s")
        # As autovacuum (or an operator) does on a live database: without statistics on
        # tables just filled, PostgreSQL plans the joins as if they were empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    cases = Family.objects.filter(reference__startswith=REFERENCE_PREFIX).count()

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    results = [
        measure(supervisor, fmt=fmt, level=level, cases=cases, check=not options.no_check)
        for fmt, level in [
            ("csv", "advocacy"),
            ("csv", "internal"),
            ("json", "advocacy"),
            ("json", "internal"),
        ]
    ]
    print()
    print(
        f"Reunite export bench: {cases:,} cases on {database}, {os.cpu_count()} cores, "
        "as a supervisor through service.export_cases"
    )
    print(table(results))
    print(
        f"Peak RSS before the first export (Django set up, cases counted): {megabytes(rss_before)}"
        " (migrations and generation ran in other processes)"
    )
    for result in results:
        if not options.no_check:
            print(
                f"[{'ok' if result.ok else 'FAILED'}] {result.label}: "
                f"{result.problem or 'every case once'}"
            )
    csv_rate = min(r.rate for r in results if r.label.startswith("CSV"))
    if csv_rate < TARGET_CSV_ROWS_PER_SECOND:
        print(
            f"Target missed: CSV {csv_rate:,.0f} case rows/s "
            f"(target {TARGET_CSV_ROWS_PER_SECOND:,})"
        )
    return 0 if all(r.ok for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to export (100,000)")
    parser.add_argument("--no-check", action="store_true", help="do not keep and check the files")
    parser.add_argument(
        "--keep",
        metavar="FILE",
        help="SQLite file to keep the generated cases in between runs (else a throwaway one)",
    )
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    options, _rest = parser.parse_known_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if options.generate:
        setup_django(database_url, migrate=False)  # the parent migrated
        generate_cases(options.generate, start=options.start)
        return 0
    if database_url.startswith("postgres"):
        return bench(options, setup_django(database_url))
    with tempfile.TemporaryDirectory(prefix="reunite-bench-exports-") as workdir:
        path = Path(options.keep) if options.keep else Path(workdir) / "bench.sqlite3"
        return bench(options, setup_django(f"sqlite:///{path.resolve()}"))


if __name__ == "__main__":
    sys.exit(main())
