"""The audit benchmark runs end to end on a small extract: each contender in its own
process, taking turns, with medians and the ratio, and every contender agreeing with the
engine on the checks it covers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_takes_turns_and_prints_medians(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_audit.py"),
            "--lines",
            "3000",
            "--repeat",
            "2",
            "--workdir",
            str(tmp_path),
        ],
        # The children keep compiled statements here, not in the user's cache folder.
        env={**os.environ, "PEERPATH_AUDIT_COMPILED": str(tmp_path / "compiled")},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    turns = [line for line in out.splitlines() if " #" in line]
    assert len(turns) == 6  # three contenders, two turns each
    assert all("  yes " in line for line in turns)
    medians = out.split("medians of 2 turns:")[1]
    assert "NO" not in medians and medians.count("  yes ") == 3
    assert "PeerPath / reference (medians):" in out
