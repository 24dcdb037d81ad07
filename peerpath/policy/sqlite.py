"""The live check's engine: an in-memory SQLite (3.46 or newer, from the sqlean.py wheel)
holding one person's rows.

DuckDB pays a few milliseconds of fixed cost for every statement however small its tables;
a note's live check runs some twenty rules over a few hundred rows, so that cost would be
nearly all of it. SQLite runs each of those statements in well under a millisecond. The
rules are the same ibis definitions, compiled for SQLite here; the batch audit keeps DuckDB.
Tests run every rule's cases and the demo agency through both engines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis.expr.operations as ops
import pyarrow as pa
import sqlean
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.sqlite import SQLiteCompiler
from ibis.backends.sqlite.udf import register_all

# Date arithmetic needs SQLite's "floor" modifier, new in 3.46.
MINIMUM_SQLITE = (3, 46, 0)

# Tables of at most this many rows are compared with what the connection holds before
# being refilled.
SMALL = 64


class _Compiler(SQLiteCompiler):
    """ibis's SQLite compiler, told the truth about the SQLite it compiles for: it reads
    the version of the standard library's sqlite3 (3.40 on Debian 12) when adding days,
    months or years to a date, and refuses."""

    def visit_DateArithmetic(
        self, op: ops.Node, *, left: sge.Expression, right: sge.Expression
    ) -> sge.Expression:
        if not isinstance(op, ops.DateAdd | ops.DateSub):
            timed: sge.Expression = super().visit_DateArithmetic(op, left=left, right=right)
            return timed
        # A literal interval arrives as its number (negative ones as Neg(number)); one made
        # from a column as an Interval around it.
        amount = right.this if isinstance(right, sge.Interval) else right
        unit = op.right.dtype.unit.singular.lower()
        if unit == "week":
            unit, amount = "day", sge.Mul(this=sge.Paren(this=amount), expression=sge.convert(7))
        if isinstance(op, ops.DateSub):
            amount = sge.Neg(this=sge.Paren(this=amount))
        # printf's "+" flag writes the sign SQLite's date modifiers want: '+5 day', '-5 day'.
        shift = self.f.printf(f"%+d {unit}", amount)
        shifted: sge.Expression = self.f.date(left, shift, "floor")
        return shifted

    visit_DateAdd = visit_DateSub = visit_DateArithmetic

    def visit_Modulus(
        self, op: ops.Node, *, left: sge.Expression, right: sge.Expression
    ) -> sge.Expression:
        # SQLite's mod() gives a real (44.0) even for integers; its % operator keeps them.
        if op.dtype.is_integer():
            return sge.Mod(this=sge.Paren(this=left), expression=sge.Paren(this=right))
        real: sge.Expression = super().visit_Modulus(op, left=left, right=right)
        return real


SQLITE_COMPILER = _Compiler()

_TYPES = {"int64": "INTEGER", "double": "REAL", "bool": "INTEGER", "string": "TEXT"}


def _column_type(t: pa.DataType) -> str:
    if pa.types.is_date(t):
        return "TEXT"  # ISO dates compare and sort as text; SQLite's date functions read them
    try:
        return _TYPES[str(t)]
    except KeyError:
        raise TypeError(f"no SQLite column type for {t}") from None


def _python_column(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as SQLite takes them: dates as ISO text (booleans are ints to
    sqlite3 already). Converted in Python: the live check's tables hold tens of rows, where
    an Arrow compute call costs more than the loop."""
    values: list[Any] = column.to_pylist()
    if pa.types.is_date(column.type):
        return [None if v is None else v.isoformat() for v in values]
    return values


class SQLiteTables:
    """A connection with one table per schema, refilled for each check."""

    def __init__(self, schemas: Mapping[str, pa.Schema]) -> None:
        if sqlean.sqlite_version_info < MINIMUM_SQLITE:
            raise RuntimeError(
                f"the live check needs SQLite {'.'.join(map(str, MINIMUM_SQLITE))} or newer; "
                f"sqlean provides {sqlean.sqlite_version}"
            )
        self.schemas = dict(schemas)
        self.con = sqlean.connect(":memory:", cached_statements=1024, check_same_thread=True)
        register_all(self.con)  # ibis's helper functions (padding, regular expressions ...)
        self._insert: dict[str, str] = {}
        for name, schema in self.schemas.items():
            columns = ", ".join(f'"{f.name}" {_column_type(f.type)}' for f in schema)
            self.con.execute(f'CREATE TABLE "{name}" ({columns})')
            if name == "numbers":
                # Rules walk periods by joining a range of these numbers: an index lets
                # SQLite seek the range instead of scanning every number for every row.
                self.con.execute('CREATE UNIQUE INDEX "numbers_n" ON "numbers" ("n")')
            marks = ", ".join("?" for _ in schema)
            self._insert[name] = f'INSERT INTO "{name}" VALUES ({marks})'
        self._numbers: pa.Table | None = None
        self._small: dict[str, pa.Table] = {}

    def fill(self, data: Mapping[str, pa.Table], only: Sequence[str] | None = None) -> None:
        """Empty every table (or those named in `only`) and load `data` into them."""
        for name, schema in self.schemas.items():
            if only is not None and name not in only:
                continue
            given = data.get(name)
            if name == "numbers":
                if given is self._numbers:
                    continue  # the same constant rows are loaded already
                self._numbers = given
            elif given is not None and given.num_rows <= SMALL:
                # Run-time tables (the context, a statement's slices) are refilled before
                # every statement, usually with the rows they already hold.
                held = self._small.get(name)
                if held is not None and held.equals(given):
                    continue
                self._small[name] = given
            else:
                self._small.pop(name, None)
            self.con.execute(f'DELETE FROM "{name}"')
            if given is None or given.num_rows == 0:
                continue
            table = given.select(schema.names)
            columns = [_python_column(table.column(i)) for i in range(table.num_columns)]
            self.con.executemany(self._insert[name], zip(*columns, strict=True))

    def insert_select(self, name: str, sql: str) -> None:
        """Fill table `name` with the rows of a query (an engine relation)."""
        self._small.pop(name, None)
        self.con.execute(f'DELETE FROM "{name}"')
        columns = ", ".join(f'"{c}"' for c in self.schemas[name].names)
        self.con.execute(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM ({sql})')

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.con.execute(sql).fetchall()
        return rows


def sqlite_connection(schemas: Mapping[str, pa.Schema]) -> SQLiteTables:
    return SQLiteTables(schemas)
