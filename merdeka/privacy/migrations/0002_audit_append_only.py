"""The database itself refuses to change audit rows, whatever code runs against it."""

from django.db import migrations

SQLITE = """
CREATE TRIGGER IF NOT EXISTS privacy_auditevent_no_update
BEFORE UPDATE ON privacy_auditevent
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

POSTGRES = """
CREATE OR REPLACE FUNCTION privacy_auditevent_refuse() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS privacy_auditevent_no_update ON privacy_auditevent;
CREATE TRIGGER privacy_auditevent_no_update BEFORE UPDATE ON privacy_auditevent
FOR EACH ROW EXECUTE FUNCTION privacy_auditevent_refuse();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS privacy_auditevent_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS privacy_auditevent_no_update ON privacy_auditevent;"
            "DROP FUNCTION IF EXISTS privacy_auditevent_refuse();"
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
