"""On PostgreSQL the database itself refuses to change or delete audit rows.

A trigger, not a permission, so it holds for the app's own database role. TRUNCATE is
left to the table owner (it is how test databases are emptied); the app never issues it.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION cases_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'the audit trail is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_auditevent_append_only
    BEFORE UPDATE OR DELETE ON cases_auditevent
    FOR EACH ROW EXECUTE FUNCTION cases_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_auditevent_append_only ON cases_auditevent;
DROP FUNCTION IF EXISTS cases_auditevent_append_only();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_roles_teams_restricted_cases_audit_trail")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
