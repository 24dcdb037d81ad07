"""On PostgreSQL, TRUNCATE skips row triggers: statement triggers refuse it on the access log
and the accounting of disclosures as well (SQLite has no TRUNCATE). With the two-role setup
(docs/deploy.md, `peerpath accesslog app-role`) the application's role can neither truncate
these tables nor drop or disable the triggers, which only the owner may do.

The test suite empties tables between transactional tests with TRUNCATE; its connections set
`peerpath.allow_truncate` (peerpath/test_settings.py). Only the owner can truncate at all,
and the owner could drop the trigger anyway: the setting opens nothing to the app's role."""

from django.db import migrations

TABLES = {
    "access_accesslogentry": "the access log is append-only",
    "consent_disclosure": "disclosures are an accounting: they cannot be deleted",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, message in TABLES.items():
        schema_editor.execute(
            f"CREATE FUNCTION {table}_no_truncate() RETURNS trigger AS $$ BEGIN "
            "IF coalesce(current_setting('peerpath.allow_truncate', true), '') = 'on' "
            "THEN RETURN NULL; END IF; "
            f"RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_no_truncate();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_no_truncate()")


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_access_log_triggers"),
        ("consent", "0002_disclosure_append_only"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
