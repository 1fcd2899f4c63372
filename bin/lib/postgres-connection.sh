# Sourced by bin/backup and bin/restore; not a command. Needs `prog` set and `set -euo pipefail`.
#
# Sets `bindir` (PostgreSQL client programs, found as bin/with-postgres finds its
# server: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin) and
# `private_dir` (REUNITE_PRIVATE_STORAGE), and exports libpq's PG* variables for the
# database in DATABASE_URL. Both variables are read as the app reads them: from the
# environment, else from .env (or DJANGO_ENV_FILE). The password travels in PGPASSWORD,
# never on a command line where `ps` would show it.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

die() {
    echo "$prog: $*" >&2
    exit 1
}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_restore" ]; then
    bindir=$(pg_config --bindir)
else
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        if [ -x "$dir/pg_restore" ]; then bindir=$dir; break; fi
    done
fi
[ -n "$bindir" ] || die "no PostgreSQL client programs (pg_dump, pg_restore, psql) found; install them, e.g. 'apt-get install postgresql-client'."

python=${REUNITE_PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || die "no Python at $python: create the virtualenv first (see README.md), or set REUNITE_PYTHON."

connection=$("$python" - "$root" <<'PY'
import shlex
import sys
from pathlib import Path

import environ

root = Path(sys.argv[1])
env = environ.Env()
environ.Env.read_env(env.str("DJANGO_ENV_FILE", default=str(root / ".env")), overwrite=False)
url = env.str("DATABASE_URL", default="")
if not url:
    sys.exit("DATABASE_URL is not set: it must name the PostgreSQL database.")
config = environ.Env.db_url_config(url)
if "postgresql" not in config["ENGINE"]:
    sys.exit(f"DATABASE_URL is not a PostgreSQL database ({config['ENGINE']}).")
values = {
    "PGHOST": config.get("HOST"),
    "PGPORT": config.get("PORT"),
    "PGUSER": config.get("USER"),
    "PGPASSWORD": config.get("PASSWORD"),
    "PGDATABASE": config.get("NAME"),
}
libpq_options = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
for option, value in config.get("OPTIONS", {}).items():
    if option in libpq_options:
        values[libpq_options[option]] = value
for name, value in values.items():
    if value not in (None, ""):
        print(f"export {name}={shlex.quote(str(value))}")
private = env.path("REUNITE_PRIVATE_STORAGE", default=str(root / "private"))
print(f"private_dir={shlex.quote(str(private))}")
PY
) || die "cannot read the database settings (above)."
eval "$connection"
unset connection
[ -n "${PGDATABASE:-}" ] || die "DATABASE_URL names no database."
