"""Database triggers that refuse any change to a signed note's content, and its deletion,
so that no path (bulk update, raw SQL, admin) can rewrite what a peer specialist signed."""

from django.db import migrations

CONTENT = [
    "person_id", "staff_id", "date", "start_time", "end_time", "modality", "setting", "kind",
    "group_session_id", "activity", "goal_id", "intervention_id", "intervention_text",
    "purpose", "response", "next_steps", "signed_by_id", "signed_credential", "signed_at",
    "amends_id", "amendment_reason",
]
MESSAGE = "signed service note is immutable; write an amendment"


def _changed(op: str) -> str:
    return " OR ".join(f"NEW.{c} {op} OLD.{c}" for c in CONTENT)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER signed_note_no_update BEFORE UPDATE ON services_servicenote "
            f"WHEN OLD.status <> 'draft' AND ({_changed('IS NOT')} OR "
            "(OLD.status = 'amended' AND NEW.status <> 'amended') OR NEW.status = 'draft') "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
        schema_editor.execute(
            "CREATE TRIGGER signed_note_no_delete BEFORE DELETE ON services_servicenote "
            f"WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION signed_note_guard() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' THEN "
            f"  IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN OLD; "
            "END IF; "
            f"IF OLD.status <> 'draft' AND ({_changed('IS DISTINCT FROM')} OR "
            "(OLD.status = 'amended' AND NEW.status <> 'amended') OR NEW.status = 'draft') "
            f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            "CREATE TRIGGER signed_note_guard BEFORE UPDATE OR DELETE ON services_servicenote "
            "FOR EACH ROW EXECUTE FUNCTION signed_note_guard();"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS signed_note_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS signed_note_no_delete")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS signed_note_guard ON services_servicenote")
        schema_editor.execute("DROP FUNCTION IF EXISTS signed_note_guard()")


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
