"""`make bench`: the public petition pages under a surge, on this machine.

Run by the Makefile inside bin/with-postgres and bin/with-redis, which start a throwaway
PostgreSQL (DATABASE_URL, its owner; REUNITE_DB_APP_ROLE) and Redis
(REUNITE_TEST_REDIS_URL). It then does what a deployment does: migrates as the owner,
collects the static files and starts bin/serve (granian and the task worker) with
production settings (DEBUG off, keys generated for this run, PostgreSQL as the app's
role, Redis as the shared cache), on loopback only. It loads the server with Debian's
wrk (load.lua) in four runs of --seconds each and prints requests/s, p50, p99 and errors:

  1. petition page views          2. count.json reads          3. signing
  4. all at once: 275 signatures/s + 1,500 page views/s + 3,000 count reads/s

Afterwards it checks in the database that every accepted signature is stored once and
has one confirmation task, confirms signatures through the service and checks that
count.json shows exactly the confirmed number within 5 seconds. A run the server cannot
answer yet (the signing views may not exist) is printed as "not available yet".

Exit status: 1 when a correctness check fails or the server does not start; missed
throughput targets are printed, not failed, since they depend on the machine.

`make bench ARGS=--exports` runs the case export benchmark instead (tests/bench/exports.py).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SLUG = "bench-surge"
PYTHON = sys.executable

# The mixed run's rates, and the targets of issue 8 for the single runs.
MIXED_RATES = {"sign": 275, "page": 1_500, "count": 3_000}
TARGETS = {"page": 3_000, "count": 6_000, "sign": 550}
SIGN_P99_TARGET_MS = 250
COUNT_LAG_LIMIT = 5.0  # seconds from the last confirmation to count.json showing it
DRAIN_SECONDS = 2  # after a run: no new requests, the last ones answered
MIN_FORM_SECONDS = 4  # a form sent within 3 s of being drawn makes a suspect signature


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- The production environment of this run -------------------------------------------


def production_env(workdir: Path) -> dict[str, str]:
    owner_url = os.environ.get("DATABASE_URL", "")
    app_role = os.environ.get("REUNITE_DB_APP_ROLE", "")
    redis_url = os.environ.get("REUNITE_TEST_REDIS_URL", "")
    if not owner_url.startswith("postgres") or not app_role or not redis_url:
        sys.exit("bench: run me through `make bench` (throwaway PostgreSQL and Redis)")
    parts = urllib.parse.urlsplit(owner_url)
    app_url = parts._replace(netloc=f"{app_role}@{parts.hostname}:{parts.port}").geturl()
    # The caller's environment without its settings, but with bin/serve's sizing.
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "REUNITE_", "DATABASE_", "EMAIL_", "CACHE_"))
        or name.startswith(("REUNITE_SERVER_", "REUNITE_TASK_WORKERS"))
    }
    for directory in ("static", "private", "mail"):
        (workdir / directory).mkdir()
    return {
        **keep,
        "DJANGO_ENV_FILE": "/dev/null",  # a developer's .env must not change the run
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no TLS proxy in front of this run.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "REUNITE_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "REUNITE_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": app_url,
        "REUNITE_DB_APP_ROLE": app_role,
        "CACHE_URL": redis_url,
        # load.lua gives every request its own client address in X-Forwarded-For, as a
        # reverse proxy would pass on a surge from many supporters.
        "REUNITE_TRUSTED_PROXIES": "1",
        # Above the rates of this run: a surge past REUNITE_SIGNING_SURGE makes every signer
        # bring a proof of work (seconds of a browser's time each), which wrk cannot do.
        # The bench measures the signing path under it, as a surge of that size meets it.
        "REUNITE_SIGNING_SURGE": "100000",
        # Mail to files: for this run only (check --deploy refuses it in production).
        # (django-environ drops one slash: "filemail://" + "/" + the absolute path)
        "EMAIL_URL": f"filemail:///{workdir / 'mail'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "REUNITE_PRIVATE_STORAGE": str(workdir / "private"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "BENCH_OWNER_DATABASE_URL": owner_url,
    }


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"bench: manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def create_petition() -> int:
    """A published petition with texts in English and Uyghur, as staff would write it."""
    from cases.models import Petition, PetitionText
    from cases.petitions import petition_publish

    petition = Petition.objects.create(
        slug=SLUG,
        addressee_name="Jane Example",
        addressee_title="Minister for Foreign Affairs",
        addressee_body="Department of Foreign Affairs",
        addressee_government="AU",
        addressee_address="1 Example Street\nCanberra ACT 2600",
        salutation="Dear Minister",
        fallback_language="en",
    )
    letter = "\n\n".join(
        [
            "We write to ask for your help for the families separated by the repression "
            "in Xinjiang. Parents abroad have had no word of their children for years; "
            "spouses wait for visas that never come."
        ]
        * 6
    )
    PetitionText.objects.create(
        petition=petition,
        language="en",
        title="Reunite the families separated by repression",
        summary="Children wait for their parents. Ask the minister to act.",
        letter=letter,
        demands="Raise each case by name\nRequest proof of life\nIssue visas for the children",
    )
    PetitionText.objects.create(
        petition=petition,
        language="ug",
        title="ئايرىۋېتىلگەن ئائىلىلەرنى جەم قىلايلى",
        summary="بالىلار ئاتا-ئانىسىنى كۈتمەكتە.",
        letter="ھۆرمەتلىك مىنىستىر، بىز سىزدىن ياردەم سورايمىز.\n\n" * 6,
        demands="ھەر بىر ئەھۋالنى ئىسمى بىلەن تىلغا ئېلىڭ\nھايات ئىكەنلىكىنىڭ ئىسپاتىنى سوراڭ",
    )
    petition_publish(petition=petition, actor=None)
    return petition.pk


# --- The server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    """(status, body) of a loopback request, never through a proxy; status 0 if none."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        NoRedirect,  # a 303 after signing is an answer
    )
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, log: Path):
    """bin/serve on 127.0.0.1:port, stopped (SIGTERM, then its process group) at the end."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "serve"), f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**env, "PYTHON": PYTHON},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the granian and worker processes
        )
    try:
        deadline = time.monotonic() + 90
        while fetch(f"http://127.0.0.1:{port}/petitions/{SLUG}/count.json")[0] == 0:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench: bin/serve did not answer; its log:\n{log.read_text()}")
            time.sleep(0.25)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class ConnectionWatch(threading.Thread):
    """The most PostgreSQL connections the app's role held at once (as the owner)."""

    def __init__(self, owner_url: str, role: str) -> None:
        super().__init__(daemon=True)
        self.owner_url, self.role = owner_url, role
        self.most = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.owner_url, autocommit=True) as connection:
            while not self.stopping.wait(0.2):
                (count,) = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [self.role]
                ).fetchone()
                self.most = max(self.most, count)


# --- The sign form, read from the page as a browser would ------------------------------


class _FormReader(HTMLParser):
    """The controls of the page's sign form (the form posting to …/sign/)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.controls: list[dict[str, str]] = []
        self._in_form = False
        self._select: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form" and "/sign/" in attr.get("action", "") and self.action is None:
            self.action, self._in_form = attr["action"], True
        elif not self._in_form:
            return
        elif tag in {"input", "textarea"} and "name" in attr:
            self.controls.append({"tag": tag, **attr})
        elif tag == "select" and "name" in attr:
            self._select = {"tag": "select", "name": attr["name"], "value": ""}
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None and "selected" in attr:
            self._select["value"] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None


def sign_body(page_html: str) -> tuple[str, str] | None:
    """The sign form's action and a body a supporter would post, with "{n}" where the
    e-mail address is unique; None if the page has no sign form."""
    reader = _FormReader()
    reader.feed(page_html)
    if reader.action is None:
        return None
    fields: list[tuple[str, str]] = []
    for control in reader.controls:
        name, kind = control["name"], control.get("type", "text").lower()
        if kind in {"submit", "button", "checkbox", "radio"}:
            continue  # the opt-ins stay off
        if name == "email":
            value = "bench.{n}@example.org"
        elif name == "name":
            value = "Ayşe Bench"
        elif name == "country":
            value = control.get("value") or "GB"
        elif name == "elapsed":
            value = "9000"  # what the page's script measures for a person: 9 s to fill in
        elif kind == "hidden":
            value = control.get("value", "")
        else:
            value = ""  # postcode, comment, and the honeypot, which people leave empty
        fields.append((name, value))
    body = urllib.parse.urlencode(fields).replace("%7Bn%7D", "{n}")
    return reader.action, body


# --- Load ------------------------------------------------------------------------------


@dataclass
class Stream:
    """One wrk process: a kind of request at a rate (0: as fast as it can)."""

    kind: str
    paths: list[str]
    rate: int = 0
    body: str | None = None
    threads: int = 2
    connections: int = 32


# What answers a request well: the page or document, or the sign view's 303 to its
# thank-you page (signed, or signed before: the same answer). A 200 to a sign POST is
# the form again, with errors or asking for proof of work: not signed.
ACCEPTED = {"page": {"200"}, "count": {"200"}, "sign": {"303"}}


@dataclass
class Result:
    kind: str
    rate: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    available: bool = True

    @property
    def answered(self) -> int:
        """Answers that did what was asked (ACCEPTED)."""
        return sum(n for status, n in self.statuses.items() if status in ACCEPTED[self.kind])

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def start_wrk(stream: Stream, port: int, seconds: int, workdir: Path) -> subprocess.Popen:
    paths_file = workdir / f"{stream.kind}-paths.txt"
    paths_file.write_text("\n".join(stream.paths) + "\n")
    args = [str(max(0, stream.rate) / stream.threads), str(seconds), str(paths_file)]
    if stream.body is not None:
        body_file = workdir / f"{stream.kind}-body.txt"
        body_file.write_text(stream.body)
        args.append(str(body_file))
    return subprocess.Popen(
        [
            "wrk",
            f"-t{stream.threads}",
            f"-c{stream.connections}",
            f"-d{seconds + DRAIN_SECONDS}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / "load.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(stream: Stream, process: subprocess.Popen) -> Result:
    output, errors = process.communicate(timeout=600)
    line = next((x for x in output.splitlines() if x.startswith("bench-result ")), None)
    if process.returncode != 0 or line is None:
        sys.exit(f"bench: wrk failed for {stream.kind}:\n{output}{errors}")
    data = json.loads(line.removeprefix("bench-result "))
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    statuses = data["statuses"]
    bad = sum(n for status, n in statuses.items() if status not in ACCEPTED[stream.kind])
    return Result(
        kind=stream.kind,
        rate=stream.rate,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6 - DRAIN_SECONDS,  # the time it sent requests
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=socket_errors + bad,
        statuses=statuses,
    )


def run_streams(streams: list[Stream], port: int, seconds: int, workdir: Path) -> list[Result]:
    processes = [start_wrk(stream, port, seconds, workdir) for stream in streams]
    return [collect(stream, process) for stream, process in zip(streams, processes, strict=True)]


# --- Checks after the load ---------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def settle(petition_id: int) -> None:
    """Wait until no signature has been added for a second (at most 30 s): the server
    finishes what it had taken before the counts are compared."""
    from cases.models import Signature

    rows, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:
        now = Signature.objects.filter(petition_id=petition_id).count()
        if now == rows:
            return
        rows = now
        time.sleep(1)


def check_signatures(petition_id: int, accepted: int) -> list[Check]:
    from django.db.models import Count

    from cases.models import Signature

    rows = Signature.objects.filter(petition_id=petition_id)
    stored = rows.count()
    twice = (
        rows.values("email_canonical").annotate(n=Count("pk")).filter(n__gt=1).count()
        + rows.values("email").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    states = dict(rows.values_list("state").annotate(n=Count("pk")))
    return [
        Check(
            "every accepted signature stored exactly once",
            stored == accepted and twice == 0,
            f"{accepted} accepted answers, {stored} rows, {twice} addresses stored twice",
        ),
        Check(
            "none taken for a bot's",
            set(states) <= {Signature.State.PENDING},
            ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "no rows",
        ),
    ]


def check_confirmation_tasks(petition_id: int) -> list[Check]:
    """One confirmation-mail task per signature (a mail that failed would add a retry
    row; to files nothing fails), and none for anything else."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from cases.models import Signature
    from cases.public.tasks import send_confirmation

    ids = set(Signature.objects.filter(petition_id=petition_id).values_list("pk", flat=True))
    tasks = (
        DBTaskResult.objects.filter(task_path=send_confirmation.module_path)
        .values_list("args_kwargs__kwargs__signature_id")
        .annotate(n=Count("pk"))
    )
    per_signature = dict(tasks)
    missing = len(ids - per_signature.keys())
    twice = sum(1 for pk, n in per_signature.items() if pk in ids and n > 1)
    strays = len(per_signature.keys() - ids)
    return [
        Check(
            "every confirmation e-mail task exists once",
            bool(ids) and missing == twice == strays == 0,
            f"{len(ids)} signatures: {missing} without a task, {twice} with more than one, "
            f"{strays} tasks for no signature",
        )
    ]


def check_count(petition_id: int, port: int, confirm: int) -> list[Check]:
    """Confirm up to `confirm` pending signatures through the signing service, as the
    confirmation page does, then time how long count.json takes to show exactly the
    number of confirmed signatures."""
    from cases.models import Signature
    from cases.public.signing import signature_confirm

    pending = Signature.objects.filter(
        petition_id=petition_id, state=Signature.State.PENDING
    ).select_related("petition")
    confirmed = 0
    for signature in pending.order_by("pk")[:confirm]:
        confirmed += signature_confirm(signature=signature) == "now"
    confirmed_at = time.monotonic()
    expected = Signature.objects.filter(
        petition_id=petition_id, state=Signature.State.CONFIRMED
    ).count()
    shown = None
    while time.monotonic() - confirmed_at <= COUNT_LAG_LIMIT + 5:
        status, body = fetch(f"http://127.0.0.1:{port}/petitions/{SLUG}/count.json")
        if status == 200:
            shown = json.loads(body)["count"]
            if shown == expected:
                break
        time.sleep(0.1)
    lag = time.monotonic() - confirmed_at
    return [
        Check(
            f"count.json shows the confirmed signatures within {COUNT_LAG_LIMIT:.0f} s",
            confirmed > 0 and shown == expected and lag <= COUNT_LAG_LIMIT,
            f"{confirmed} confirmed through the service, {expected} confirmed in all; "
            f"count.json said {shown} after {lag:.1f} s",
        )
    ]


# --- Output ------------------------------------------------------------------------------

LABELS = {
    "page": "petition page views",
    "count": "count.json reads",
    "sign": "signing (accepted)",
}


def table(rows: list[tuple[str, Result, str]]) -> str:
    lines = [
        f"{'run':<34} {'target':>22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
        "-" * 93,
    ]
    for label, result, target in rows:
        if not result.available:
            lines.append(f"{label:<34} {target:>22} {'not available yet':>35}")
            continue
        lines.append(
            f"{label:<34} {target:>22} {result.per_second:>9,.0f} {result.p50_ms:>8.1f} "
            f"{result.p99_ms:>8.1f} {result.errors:>7,}"
        )
    return "\n".join(lines)


def target_text(kind: str) -> str:
    if kind == "sign":
        return f">= {TARGETS['sign']:,}/s, p99 < {SIGN_P99_TARGET_MS}"
    return f">= {TARGETS[kind]:,}/s"


def missed(kind: str, result: Result) -> bool:
    if not result.available:
        return False
    if result.errors:
        return True
    if kind == "sign" and result.p99_ms >= SIGN_P99_TARGET_MS:
        return True
    if result.rate:
        return result.per_second < result.rate * 0.97
    return result.per_second < TARGETS[kind]


# --- The run -----------------------------------------------------------------------------


def main() -> int:
    if "--exports" in sys.argv[1:]:
        # The case export benchmark instead (tests/bench/exports.py), on this PostgreSQL.
        from exports import main as exports_main

        return exports_main([arg for arg in sys.argv[1:] if arg != "--exports"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--exports",
        action="store_true",
        help="run the case export benchmark instead (tests/bench/exports.py; --cases N)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each run (10)")
    parser.add_argument(
        "--confirm", type=int, default=500, help="signatures to confirm for the count check"
    )
    options = parser.parse_args()
    if not 1 <= options.seconds <= 60:
        parser.error("--seconds must be between 1 and 60")
    if shutil.which("wrk") is None:
        say("wrk is not installed: apt-get install wrk")
        return 1

    workdir = Path(tempfile.mkdtemp(prefix="reunite-bench-"))
    try:
        return bench(options, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench(options: argparse.Namespace, workdir: Path) -> int:
    load_before = os.getloadavg()[0]
    env = production_env(workdir)
    say("migrating as the owner, collecting static files")
    manage({**env, "DATABASE_URL": env["BENCH_OWNER_DATABASE_URL"]}, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")

    # This process sets up and checks as the owner, so that the app's role's connections
    # counted below are the server's and the worker's alone.
    os.environ.update({**env, "DATABASE_URL": env["BENCH_OWNER_DATABASE_URL"]})
    os.environ["DJANGO_SETTINGS_MODULE"] = "reunite.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    petition_id = create_petition()

    from django.conf import settings

    languages = [code for code, _ in settings.PUBLIC_LANGUAGES]
    page_paths = [f"/{language}/petitions/{SLUG}/" for language in languages]
    count_paths = [f"/petitions/{SLUG}/count.json"]

    port = free_port()
    watch = ConnectionWatch(env["BENCH_OWNER_DATABASE_URL"], env["REUNITE_DB_APP_ROLE"])
    say(f"starting bin/serve on 127.0.0.1:{port}")
    with serving(env, port, workdir / "serve.log"):
        watch.start()
        base = f"http://127.0.0.1:{port}"
        page_status, page = fetch(base + page_paths[0])
        count_status, _ = fetch(base + count_paths[0])
        form = sign_body(page.decode()) if page_status == 200 else None
        form_drawn = time.monotonic()
        available = {"page": page_status == 200, "count": count_status == 200}
        available["sign"] = form is not None
        for kind, ready in available.items():
            if not ready:
                say(f"{LABELS[kind]}: not available yet")

        streams = {
            "page": Stream("page", page_paths),
            "count": Stream("count", count_paths),
        }
        if form is not None:
            action, body = form
            streams["sign"] = Stream("sign", [action], body=body)

        for path in [*page_paths, *count_paths]:  # fill the caches, as the first readers do
            fetch(base + path)

        rows: list[tuple[str, Result, str]] = []
        results: dict[str, Result] = {}
        for number, kind in enumerate(("page", "count", "sign"), start=1):
            if kind == "sign":  # a form sent sooner after it was drawn looks like a bot's
                time.sleep(max(0.0, form_drawn + MIN_FORM_SECONDS - time.monotonic()))
            if available[kind]:
                say(f"run: {LABELS[kind]}, {options.seconds} s")
                results[kind] = run_streams([streams[kind]], port, options.seconds, workdir)[0]
            else:
                results[kind] = Result(kind, 0, available=False)
            rows.append((f"{number} {LABELS[kind]}", results[kind], target_text(kind)))

        mixed_kinds = [kind for kind in ("sign", "page", "count") if available[kind]]
        mixed: dict[str, Result] = {}
        if mixed_kinds:
            say(f"run: all at once, {options.seconds} s")
            paced = [
                Stream(
                    kind,
                    streams[kind].paths,
                    rate=MIXED_RATES[kind],
                    body=streams[kind].body,
                    threads=1,
                    # 96 in all: under the 64 connections each of the 2 server processes
                    # takes at once (bin/serve's backpressure), so that none waits unserved.
                    connections=32,
                )
                for kind in mixed_kinds
            ]
            for stream, result in zip(
                paced, run_streams(paced, port, options.seconds, workdir), strict=True
            ):
                mixed[stream.kind] = result
        for kind in ("sign", "page", "count"):
            result = mixed.get(kind, Result(kind, MIXED_RATES[kind], available=False))
            rows.append((f"4 at once: {LABELS[kind]}", result, f"{MIXED_RATES[kind]:,}/s"))

        checks: list[Check] = []
        if available["sign"]:
            settle(petition_id)
            accepted = results["sign"].answered + mixed["sign"].answered
            checks += check_signatures(petition_id, accepted)
            checks += check_confirmation_tasks(petition_id)
            checks += check_count(petition_id, port, options.confirm)
        watch.stopping.set()

    print()
    print(
        f"Reunite bench: {os.cpu_count()} cores, {options.seconds} s a run, bin/serve with "
        f"{serve_sizing()}; wrk on the same machine"
    )
    # Whatever else runs on the machine takes its share of the cores: say how much.
    print(f"Load average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}")
    print(table(rows))
    print()
    print(
        f"PostgreSQL connections of the app's role, most at once: {watch.most} "
        f"(bound: {server_connection_limit()}, server threads and task workers)"
    )
    if not checks:
        print("Checks after the load: not available yet (no signing)")
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    misses = [label for label, result, _ in rows if missed(result.kind, result)]
    if misses:
        print("Targets missed: " + "; ".join(misses))
    return 0 if all(check.ok for check in checks) else 1


def serve_sizing() -> str:
    workers = os.environ.get("REUNITE_SERVER_WORKERS") or str(os.cpu_count())
    threads = os.environ.get("REUNITE_SERVER_THREADS") or "4"
    return f"{workers} workers x {threads} threads"


def server_connection_limit() -> int:
    workers = int(os.environ.get("REUNITE_SERVER_WORKERS") or os.cpu_count() or 1)
    threads = int(os.environ.get("REUNITE_SERVER_THREADS") or 4)
    return workers * threads + int(os.environ.get("REUNITE_TASK_WORKERS") or 1)


if __name__ == "__main__":
    sys.exit(main())
