"""On PostgreSQL the app's own database role cannot undo the audit trail's protection.

The app serves as a role that owns no table (README, "Running in production"): it cannot
disable the append-only trigger, drop it, truncate the trail, update or delete its rows,
yet it does all its normal work. These tests log in as that role itself, as the deployed
app does, not through SET ROLE, which a session may undo. bin/with-postgres creates the
role and trusts local logins; with another server give its password in ~/.pgpass.
"""

import os

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from cases.checks import check_database_role_cannot_rewrite_the_audit_trail
from cases.db_roles import grant_app_role_privileges
from tests.conftest import as_table_owner

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="database roles are PostgreSQL's: runs in the second pass of `make test`",
    ),
]

TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]

# Each table's privileges for a role, as PostgreSQL decides them (its own grants, PUBLIC's
# and those of every role it belongs to), for every table of the schema.
PRIVILEGES_SQL = """
SELECT c.relname, p.privilege FROM pg_class c, unnest(%s::text[]) AS p(privilege)
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND has_table_privilege(%s, c.oid, p.privilege)
"""
TABLES_SQL = """
SELECT relname FROM pg_class
WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')
"""


@pytest.fixture
def app_role():
    role = settings.REUNITE_DB_APP_ROLE
    if not role:
        message = "REUNITE_DB_APP_ROLE is not set: run the tests through bin/with-postgres"
        if os.environ.get("REUNITE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} (REUNITE_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    return role


@pytest.fixture
def as_app(app_role):
    """A connection to the test database logged in as the app's role; everything it does
    is rolled back at the end."""
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        dbname=database["NAME"],
        user=app_role,
        # Never wait for the test's own open transaction: fail instead.
        options="-c lock_timeout=10s",
    ) as app:
        assert app.execute("SELECT session_user").fetchone() == (app_role,)
        with app.transaction(force_rollback=True):
            yield app


def privileges(role: str) -> dict[str, set[str]]:
    """Every table of the schema, with what `role` may do to it."""
    with connection.cursor() as cursor:
        cursor.execute(TABLES_SQL)
        found: dict[str, set[str]] = {name: set() for (name,) in cursor.fetchall()}
        cursor.execute(PRIVILEGES_SQL, [TABLE_PRIVILEGES, role])
        for table, privilege in cursor.fetchall():
            found[table].add(privilege)
    return found


def expected_privileges(tables) -> dict[str, set[str]]:
    return {
        table: {"SELECT", "INSERT"}
        if table == "cases_auditevent"
        else {"SELECT", "INSERT", "UPDATE", "DELETE"}
        for table in tables
    }


def append_event(app) -> int:
    return app.execute(
        "INSERT INTO cases_auditevent (action, object_type, object_id, case_reference, fields,"
        " detail) VALUES ('login', '', '', '', '[]', 'by the app role') RETURNING id"
    ).fetchone()[0]


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE cases_auditevent DISABLE TRIGGER cases_auditevent_append_only",
        "ALTER TABLE cases_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER cases_auditevent_append_only ON cases_auditevent",
        "DROP TABLE cases_auditevent",
        "TRUNCATE cases_auditevent",
        "DELETE FROM cases_auditevent",
        "UPDATE cases_auditevent SET detail = 'rewritten'",
        # Replica mode skips ordinary triggers, the append-only one included.
        "SET session_replication_role = replica",
    ],
)
def test_the_app_role_cannot_disable_the_trigger_or_empty_or_rewrite_the_trail(as_app, sql):
    event = append_event(as_app)

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused, as_app.transaction():
        as_app.execute(sql)

    assert "append-only" not in str(refused.value)  # refused for want of rights, not by the trigger
    assert as_app.execute(
        "SELECT detail FROM cases_auditevent WHERE id = %s", [event]
    ).fetchone() == ("by the app role",)
    assert as_app.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'cases_auditevent_append_only'"
    ).fetchone() == ("O",)  # still enabled


def test_the_app_role_appends_to_the_trail_and_reads_it(as_app):
    event = append_event(as_app)

    assert as_app.execute(
        "SELECT action, detail FROM cases_auditevent WHERE id = %s", [event]
    ).fetchone() == ("login", "by the app role")


def test_the_app_role_reads_and_writes_the_case_tables(as_app):
    team = as_app.execute(
        "INSERT INTO cases_team (name) VALUES ('Written by the app role') RETURNING id"
    ).fetchone()[0]
    as_app.execute("UPDATE cases_team SET name = 'Renamed by the app role' WHERE id = %s", [team])
    assert as_app.execute("SELECT name FROM cases_team WHERE id = %s", [team]).fetchone() == (
        "Renamed by the app role",
    )

    as_app.execute("DELETE FROM cases_team WHERE id = %s", [team])

    assert as_app.execute("SELECT count(*) FROM cases_team WHERE id = %s", [team]).fetchone() == (
        0,
    )


def test_the_app_role_owns_nothing_and_cannot_act_as_the_owner(as_app, app_role):
    tables = as_app.execute(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    owned = as_app.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
        " AND pg_has_role(relowner, 'MEMBER')"
    ).fetchall()
    rights = as_app.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
        " WHERE rolname = current_user"
    ).fetchone()

    assert ("cases_auditevent", app_role) not in tables
    assert "cases_auditevent" in {name for name, _owner in tables}
    assert owned == []
    assert rights == (False, False, False, False)


def test_after_migrate_the_app_role_has_exactly_its_rights_on_every_table(as_app, app_role):
    # As the app role sees them itself, in the test database that `migrate` set up.
    found = {table: set() for (table,) in as_app.execute(TABLES_SQL).fetchall()}
    for table, privilege in as_app.execute(PRIVILEGES_SQL, [TABLE_PRIVILEGES, app_role]):
        found[table].add(privilege)
    sequences = as_app.execute(
        "SELECT sequencename, has_sequence_privilege(sequencename, 'USAGE'),"
        " has_sequence_privilege(sequencename, 'UPDATE')"
        " FROM pg_sequences WHERE schemaname = current_schema()"
    ).fetchall()

    assert len(found) > 20  # Django's tables, ours and the libraries'
    assert found == expected_privileges(found)
    assert sequences
    assert {(usage, update) for _name, usage, update in sequences} == {(True, False)}


def test_migrate_takes_back_broader_rights_and_restores_missing_ones(app_role, database_owner):
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT ALL ON cases_auditevent TO "{app_role}"')
        cursor.execute(f'REVOKE ALL ON cases_team FROM "{app_role}"')
    assert "TRUNCATE" in privileges(app_role)["cases_auditevent"]
    assert privileges(app_role)["cases_team"] == set()

    call_command("migrate", verbosity=0)

    assert privileges(app_role) == expected_privileges(privileges(app_role))


def test_granting_the_app_role_its_rights_twice_changes_nothing(app_role, database_owner):
    def table_acls():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, relacl::text FROM pg_class"
                " WHERE relnamespace = current_schema()::regnamespace ORDER BY 1"
            )
            return cursor.fetchall()

    grant_app_role_privileges(using="default", role=app_role)
    once = table_acls()
    grant_app_role_privileges(using="default", role=app_role)

    assert table_acls() == once
    assert privileges(app_role) == expected_privileges(privileges(app_role))


def test_the_other_tests_work_as_the_app_role_too(app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (app_role,)


def test_check_deploy_accepts_the_app_role_and_refuses_the_owner(app_role):
    # The test connection works as the app role (tests/conftest.py).
    assert check_database_role_cannot_rewrite_the_audit_trail(databases=["default"]) == []

    with as_table_owner():
        [owner] = check_database_role_cannot_rewrite_the_audit_trail(databases=["default"])
        with connection.cursor() as cursor:
            cursor.execute(f'GRANT TRUNCATE ON cases_auditevent TO "{app_role}"')
    [too_broad] = check_database_role_cannot_rewrite_the_audit_trail(databases=["default"])

    assert owner.id == too_broad.id == "reunite.E017"
    assert "owns" in owner.msg
    assert "may TRUNCATE, UPDATE or DELETE the audit trail" in too_broad.msg
