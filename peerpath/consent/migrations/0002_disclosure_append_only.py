"""Database triggers that refuse any update or delete of a disclosure, so that no path (bulk
update, raw SQL, admin) can rewrite or erase the person's accounting of disclosures."""

from django.db import migrations

MESSAGE = "disclosures are an append-only accounting"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER disclosure_no_{op.lower()} BEFORE {op} ON consent_disclosure "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION disclosure_guard() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            "CREATE TRIGGER disclosure_guard BEFORE UPDATE OR DELETE ON consent_disclosure "
            "FOR EACH ROW EXECUTE FUNCTION disclosure_guard();"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS disclosure_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS disclosure_no_delete")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS disclosure_guard ON consent_disclosure")
        schema_editor.execute("DROP FUNCTION IF EXISTS disclosure_guard()")


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
