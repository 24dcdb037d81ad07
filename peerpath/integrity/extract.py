"""Read an extract folder: every file checked against its declared format before anything
is used, so a bad file is refused with the file, row and column named (and nothing is
written by the run that asked).

Rows are counted from 1 (the first data row; in a CSV file that is the line after the
header).

A claims-tier Parquet file whose columns already have the documented types is not loaded
into Python at all: its required values and the claims' own checks are verified by DuckDB
reading the file (one pass, with row numbers to name a bad row), and the run's DuckDB reads
it again where it needs it (`Extract.register`). CSV files, records-tier files and Parquet
files whose types differ from the format are read and converted column by column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .formats import ADJUSTMENT_VALUES, CLAIMS_TIER, FORMATS, FileFormat


class ExtractError(ValueError):
    """A file of the extract does not fit its format."""

    def __init__(
        self, file: str, message: str, *, row: int | None = None, column: str | None = None
    ):
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.row, self.column = file, row, column


@dataclass
class Extract:
    """The validated files of one extract and which optional columns each file gave: as
    Arrow tables (`tables`) or, for Parquet files of the documented types, as checked files
    left for DuckDB to read (`files`)."""

    tier: str  # "claims" or "records"
    tables: dict[str, pa.Table]
    columns: dict[str, frozenset[str]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)  # as found in the folder
    keys_checked: bool = True  # claims' keys checked by the reader (`read_extract(keys=)`)

    def has(self, name: str, column: str | None = None) -> bool:
        if name not in self.tables and name not in self.files:
            return False
        return column is None or column in self.columns.get(name, frozenset())

    @property
    def names(self) -> list[str]:
        return sorted({*self.tables, *self.files})

    def check_keys(self) -> None:
        """The claims' keys, checked in full (raises ExtractError naming the first fault):
        for a caller that found, cheaply, that something is wrong with them."""
        names = {n: Path(self.file_names.get(n, n)) for n in ("claim_headers", "claim_lines")}
        if not self.files:
            _check_keys(
                self.tables["claim_headers"],
                self.tables["claim_lines"],
                names["claim_headers"].name,
                names["claim_lines"].name,
            )
            return
        con = duckdb.connect()
        try:
            _claim_views(con, self.tables, self.files)
            _check_keys_sql(con, names["claim_headers"].name, names["claim_lines"].name)
        finally:
            con.close()

    def repeated_line(self) -> ExtractError:
        """The fault of a claim whose line number repeats, named at the repeat's row (the
        mapping finds that a repeat exists, cheaply; this searches the file for it)."""
        lfile = self.file_names.get("claim_lines", "claim_lines")
        con = duckdb.connect()
        try:
            _claim_views(con, self.tables, self.files)
            found = _first(
                con,
                "SELECT claim_id, line_number, _row, first_row FROM (SELECT claim_id, "
                "line_number, _row, min(_row) OVER (PARTITION BY claim_id, line_number) "
                "AS first_row, row_number() OVER (PARTITION BY claim_id, line_number "
                "ORDER BY _row) AS nth FROM c_claim_lines) WHERE nth = 2 ORDER BY _row LIMIT 1",
            )
        finally:
            con.close()
        if found is None:
            raise AssertionError("no line number repeats in claim_lines")
        claim, number, row, first = found
        return ExtractError(
            lfile,
            f"line {number} of claim {claim!r} appears twice (first at row {int(str(first)) + 1})",
            row=int(str(row)) + 1,
            column="line_number",
        )

    def table(self, name: str) -> pa.Table:
        """The file's table as Arrow (a Parquet file left for DuckDB is read now)."""
        if name in self.tables:
            return self.tables[name]
        return pq.read_table(self.files[name])

    def register(self, con: duckdb.DuckDBPyConnection, prefix: str = "x_") -> None:
        """Make every file a view `<prefix><name>` of `con`: Arrow tables without a copy,
        checked Parquet files read by DuckDB itself."""
        for name, table in self.tables.items():
            con.register(f"{prefix}{name}", table)
        for name, path in self.files.items():
            con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{prefix}{name}" AS '
                f"SELECT * FROM read_parquet({_literal(path)})"
            )


def _literal(path: Path) -> str:
    """A file's path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _first_true(mask: pa.ChunkedArray | pa.Array) -> int | None:
    idx = pc.indices_nonzero(pc.fill_null(mask, False))
    return int(idx[0].as_py()) if len(idx) else None


def _cast_column(file: str, name: str, values: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray:
    if values.type == to:
        return values
    if (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) and not (
        pa.types.is_string(to)
    ):
        values = pc.utf8_trim_whitespace(values)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    try:
        return pc.cast(values, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Find the first value that does not convert, to name its row.
    offset = 0
    for chunk in values.chunks:
        for i, v in enumerate(chunk):
            try:
                pc.cast(pa.array([v.as_py()], chunk.type), to)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                shown = str(v.as_py())[:40]
                raise ExtractError(
                    file, f"{shown!r} is not a {_type_name(to)}", row=offset + i + 1, column=name
                ) from None
        offset += len(chunk)
    raise ExtractError(file, f"cannot be read as {_type_name(to)}", column=name)


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_date(t):
        return "date (YYYY-MM-DD)"
    if pa.types.is_integer(t):
        return "whole number"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_boolean(t):
        return "true/false"
    return str(t)


def _parquet_as_documented(path: Path, fmt: FileFormat) -> bool:
    """Whether `path` is a Parquet file whose columns all have the documented types (and
    none that the format lacks): then nothing needs converting."""
    if path.suffix != ".parquet":
        return False
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError):
        return False  # the full read names the fault
    known = {c.name: c.type for c in fmt.columns}
    if any(f.name not in known or f.type != known[f.name] for f in schema):
        return False
    return all(c.name in schema.names for c in fmt.columns if c.required)


def _check_parquet(con: duckdb.DuckDBPyConnection, path: Path, fmt: FileFormat) -> int:
    """The required values of a documented Parquet file: the first empty one (by column,
    then row) is refused. Returns the number of rows.

    A column whose every row group says, in the file's statistics, that it holds no empty
    value is not read (DuckDB relies on the same statistics when it plans a query); the
    others are read by DuckDB in one pass, with the rows of their first empty values."""
    required = [c.name for c in fmt.columns if c.required]
    meta = pq.ParquetFile(path).metadata
    unsure = [name for name in required if not _no_nulls_said(meta, name)]
    if not unsure:
        return int(meta.num_rows)
    firsts = ", ".join(f'min(file_row_number) FILTER (WHERE "{name}" IS NULL)' for name in unsure)
    row = con.execute(
        f"SELECT count(*), {firsts} FROM read_parquet(?, file_row_number = true)", [str(path)]
    ).fetchall()[0]
    for name, bad in zip(unsure, row[1:], strict=True):
        if bad is not None:
            raise ExtractError(path.name, "required value is empty", row=bad + 1, column=name)
    return int(row[0])


def _no_nulls_said(meta: pq.FileMetaData, name: str) -> bool:
    """Whether every row group's statistics say column `name` has no empty value."""
    where = [i for i in range(meta.num_columns) if meta.schema.column(i).path == name]
    if len(where) != 1:
        return False
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(where[0]).statistics
        if stats is None or not stats.has_null_count or stats.null_count != 0:
            return False
    return True


def _read_file(path: Path, fmt: FileFormat) -> pa.Table:
    file = path.name
    known = {c.name: c for c in fmt.columns}
    try:
        if path.suffix == ".csv":
            text_types = {c.name: pa.string() for c in fmt.columns}
            raw = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=text_types, strings_can_be_null=True
                ),
            )
        else:
            raw = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExtractError(file, f"cannot be read ({str(exc).splitlines()[0]})") from None
    unknown = [n for n in raw.column_names if n not in known]
    if unknown:
        raise ExtractError(
            file, f"unknown column (the format has {', '.join(known)})", column=unknown[0]
        )
    for c in fmt.columns:
        if c.required and c.name not in raw.column_names:
            raise ExtractError(file, "required column is missing", column=c.name)
    arrays: dict[str, pa.ChunkedArray] = {}
    for c in fmt.columns:
        if c.name not in raw.column_names:
            continue
        if path.suffix == ".csv" and pa.types.is_list(c.type):
            raise ExtractError(file, "list columns need a Parquet file", column=c.name)
        col = _cast_column(file, c.name, raw.column(c.name), c.type)
        if c.required:
            bad = _first_true(pc.is_null(col))
            if bad is not None:
                raise ExtractError(file, "required value is empty", row=bad + 1, column=c.name)
        arrays[c.name] = col
    return pa.table(arrays)


def _check_claims(
    tables: Mapping[str, pa.Table], files: Mapping[str, Path], keys: bool = True
) -> None:
    headers, lines = tables["claim_headers"], tables["claim_lines"]
    hfile, lfile = files["claim_headers"].name, files["claim_lines"].name
    ind = headers.column("adjustment_indicator")
    bad = _first_true(pc.invert(pc.is_in(ind, pa.array(ADJUSTMENT_VALUES))))
    if bad is not None:
        raise ExtractError(
            hfile,
            f"{ind[bad].as_py()!r} is not an adjustment indicator "
            f"({', '.join(ADJUSTMENT_VALUES)}: original, void, replacement)",
            row=bad + 1,
            column="adjustment_indicator",
        )
    if keys:
        _check_keys(headers, lines, hfile, lfile)
    numbers = lines.column("line_number")
    odd = _first_true(pc.or_(pc.less(numbers, 1), pc.greater(numbers, 9999)))
    if odd is not None:
        raise ExtractError(
            lfile, "line numbers run from 1 to 9999", row=odd + 1, column="line_number"
        )
    negative = _first_true(pc.less(lines.column("units"), 0))
    if negative is not None:
        raise ExtractError(lfile, "units cannot be negative", row=negative + 1, column="units")


def _check_keys(headers: pa.Table, lines: pa.Table, hfile: str, lfile: str) -> None:
    """Claim numbers given once in the headers; every line's claim in them."""
    dup = pc.value_counts(headers.column("claim_id"))
    twice = pc.filter(dup, pc.greater(dup.field("counts"), 1))
    if len(twice):
        first = twice[0]["values"].as_py()
        row = _first_true(pc.equal(headers.column("claim_id"), first))
        raise ExtractError(
            hfile,
            f"claim number {first!r} appears twice",
            row=(row or 0) + 1,
            column="claim_id",
        )
    orphan = _first_true(pc.invert(pc.is_in(lines.column("claim_id"), headers.column("claim_id"))))
    if orphan is not None:
        raise ExtractError(
            lfile,
            f"claim {lines.column('claim_id')[orphan].as_py()!r} is not in claim_headers",
            row=orphan + 1,
            column="claim_id",
        )


def _first(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...] | None:
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def _check_claims_sql(
    con: duckdb.DuckDBPyConnection, files: Mapping[str, Path], keys: bool = True
) -> None:
    """The checks of `_check_claims`, in the same order and with the same words, on the
    views `c_claim_headers` and `c_claim_lines` (each with its 0-based row number `_row`)."""
    hfile, lfile = files["claim_headers"].name, files["claim_lines"].name
    values = ", ".join(f"'{v}'" for v in ADJUSTMENT_VALUES)

    bad = _first(
        con,
        "SELECT _row, adjustment_indicator FROM c_claim_headers "
        f"WHERE adjustment_indicator IS NULL OR adjustment_indicator NOT IN ({values}) "
        "ORDER BY _row LIMIT 1",
    )
    if bad is not None:
        raise ExtractError(
            hfile,
            f"{bad[1]!r} is not an adjustment indicator "
            f"({', '.join(ADJUSTMENT_VALUES)}: original, void, replacement)",
            row=int(str(bad[0])) + 1,
            column="adjustment_indicator",
        )
    if keys:
        _check_keys_sql(con, hfile, lfile)
    odd = _first(
        con,
        "SELECT min(_row) FILTER (WHERE line_number < 1 OR line_number > 9999), "
        "min(_row) FILTER (WHERE units < 0) FROM c_claim_lines",
    )
    assert odd is not None
    if odd[0] is not None:
        raise ExtractError(
            lfile, "line numbers run from 1 to 9999", row=int(str(odd[0])) + 1, column="line_number"
        )
    if odd[1] is not None:
        raise ExtractError(
            lfile, "units cannot be negative", row=int(str(odd[1])) + 1, column="units"
        )


def _check_keys_sql(con: duckdb.DuckDBPyConnection, hfile: str, lfile: str) -> None:
    """`_check_keys` on the views `c_claim_headers` and `c_claim_lines`."""
    # Each check first asks only whether there is a fault (cheaper: no row numbers carried,
    # nothing ordered), and looks for the first faulty row only when there is one.
    repeats = _first(con, "SELECT count(*) - count(DISTINCT claim_id) FROM c_claim_headers")
    dup = (
        _first(
            con,
            "SELECT claim_id, min(_row) AS first_row FROM c_claim_headers GROUP BY claim_id "
            "HAVING count(*) > 1 ORDER BY first_row LIMIT 1",
        )
        if repeats is not None and repeats[0]
        else None
    )
    if dup is not None:
        raise ExtractError(
            hfile,
            f"claim number {dup[0]!r} appears twice",
            row=int(str(dup[1])) + 1,
            column="claim_id",
        )
    orphans = _first(
        con, "SELECT count(*) FROM c_claim_lines l ANTI JOIN c_claim_headers h USING (claim_id)"
    )
    orphan = (
        _first(
            con,
            "SELECT l._row, l.claim_id FROM c_claim_lines l "
            "ANTI JOIN c_claim_headers h USING (claim_id) ORDER BY l._row LIMIT 1",
        )
        if orphans is not None and orphans[0]
        else None
    )
    if orphan is not None:
        raise ExtractError(
            lfile,
            f"claim {orphan[1]!r} is not in claim_headers",
            row=int(str(orphan[0])) + 1,
            column="claim_id",
        )


def read_extract(
    folder: Path, config: Mapping[str, str] | None = None, *, keys: bool = True
) -> Extract:
    """Read and check every file in `folder` (raises ExtractError naming the first fault).
    `config` is DuckDB's for the checks (peerpath.integrity.duck). `keys` False leaves the
    claims' keys (claim numbers given once, every line's claim in the headers) to a caller
    that checks them where they matter, more cheaply (`peerpath audit run`, through
    peerpath.integrity.claims; `Extract.check_keys` is the full check)."""
    if not folder.is_dir():
        raise ExtractError(str(folder), "is not a folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in {".parquet", ".csv"} or path.name.startswith("_"):
            continue  # "_" files are notes beside the data (a generator's answer key)
        name = path.stem
        if name not in FORMATS:
            raise ExtractError(
                path.name,
                f"unknown file; the formats are {', '.join(FORMATS)} (see `peerpath audit schema`)",
            )
        if name in found:
            raise ExtractError(path.name, f"given twice ({found[name].name} and {path.name})")
        found[name] = path
    claims = [n for n in found if n in CLAIMS_TIER]
    records = [n for n in found if n not in CLAIMS_TIER]
    if claims and records:
        raise ExtractError(
            found[records[0]].name,
            "an extract is one tier: claims-tier files and records-tier files cannot be mixed",
        )
    tier = "claims" if claims else "records"
    if not found:
        raise ExtractError(str(folder), "holds no extract files (.parquet or .csv)")
    for fmt in FORMATS.values():
        if fmt.tier == tier and fmt.required and fmt.name not in found:
            raise ExtractError(f"{fmt.name}.parquet", "required file is missing")
    if tier == "records" and ("people" not in found or "notes" not in found):
        missing = "people" if "people" not in found else "notes"
        raise ExtractError(f"{missing}.parquet", "required file is missing")
    tables: dict[str, pa.Table] = {}
    files: dict[str, Path] = {}
    columns: dict[str, frozenset[str]] = {}
    rows: dict[str, int] = {}
    con = duckdb.connect(config=dict(config or {}))
    try:
        con.execute("SET enable_progress_bar = false")
        for name, path in found.items():
            fmt = FORMATS[name]
            if tier == "claims" and _parquet_as_documented(path, fmt):
                rows[name] = _check_parquet(con, path, fmt)
                files[name] = path
                columns[name] = frozenset(pq.read_schema(path).names)
            else:
                tables[name] = _read_file(path, fmt)
                rows[name] = tables[name].num_rows
                columns[name] = frozenset(tables[name].column_names)
        if tier == "claims":
            if not files:
                _check_claims(tables, found, keys)
            else:
                _claim_views(con, tables, files)
                _check_claims_sql(con, found, keys)
    finally:
        con.close()
    names = {n: p.name for n, p in found.items()}
    return Extract(tier, tables, columns, files, rows, names, keys_checked=keys)


def _claim_views(
    con: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table], files: Mapping[str, Path]
) -> None:
    """The views `c_claim_headers` and `c_claim_lines`, each with its 0-based row `_row`."""
    for name in ("claim_headers", "claim_lines"):
        if name in files:
            con.execute(
                f"CREATE TEMP VIEW c_{name} AS SELECT *, file_row_number AS _row "
                f"FROM read_parquet({_literal(files[name])}, file_row_number = true)"
            )
        else:
            table = tables[name]
            con.register(
                f"c_{name}",
                table.append_column("_row", pa.array(range(table.num_rows), pa.int64())),
            )
