"""Extract formats: declared once, printed by `peerpath audit schema`, enforced by the reader
with the file, row and column named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from peerpath.cli import main
from peerpath.integrity.extract import ExtractError, read_extract
from peerpath.integrity.formats import CLAIMS_TIER, RECORDS_TIER
from peerpath.integrity.generate import generate
from peerpath.policy.tables import SCHEMAS


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "csv"
    generate(out, lines=200, fmt="csv")
    return out


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "x"
    shutil.copytree(src, dst)
    return dst


def test_schema_prints_every_file_and_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "schema"]) == 0
    out = capsys.readouterr().out
    for fmt in (*CLAIMS_TIER.values(), *RECORDS_TIER.values()):
        assert f"{fmt.name}.parquet" in out
        for c in fmt.columns:
            assert c.name in out
    assert "ADJUSTMENT-IND" in out  # T-MSIS names are given


def test_records_tier_is_the_engine_tables() -> None:
    for name, fmt in RECORDS_TIER.items():
        assert fmt.schema == SCHEMAS[name]


def test_generated_extract_reads_back(small_csv: Path) -> None:
    extract = read_extract(small_csv)
    assert extract.tier == "claims"
    lines = extract.tables["claim_lines"]
    assert lines.schema.field("service_date").type == pa.date32()
    assert lines.num_rows > 200


def _rewrite_csv(path: Path, line_no: int, column: str, value: str) -> None:
    rows = path.read_text().splitlines()
    header = rows[0].split(",")
    cells = rows[line_no].split(",")
    cells[header.index(column)] = value
    rows[line_no] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n")


def test_bad_date_named_by_file_row_column(small_csv: Path, tmp_path: Path) -> None:
    x = _copy(small_csv, tmp_path)
    _rewrite_csv(x / "claim_lines.csv", 5, "service_date", "2025-13-40")
    with pytest.raises(ExtractError) as err:
        read_extract(x)
    assert str(err.value).startswith("claim_lines.csv, row 5, column 'service_date'")
    assert "'2025-13-40' is not a date" in str(err.value)


def test_missing_required_value(small_csv: Path, tmp_path: Path) -> None:
    x = _copy(small_csv, tmp_path)
    _rewrite_csv(x / "claim_headers.csv", 3, "beneficiary_id", "")
    with pytest.raises(ExtractError, match=r"claim_headers.csv, row 3, column 'beneficiary_id'"):
        read_extract(x)


def test_bad_adjustment_indicator_and_orphan_line(small_csv: Path, tmp_path: Path) -> None:
    x = _copy(small_csv, tmp_path)
    _rewrite_csv(x / "claim_headers.csv", 2, "adjustment_indicator", "7")
    with pytest.raises(ExtractError, match=r"row 2, column 'adjustment_indicator'.*'7'"):
        read_extract(x)
    x2 = _copy(small_csv, tmp_path / "b")
    _rewrite_csv(x2 / "claim_lines.csv", 4, "claim_id", "NOPE")
    with pytest.raises(ExtractError, match=r"claim_lines.csv, row 4, column 'claim_id'.*'NOPE'"):
        read_extract(x2)


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "parquet"
    generate(out, lines=200)
    return out


def _set(path: Path, row: int, column: str, value: object) -> None:
    """Rewrite one value (row counted from 1) of a Parquet file, keeping its types."""
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[row - 1] = value
    i = table.schema.get_field_index(column)
    table = table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))
    pq.write_table(table, path)


def test_parquet_of_the_documented_types_is_left_for_duckdb(small_parquet: Path) -> None:
    extract = read_extract(small_parquet)
    assert "claim_lines" in extract.files and "claim_lines" not in extract.tables
    lines = extract.table("claim_lines")
    assert extract.rows["claim_lines"] == lines.num_rows > 200
    assert extract.has("claim_lines", "modifier_1")


def test_parquet_faults_named_by_file_row_column(small_parquet: Path, tmp_path: Path) -> None:
    cases = [
        (
            "claim_headers",
            7,
            "beneficiary_id",
            None,
            r"claim_headers.parquet, row 7, column "
            r"'beneficiary_id': required value is empty",
        ),
        (
            "claim_headers",
            3,
            "adjustment_indicator",
            "7",
            r"claim_headers.parquet, row 3, "
            r"column 'adjustment_indicator': '7' is not an adjustment indicator",
        ),
        (
            "claim_lines",
            11,
            "claim_id",
            "NOPE",
            r"claim_lines.parquet, row 11, column "
            r"'claim_id': claim 'NOPE' is not in claim_headers",
        ),
        (
            "claim_lines",
            5,
            "line_number",
            0,
            r"claim_lines.parquet, row 5, column "
            r"'line_number': line numbers run from 1 to 9999",
        ),
        (
            "claim_lines",
            9,
            "units",
            -2,
            r"claim_lines.parquet, row 9, column 'units': "
            r"units cannot be negative",
        ),
    ]
    for i, (name, row, column, value, message) in enumerate(cases):
        x = _copy(small_parquet, tmp_path / str(i))
        _set(x / f"{name}.parquet", row, column, value)
        with pytest.raises(ExtractError, match=message):
            read_extract(x)
    # A claim number given twice: named at its first row.
    x = _copy(small_parquet, tmp_path / "dup")
    first = pq.read_table(x / "claim_headers.parquet").column("claim_id")[1].as_py()
    _set(x / "claim_headers.parquet", 6, "claim_id", first)
    with pytest.raises(ExtractError, match=rf"row 2, column 'claim_id': claim number '{first}'"):
        read_extract(x)


@pytest.mark.parametrize("statistics", [True, False])
def test_empty_required_value_found_with_or_without_statistics(
    small_parquet: Path, tmp_path: Path, statistics: bool
) -> None:
    """A file whose statistics say a column has no empty value is not read for it; one
    without statistics (or saying it has some) is read, and the empty value named."""
    x = _copy(small_parquet, tmp_path)
    path = x / "claim_lines.parquet"
    table = pq.read_table(path)
    pq.write_table(table, path, write_statistics=statistics)
    assert read_extract(x).rows["claim_lines"] == table.num_rows
    values = table.column("rendering_npi").to_pylist()
    values[12] = None
    i = table.schema.get_field_index("rendering_npi")
    table = table.set_column(i, table.schema.field(i), pa.array(values, pa.string()))
    pq.write_table(table, path, write_statistics=statistics)
    with pytest.raises(
        ExtractError, match=r"claim_lines.parquet, row 13, column 'rendering_npi': required"
    ):
        read_extract(x)


def test_unknown_and_missing_columns_and_files(small_csv: Path, tmp_path: Path) -> None:
    x = _copy(small_csv, tmp_path)
    (x / "claim_lines.csv").unlink()
    with pytest.raises(ExtractError, match=r"claim_lines.parquet: required file is missing"):
        read_extract(x)
    y = _copy(small_csv, tmp_path / "y")
    (y / "claim_linez.csv").write_text("a\n1\n")
    with pytest.raises(ExtractError, match=r"claim_linez.csv: unknown file"):
        read_extract(y)
    z = _copy(small_csv, tmp_path / "z")
    pq.write_table(pa.table({"claim_id": ["1"], "units": [1]}), z / "claim_lines.parquet")
    (z / "claim_lines.csv").unlink()
    with pytest.raises(ExtractError, match=r"claim_lines.parquet, column 'line_number'"):
        read_extract(z)


def test_validate_command_refuses_with_exit_2(
    small_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "validate", "--input", str(small_csv)]) == 0
    x = _copy(small_csv, tmp_path)
    _rewrite_csv(x / "claim_lines.csv", 2, "units", "two")
    assert main(["audit", "validate", "--input", str(x)]) == 2
    assert "claim_lines.csv, row 2, column 'units'" in capsys.readouterr().err
