"""Many rows in one `executemany`: a scrub of a whole agency writes tens of thousands of
claim lines, and Django's bulk_create and bulk_update spend most of that time on per-value
bookkeeping (and bulk_update writes a CASE per row). Values are converted the way the
backend expects, by each field's own `get_db_prep_save`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 5_000
# Fields whose Python value is what every backend stores: no conversion needed.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
)


class _Prep:
    """A field's `get_db_prep_save`, remembered per value: the same date, time stamp, code or
    list recurs on thousands of rows, and the conversion is the slow part."""

    def __init__(self, field: models.Field[Any, Any]) -> None:
        self.field = field
        target = getattr(field, "target_field", field) if field.is_relation else field
        self.plain = isinstance(target, _PLAIN) and not target.is_relation
        self.seen: dict[object, Any] = {}

    def __call__(self, value: Any) -> Any:
        if self.plain or value is None:
            return value
        key = (type(value), tuple(value) if isinstance(value, list) else value)
        try:
            return self.seen[key]
        except KeyError:
            prepared = self.field.get_db_prep_save(value, connection)
            self.seen[key] = prepared
            return prepared
        except TypeError:  # unhashable (a dict): convert every time
            return self.field.get_db_prep_save(value, connection)


def _chunks(rows: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, ignore_conflicts: bool = False
) -> None:
    """Insert rows given by attribute name (`note_id`, not `note`); every row has the same
    keys. `ignore_conflicts`: a row that would break a unique index is skipped (PostgreSQL
    and SQLite both read ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == name) for name in rows[0]]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )
    preps = [(f.attname, _Prep(f)) for f in fields]
    prepared = [[prep(row[name]) for name, prep in preps] for row in rows]
    with connection.cursor() as cursor:
        for chunk in _chunks(prepared):
            cursor.executemany(sql, chunk)


def update_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[tuple[Any, Sequence[Any]]]
) -> None:
    """Set the `names` columns of each row `(pk, values)`."""
    if not rows:
        return
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == name) for name in names]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        + ", ".join(f"{quote(f.column)} = %s" for f in fields)
        + f" WHERE {quote(meta.pk.column)} = %s"
    )
    preps = [_Prep(f) for f in fields]
    prepared = [
        [*(prep(v) for prep, v in zip(preps, values, strict=True)), pk] for pk, values in rows
    ]
    with connection.cursor() as cursor:
        for chunk in _chunks(prepared):
            cursor.executemany(sql, chunk)
