"""Run the hand-written DuckDB SQL reference (reference.sql) over a claims extract folder of
Parquet files: the yardstick the benchmark compares the engine with."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa

REFERENCE_RULES = (
    "NOTE.MODALITY_ALLOWED",
    "NOTE.SETTING_ALLOWED",
    "ELIG.MIN_AGE",
    "ELIG.DIAGNOSIS_IN_SCOPE",
    "CREDENTIAL.CURRENT",
    "UNITS.CAP",
    "AUTH.UNITS_EXCEEDED",
)


def reference_sql() -> str:
    return resources.files("peerpath.integrity").joinpath("reference.sql").read_text()


def run_reference(folder: Path) -> pa.Table:
    """The reference findings: rule_id, beneficiary_id, claim_id, line_number, subject_type."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET VARIABLE folder = ?", [str(folder)])
        statements = [s for s in reference_sql().split(";\n") if s.strip()]
        for statement in statements[:-1]:
            con.execute(statement)
        return con.sql(statements[-1]).to_arrow_table()
    finally:
        con.close()
