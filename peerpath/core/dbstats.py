"""Statistics for the query planner, on SQLite and PostgreSQL alike."""

from __future__ import annotations


def refresh_statistics() -> None:
    """Have the database measure its tables and indexes, so the query planner picks the
    right index (SQLite without statistics takes any equality index, such as a note's
    status, over a person-and-date index that reads a hundred times fewer rows). Run when
    the server starts and after a bulk load; SQLite reads a sample of each index
    (`analysis_limit`), so this takes about a second on a 300 MB database."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
