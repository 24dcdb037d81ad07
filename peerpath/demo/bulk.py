"""Build and insert many model instances quickly.

A demo of a hundred thousand people is about ten million rows. Django's `Model()` and
`bulk_create()` spend most of their time on per-value bookkeeping, which would dominate the
run. These helpers make ordinary model instances (full_clean() and related-object access
work on them) without `Model.__init__`, and insert them with one `executemany` per batch,
converting each value the way the database backend expects (dates, times, decimals, JSON).
They skip what the demo never needs: signals, `pre_save` hooks and database defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)

_AS_IS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
}
_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


class ModelMaker(Generic[M]):
    """Makes instances of one model from field values, as `Model(**values)` would."""

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        self.pk_attname = meta.pk.attname
        self.relations = {f.name: f.attname for f in meta.concrete_fields if f.is_relation}
        self.known = {f.name for f in meta.concrete_fields} | {
            f.attname for f in meta.concrete_fields
        }
        self.checked: set[tuple[str, ...]] = set()
        self.static: dict[str, Any] = {}
        self.dynamic: list[tuple[str, Callable[[], Any]]] = []
        for f in meta.concrete_fields:
            if f.has_default() and callable(f.default):
                self.dynamic.append((f.attname, f.get_default))
            else:
                self.static[f.attname] = f.get_default()

    def __call__(self, pk: int, values: dict[str, Any]) -> M:
        names = tuple(values)
        if names not in self.checked:
            unknown = set(names) - self.known
            if unknown:
                raise TypeError(f"{self.model.__name__} has no field(s) {sorted(unknown)}")
            self.checked.add(names)
        obj = self.model.__new__(self.model)
        state = ModelState()
        obj._state = state
        data = obj.__dict__
        data.update(self.static)
        for name, get in self.dynamic:
            data[name] = get()
        data[self.pk_attname] = pk
        relations = self.relations
        for name, value in values.items():
            column = relations.get(name)
            if column is None:
                data[name] = value
            elif value is None:
                data[column] = None
            else:
                data[column] = value.pk
                state.fields_cache[name] = value
        return obj


def _plain_text(value: Any) -> Any:
    # Choices members are str subclasses; some drivers would write the member's name.
    return value if value is None or type(value) is str else str.__str__(value)


def _converter(field: models.Field, connection: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    ops = connection.ops
    kind = field.get_internal_type()
    if field.is_relation or kind in _AS_IS:
        return None
    if kind in _TEXT:
        return _plain_text
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "TimeField":
        return ops.adapt_timefield_value
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places)
    return lambda v: field.get_db_prep_save(v, connection)


class TableWriter:
    """Inserts instances of one model, every concrete column, explicit primary keys.

    PostgreSQL gets COPY (through the driver's own cursor, so no SQL is logged in debug
    mode); other backends get one `executemany` per batch.
    """

    def __init__(self, model: type[models.Model], connection: BaseDatabaseWrapper) -> None:
        meta = model._meta
        fields = meta.concrete_fields
        qn = connection.ops.quote_name
        table = qn(meta.db_table)
        columns = ", ".join(qn(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        self.getters = [(f.attname, _converter(f, connection)) for f in fields]
        self.connection = connection

    def rows(self, objs: Sequence[models.Model]) -> Iterator[tuple[Any, ...]]:
        getters = self.getters
        for obj in objs:
            data = obj.__dict__
            yield tuple(
                data[name] if convert is None else convert(data[name]) for name, convert in getters
            )

    def write(self, objs: Sequence[models.Model], batch_size: int) -> None:
        if self.connection.vendor == "postgresql":
            self.connection.ensure_connection()
            raw = self.connection.connection
            with raw.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                for row in self.rows(objs):
                    copy.write_row(row)
            return
        with self.connection.cursor() as cursor:
            for i in range(0, len(objs), batch_size):
                cursor.executemany(self.sql, list(self.rows(objs[i : i + batch_size])))
