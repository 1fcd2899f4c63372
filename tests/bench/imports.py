"""The spreadsheet import benchmark: a generated 10,000-row file through the admin's
preview and import, as a caseworker (issue 10: the import in under a minute).

    make bench-import                         (throwaway PostgreSQL)
    .venv/bin/python tests/bench/imports.py   (a throwaway SQLite file)
    .venv/bin/python tests/bench/imports.py --rows 20000 --known 5000

It writes a CSV of `--rows` fictional rows, three per case (a father detained in a
camp, a child left behind in state care, a mother abroad who is a member only), and
puts `--known` people on record first, some under the same names, so the duplicate
finder has work. Then, through the admin views with a signed-in caseworker (both
factors, as tests/conftest.py's `login_verified`): the upload, the preview page (the
dry run, drawn), and the confirm, every possible duplicate decided "a new person". It
prints the seconds, queries and the peak RSS of each step.

Afterwards it checks the database: as many new cases as the file has, each reference
once, every row's person, separation and timeline entry, one audit row for the import,
and the upload deleted. Exit status 1 when a check fails; the one-minute target for the
confirm is printed, not failed, since it depends on the machine.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.bench import exports  # noqa: E402
from tests.bench.exports import megabytes, setup_django  # noqa: E402

say = functools.partial(exports.say, bench="imports")

TARGET_SECONDS = 60
ROWS_PER_CASE = 3
HEADINGS = ["Case ID", "Family name", "Host country", "Reported by", "Full name",
            "Relationship", "DOB", "Condition", "Where", "Detained since",
            "How it happened", "Status", "Notes"]  # fmt: skip
CONSONANTS = "bdgjklmnqrstyz"
VOWELS = "aeiou"
HOSTS = ["BE", "NL", "DE", "TR", "AU", "US", "CA", "SE"]


def word(rng: random.Random) -> str:
    """A fictional name word, CVCVC: enough of them that most people differ."""
    letters = [rng.choice(CONSONANTS if i % 2 == 0 else VOWELS) for i in range(5)]
    return "".join(letters).capitalize()


def spreadsheet(rows: int, rng: random.Random) -> tuple[bytes, list[str]]:
    """The CSV, and the names of the people in it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    names = []
    for number in range(rows):
        case = number // ROWS_PER_CASE
        family = f"{word(rng)}ova"
        if number % ROWS_PER_CASE == 0:
            surname = family
        name = f"{word(rng)} {surname}"
        names.append(name)
        host = HOSTS[case % len(HOSTS)]
        reporter = f"{word(rng)} {surname}" if number % ROWS_PER_CASE == 0 else ""
        if number % ROWS_PER_CASE == 0:
            born, since = str(1950 + case % 30), f"{2017 + case % 4}-0{1 + case % 9}"
            person = ["Father", born, "Detained in a camp", "Xinjiang", since, "Detained"]
            person.append("Reported")
        elif number % ROWS_PER_CASE == 1:
            condition = "In a state orphanage or boarding school"
            person = ["Son", f"about {2008 + case % 8}", condition, "In the Uyghur region"]
            person += ["2018", "Left behind when fleeing", "Verified"]
        else:
            person = ["Mother", f"{40 + case % 20} years old", "", "Abroad", "", "", ""]
        writer.writerow([f"G-{case:05d}", surname, host, reporter, name, *person,
                         "Fictional benchmark row" if number % 7 == 0 else ""])  # fmt: skip
    return out.getvalue().encode(), names


def known_people(count: int, names: list[str], rng: random.Random) -> int:
    """People on record before the import, every tenth under a name of the file."""
    from cases.models import Person

    people = []
    for index in range(count):
        name = names[rng.randrange(len(names))] if index % 10 == 0 else f"{word(rng)} {word(rng)}"
        people.append(Person(name_latin=name, birth_date="1960"))
    for person in people:  # bulk_create skips pre_save: the name keys, computed here
        person._meta.get_field("name_keys").pre_save(person, add=True)
    Person.objects.bulk_create(people, batch_size=1000)
    return count


def timed(label: str, run, results: list) -> object:
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    began, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        value = run()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    results.append((label, seconds, cpu, queries))
    say(f"{label}: {seconds:,.1f} s ({cpu:,.1f} s of CPU)")
    return value


def bench(options: argparse.Namespace, database: str) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from cases.models import (
        AuditEvent,
        Family,
        Membership,
        Person,
        Separation,
        SpreadsheetUpload,
        TimelineEntry,
    )
    from cases.roles import Role
    from tests.conftest import _AdminFormParser, login_verified

    setup_test_environment()  # the test client's host, mail kept in memory
    settings.DEBUG = False  # as in production: no query log (the development keys stay)
    rng = random.Random(10)
    data, names = spreadsheet(options.rows, rng)
    known = known_people(options.known, names, rng)
    worker, _created = get_user_model().objects.get_or_create(
        username="bench-caseworker", defaults={"is_staff": True}
    )
    worker.groups.add(Group.objects.get(name=Role.CASEWORKER))
    client = login_verified(Client(), worker)
    families_before = Family.objects.count()
    people_before = Person.objects.count()

    results: list[tuple[str, float, float, int]] = []
    upload_file = io.BytesIO(data)
    upload_file.name = "bench.csv"
    response = timed(
        "upload",
        lambda: client.post(reverse("admin:cases_family_import"), {"file": upload_file}),
        results,
    )
    preview, family_list = response.url, reverse("admin:cases_family_changelist")
    page = timed("preview (dry run, page drawn)", lambda: client.get(preview), results)
    parser = _AdminFormParser()
    parser.feed(page.content.decode())
    form = {name: value for name, value in parser.data.items()}
    decisions = [name for name in form if name.startswith(("person-", "contact-"))]
    form.update({name: "new" for name in decisions})
    form["confirm"] = "1"
    import cases.admin.imports as import_views

    service = import_views.import_rows
    spent: list[float] = []

    def timed_service(**kwargs):
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return service(**kwargs)
        finally:
            spent[:] = [time.perf_counter() - began, time.process_time() - cpu]

    import_views.import_rows = timed_service  # the view's own call, timed
    done = timed("confirm (checked again, imported)", lambda: client.post(preview, form), results)
    import_views.import_rows = service
    if spent:
        results.append(("  of which import_rows() writing", spent[0], spent[1], 0))
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    cases = options.rows // ROWS_PER_CASE + (1 if options.rows % ROWS_PER_CASE else 0)
    new_families = Family.objects.count() - families_before
    references = Family.objects.values_list("reference", flat=True)
    reporters = cases  # one a case
    audit = list(AuditEvent.objects.filter(detail__startswith="spreadsheet import"))
    separated = sum(1 for n in range(options.rows) if n % ROWS_PER_CASE != 2)
    checks = [
        ("the confirm answered with the family list", getattr(done, "url", "") == family_list),
        (f"{cases:,} new cases", new_families == cases),
        ("every reference once", len(set(references)) == len(references)),
        (
            f"{options.rows + reporters:,} people created",
            Person.objects.count() - people_before == options.rows + reporters,
        ),
        (f"{options.rows:,} memberships", Membership.objects.count() == options.rows),
        (f"{separated:,} separations", Separation.objects.count() == separated),
        (f"{options.rows:,} timeline entries", TimelineEntry.objects.count() == options.rows),
        ("one audit row for the import", len(audit) == 1),
        ("the upload deleted", not SpreadsheetUpload.objects.exists()),
    ]

    print()
    print(
        f"Reunite import bench: {options.rows:,} rows ({cases:,} cases, {len(data):,} bytes), "
        f"{known:,} people on record ({len(decisions):,} possible duplicates decided), "
        f"on {database}, {os.cpu_count()} cores"
    )
    print(f"{'step':<36} {'seconds':>8} {'CPU s':>7} {'queries':>9} {'rows/s':>8}")
    for label, seconds, cpu, queries in results:
        print(
            f"{label:<36} {seconds:>8.1f} {cpu:>7.1f} {f'{queries:,}' if queries else '':>9} "
            f"{options.rows / seconds:>8,.0f}"
        )
    load = os.getloadavg()[0]
    print(
        f"Load average during the run: {load:.1f} on {os.cpu_count()} cores (others' work counts)"
    )
    print(f"Peak RSS of this process: {megabytes(peak_rss)}")
    for label, ok in checks:
        print(f"[{'ok' if ok else 'FAILED'}] {label}")
    confirm = next(seconds for label, seconds, _cpu, _q in results if label.startswith("confirm"))
    if confirm > TARGET_SECONDS:
        print(f"Target missed: the confirm took {confirm:,.1f} s (target {TARGET_SECONDS} s)")
    return 0 if all(ok for _label, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the file (10,000)")
    parser.add_argument("--known", type=int, default=3_000, help="people on record (3,000)")
    options = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        return bench(options, setup_django(database_url))
    with tempfile.TemporaryDirectory(prefix="reunite-bench-imports-") as workdir:
        path = Path(workdir) / "bench.sqlite3"
        return bench(options, setup_django(f"sqlite:///{path.resolve()}"))


if __name__ == "__main__":
    sys.exit(main())
