"""Records tier: PeerPath's own database exported as the engine's tables and audited gives
the agency check's findings (every rule assessable: nothing is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from peerpath.cli import main
from peerpath.demo.generator import generate
from peerpath.integrity.run import run_audit
from peerpath.policy.checks import check_agency

pytestmark = pytest.mark.django_db


def test_export_then_audit_matches_the_agency_check(tmp_path: Path) -> None:
    report = generate(seed=7, people=20)
    out = tmp_path / "records"
    assert main(["audit", "export", "--out", str(out)]) == 0
    assert (out / "notes.parquet").exists() and (out / "people.parquet").exists()
    result = run_audit(out, tmp_path / "run", as_of=report.end, since=report.start)
    direct = check_agency(as_of=report.end, period_start=report.start).table

    def keys(table) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
        cols = ["rule_id", "pack_id", "subject_type", "subject_id", "date", "evidence"]
        return sorted(tuple(r.values()) for r in table.select(cols).to_pylist())

    assert result.summary["tier"] == "records"
    assert result.not_assessable.num_rows == 0
    assert keys(result.findings) == keys(direct)
    assert len(direct) > 0
