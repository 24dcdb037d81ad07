"""Empty the database after a transactional billing test, as the browser tests do: on SQLite
the append-only and signed-note triggers refuse the DELETEs a flush runs, so they are taken
off for the flush only and put back as they were (PostgreSQL truncates, which row triggers
do not see)."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection


def flush_database() -> None:
    triggers: list[tuple[str, str]] = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = list(cursor.fetchall())
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", verbosity=0, interactive=False, allow_cascade=False)
    finally:
        if triggers:
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)
