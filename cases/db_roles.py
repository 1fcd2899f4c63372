"""The app's PostgreSQL role: the only rights it has, granted again after every `migrate`.

Two roles (README, "Running in production"). The owner runs `migrate` and owns every
table. The app serves requests as another role, which owns nothing: it reads and writes
the case tables, but only reads and appends to the audit trail. It has no UPDATE, DELETE
or TRUNCATE on that table, and since it owns nothing it cannot ALTER a table (to disable
migration 0003's append-only trigger, say) or drop one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections, transaction
from psycopg import sql

from cases.models import AuditEvent

# What the app may do: everything but TRUNCATE on the tables, only read and append on the
# audit trail, and draw ids from the sequences.
PRIVILEGES = {
    "table_privileges": "SELECT, INSERT, UPDATE, DELETE",
    "audit_privileges": "SELECT, INSERT",
    "sequence_privileges": "USAGE, SELECT",
}

# In this order, in one transaction: take back everything, then grant.
STATEMENTS = [
    "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}",
    "GRANT {table_privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT {sequence_privileges} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "REVOKE ALL ON {audit_table} FROM {role}",
    "GRANT {audit_privileges} ON {audit_table} TO {role}",
    # Tables the owner creates later, outside a migration (`createcachetable`), are the
    # app's to use as well.
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {table_privileges} ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {sequence_privileges} "
    "ON SEQUENCES TO {role}",
]


def grant_app_role_privileges(*, using: str, role: str) -> None:
    """Give `role` exactly the app's rights on the tables and sequences of the schema that
    database `using` works in, taking back any other right it had there. Idempotent.

    Run it as the tables' owner: `migrate` does, through `grant_app_role_after_migrate`.
    """
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        names = {
            "schema": sql.Identifier(schema),
            "role": sql.Identifier(role),
            "audit_table": sql.Identifier(schema, AuditEvent._meta.db_table),
            **{name: sql.SQL(privileges) for name, privileges in PRIVILEGES.items()},
        }
        for statement in STATEMENTS:
            cursor.execute(sql.SQL(statement).format(**names).as_string(connection.connection))


def grant_app_role_after_migrate(*, using: str, **kwargs: Any) -> None:
    """post_migrate: on PostgreSQL, grant REUNITE_DB_APP_ROLE its rights, unless it is unset
    or is the role migrating (one role for everything: development, or a misconfiguration
    that `check --deploy --database default` reports)."""
    role = settings.REUNITE_DB_APP_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (current_user,) = cursor.fetchone()
    if current_user != role:
        grant_app_role_privileges(using=using, role=role)
