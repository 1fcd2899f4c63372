"""The README's `make run` works on a fresh clone.

Copies the repository's files (what a clone would contain, committed or not) into
a temporary directory, runs `make run` there and waits until the server answers.
It creates its own virtualenv, so it takes a while; pip's cache keeps it bearable.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 240  # seconds: venv + dependency install + migrate + seed_demo
WORKER_TIMEOUT = 30  # seconds after the server answers

# Settings variables a developer may have exported; a fresh clone uses the defaults.
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_CONN_HEALTH_CHECKS",
    "CACHE_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_clone(destination: Path) -> None:
    """Copy tracked and untracked-but-not-ignored files, as a clone after commit would have."""
    listing = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # tracked but deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _fresh_clone_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES
        and not key.startswith(("DJANGO_", "REUNITE_", "MAKE"))
        and key not in {"MFLAGS", "VIRTUAL_ENV"}
    }
    env["DJANGO_DEBUG"] = "true"
    return env


def _get(url: str) -> int | str:
    """HTTP status of url, or the reason it could not be fetched. Never uses a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except (urllib.error.URLError, OSError) as error:
        return str(error)


@pytest.mark.slow
def test_make_run_serves_the_site_on_a_fresh_clone(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql", "psql")):
        pytest.skip("runs once per `make test`: it ran in the SQLite pass")

    clone = tmp_path / "clone"
    _copy_clone(clone)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/admin/login/"
    log_path = tmp_path / "make-run.log"

    def output() -> str:
        return log_path.read_text(errors="replace")

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=_fresh_clone_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so runserver's children die too
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        status: int | str = "not tried"
        while status != 200:
            if process.poll() is not None:
                pytest.fail(
                    f"`make run` exited with {process.returncode} before serving {url}:\n"
                    + output()
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{url} did not answer 200 within {STARTUP_TIMEOUT}s "
                    f"(last: {status}). Output of `make run`:\n" + output()
                )
            time.sleep(1)
            status = _get(url)

        assert "password" in output().lower(), (
            "`make run` should print the demo login (a line with 'password'):\n" + output()
        )
        # The task worker (bin/serve-dev) starts beside the server; it logs as it does.
        deadline = time.monotonic() + WORKER_TIMEOUT
        while "Starting worker" not in output() and time.monotonic() < deadline:
            time.sleep(1)
        assert "Starting worker" in output(), (
            "`make run` should start the task worker (manage.py db_worker):\n" + output()
        )
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    """Stop make and everything it started (runserver, the task worker, their
    autoreloader children)."""
    with contextlib.suppress(ProcessLookupError):  # raised once the group is gone
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        time.sleep(1)
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
    process.wait()
