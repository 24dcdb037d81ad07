"""Database triggers that refuse UPDATE and DELETE on the PHI access log, so no path (bulk
update, raw SQL, admin) can rewrite or remove an entry. The hash chain shows any change
made around them (for example by someone who drops a trigger)."""

from django.db import migrations

TABLE = "access_accesslogentry"
MESSAGE = "the access log is append-only"


def statements(vendor, install=True):
    """The SQL that installs (or removes) the triggers on this database vendor."""
    if vendor == "sqlite":
        if not install:
            return [
                "DROP TRIGGER IF EXISTS access_log_no_update",
                "DROP TRIGGER IF EXISTS access_log_no_delete",
            ]
        return [
            f"CREATE TRIGGER access_log_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
            f"CREATE TRIGGER access_log_no_delete BEFORE DELETE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        ]
    if vendor == "postgresql":
        if not install:
            return [
                f"DROP TRIGGER IF EXISTS access_log_guard ON {TABLE}",
                "DROP FUNCTION IF EXISTS access_log_guard()",
            ]
        return [
            "CREATE FUNCTION access_log_guard() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER access_log_guard BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION access_log_guard();",
        ]
    return []


def forwards(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
