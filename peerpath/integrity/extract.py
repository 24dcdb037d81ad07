"""Read an extract folder: every file checked against its declared format before anything
is used, so a bad file is refused with the file, row and column named (and nothing is
written by the run that asked).

Rows are counted from 1 (the first data row; in a CSV file that is the line after the
header).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
    """The validated tables of one extract and which optional columns each file gave."""

    tier: str  # "claims" or "records"
    tables: dict[str, pa.Table]
    columns: dict[str, frozenset[str]] = field(default_factory=dict)

    def has(self, name: str, column: str | None = None) -> bool:
        if name not in self.tables:
            return False
        return column is None or column in self.columns.get(name, frozenset())


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


def _check_claims(tables: Mapping[str, pa.Table], files: Mapping[str, Path]) -> None:
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
    numbers = lines.column("line_number")
    odd = _first_true(pc.or_(pc.less(numbers, 1), pc.greater(numbers, 9999)))
    if odd is not None:
        raise ExtractError(
            lfile, "line numbers run from 1 to 9999", row=odd + 1, column="line_number"
        )
    negative = _first_true(pc.less(lines.column("units"), 0))
    if negative is not None:
        raise ExtractError(lfile, "units cannot be negative", row=negative + 1, column="units")


def read_extract(folder: Path) -> Extract:
    """Read and check every file in `folder` (raises ExtractError naming the first fault)."""
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
    columns: dict[str, frozenset[str]] = {}
    for name, path in found.items():
        tables[name] = _read_file(path, FORMATS[name])
        columns[name] = frozenset(tables[name].column_names)
    if tier == "claims":
        _check_claims(tables, found)
    return Extract(tier, tables, columns)
