"""bin/backup and bin/restore bring back every row and every evidence file.

Runs only on PostgreSQL (the second pass of `make test`, through bin/with-postgres):
creates a database of its own on the same server, migrates it, loads the demo data and
some evidence files, backs up, wipes both, restores and compares every table's row
count and contents, every sequence and every file.
"""

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://")),
        reason="needs PostgreSQL: runs in the second pass of `make test`",
    ),
]

EVIDENCE = {
    "evidence/2026/photo-of-letter.jpg": secrets.token_bytes(20_000),
    "evidence/2026/court notice (scan).pdf": secrets.token_bytes(5_000),
    "evidence/ئادىل/testimony.txt": b"Fictional testimony, written for this test.\n",
    "empty.txt": b"",
}


def connect(database: str | None = None):
    import psycopg

    config = environ.Env.db_url_config(DATABASE_URL)
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname=database or config["NAME"],
        autocommit=True,
    )


def url_of(database: str) -> str:
    return DATABASE_URL.rsplit("/", 1)[0] + "/" + database


def fingerprint(database: str) -> dict[str, tuple]:
    """Every table's row count and a checksum of its rows; every sequence's position."""
    with connect(database) as connection:
        tables = connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        ).fetchall()
        sequences = connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
            "FROM pg_sequences ORDER BY 1"
        ).fetchall()
        prints = {}
        for (table,) in tables:
            prints[table] = connection.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                f" FROM {table} AS t"
            ).fetchone()
        for (sequence,) in sequences:
            prints[sequence] = connection.execute(
                f"SELECT last_value, is_called FROM {sequence}"
            ).fetchone()
        return prints


def files_in(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def recreate(database: str) -> None:
    with connect() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')


@pytest.fixture
def site(tmp_path):
    """A database and an evidence directory of their own, with demo data and files."""
    database = f"reunite_backup_check_{secrets.token_hex(4)}"
    private = tmp_path / "private"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_ENV_FILE": "/dev/null",
        "DJANGO_DEBUG": "true",  # a throwaway local database: development settings
        "DJANGO_SETTINGS_MODULE": "reunite.settings",
        "DATABASE_URL": url_of(database),
        "REUNITE_PRIVATE_STORAGE": str(private),
        "REUNITE_PYTHON": sys.executable,
    }
    recreate(database)
    try:
        for command in (["migrate", "--no-input"], ["seed_demo", "--no-login"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
        for name, content in EVIDENCE.items():
            (private / name).parent.mkdir(parents=True, exist_ok=True)
            (private / name).write_bytes(content)
        yield database, private, env
    finally:
        with connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "bin" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_backup_restored_into_a_wiped_database_brings_back_every_row_and_file(site, tmp_path):
    database, private, env = site
    before = fingerprint(database)
    files_before = files_in(private)
    assert before["public.cases_family"][0] > 0  # the demo data is there to compare
    assert len(files_before) == len(EVIDENCE)

    backup = run("backup", str(tmp_path / "backups"), env=env)
    assert backup.returncode == 0, backup.stderr
    backup_dir = Path(backup.stdout.strip())
    assert backup.stdout == f"{backup_dir}\n"  # the path, and nothing from the data
    assert sorted(p.name for p in backup_dir.iterdir()) == [
        "SHA256SUMS",
        "database.dump",
        "evidence.tar",
    ]
    assert backup_dir.stat().st_mode & 0o077 == 0  # readable by the operator only
    assert (backup_dir / "database.dump").stat().st_mode & 0o077 == 0

    refused = run("restore", str(backup_dir), env=env)
    assert refused.returncode != 0
    assert "is not empty" in refused.stderr
    assert "--force" in refused.stderr

    recreate(database)
    assert fingerprint(database) == {}
    for path in sorted(private.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    private.rmdir()

    restored = run("restore", str(backup_dir), env=env)

    assert restored.returncode == 0, restored.stderr
    assert fingerprint(database) == before
    assert files_in(private) == files_before
    for output in (backup.stdout + backup.stderr, restored.stdout + restored.stderr):
        assert "Yasin" not in output  # a demo family's name: no data on the terminal


def test_restore_with_force_replaces_a_database_and_keeps_the_old_evidence_aside(site, tmp_path):
    database, private, env = site
    before = fingerprint(database)
    backup_dir = run("backup", str(tmp_path / "backups"), env=env).stdout.strip()
    with connect(database) as connection:
        connection.execute("UPDATE cases_family SET name = 'Changed after the backup'")
    (private / "added-after-the-backup.txt").write_text("new")

    restored = run("restore", "--force", backup_dir, env=env)

    assert restored.returncode == 0, restored.stderr
    assert fingerprint(database) == before
    assert "added-after-the-backup.txt" not in files_in(private)
    (aside,) = tmp_path.glob("private.before-restore-*")
    assert (aside / "added-after-the-backup.txt").read_text() == "new"


def test_restore_refuses_a_backup_whose_files_were_altered(site, tmp_path):
    database, private, env = site
    backup_dir = Path(run("backup", str(tmp_path / "backups"), env=env).stdout.strip())
    with (backup_dir / "evidence.tar").open("ab") as tar:
        tar.write(b"tampered")
    recreate(database)

    refused = run("restore", str(backup_dir), env=env)

    assert refused.returncode != 0
    assert "do not match SHA256SUMS" in refused.stderr
    assert fingerprint(database) == {}
