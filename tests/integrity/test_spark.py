"""The same audit on the live check's SQLite, on DuckDB and on Spark (local mode, small
data) gives identical findings. Run alone with `pytest -m spark`."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from peerpath.integrity.generate import PLANTED_RULES, generate
from peerpath.integrity.run import run_audit

pytestmark = pytest.mark.spark


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_sqlite_duckdb_and_spark_give_identical_findings(tmp_path: Path) -> None:
    generate(tmp_path / "x", lines=120, seed=3)
    duck = run_audit(tmp_path / "x", None, engine="duckdb")
    assert set(duck.summary["findings_by_rule"]) == set(PLANTED_RULES)
    live = run_audit(tmp_path / "x", None, engine="sqlite")
    spark = run_audit(tmp_path / "x", None, engine="spark")
    assert _rows(live.findings) == _rows(duck.findings)
    assert _rows(spark.findings) == _rows(duck.findings)
    assert spark.summary["not_assessable"] == duck.summary["not_assessable"]
