"""Historic notes imported from another system: where from, their id there, who signed them
there. The three fields are part of what was signed, so the database triggers that keep a
signed note unchanged (0002) are written again to cover them too."""

import importlib

from django.db import migrations, models

_TRIGGERS = importlib.import_module("peerpath.services.migrations.0002_signed_note_triggers")
LEGACY = ["legacy_source", "legacy_id", "legacy_signer"]


def _guards(schema_editor, columns):
    saved = list(_TRIGGERS.CONTENT)
    try:
        _TRIGGERS.backwards(None, schema_editor)
        _TRIGGERS.CONTENT[:] = columns
        _TRIGGERS.forwards(None, schema_editor)
    finally:
        _TRIGGERS.CONTENT[:] = saved


def forwards(apps, schema_editor):
    _guards(schema_editor, [*_TRIGGERS.CONTENT, *LEGACY])


def backwards(apps, schema_editor):
    _guards(schema_editor, list(_TRIGGERS.CONTENT))


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0002_initial'),
        ('plans', '0003_goal_social_skill'),
        ('services', '0004_note_review'),
        ('staff', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='servicenote',
            name='legacy_id',
            field=models.CharField(blank=True, help_text="The note's id there.", max_length=100, verbose_name='id in that system'),
        ),
        migrations.AddField(
            model_name='servicenote',
            name='legacy_signer',
            field=models.CharField(blank=True, help_text="The signer's name as the other system recorded it.", max_length=200, verbose_name='signed there by'),
        ),
        migrations.AddField(
            model_name='servicenote',
            name='legacy_source',
            field=models.CharField(blank=True, help_text='The system a historic note was imported from; empty for notes written here.', max_length=100, verbose_name='imported from'),
        ),
        migrations.AddConstraint(
            model_name='servicenote',
            constraint=models.CheckConstraint(condition=models.Q(('legacy_source', ''), models.Q(('status__in', ['signed', 'amended']), models.Q(('legacy_id', ''), _negated=True)), _connector='OR'), name='legacy_note_is_signed_with_id'),
        ),
        migrations.AddConstraint(
            model_name='servicenote',
            constraint=models.UniqueConstraint(condition=models.Q(('legacy_source', ''), _negated=True), fields=('legacy_source', 'legacy_id'), name='legacy_note_once'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
