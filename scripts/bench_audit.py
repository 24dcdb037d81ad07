#!/usr/bin/env python3
"""Benchmark `peerpath audit run` against a hand-written DuckDB SQL reference of the same
seven checks (peerpath/integrity/reference.sql) and a row-by-row Python version of two
checks, on synthetic claims extracts of the sizes asked for, end to end from Parquet.

    .venv/bin/python scripts/bench_audit.py                    # 1M claim lines
    .venv/bin/python scripts/bench_audit.py --lines 1000000 --lines 10000000
    .venv/bin/python scripts/bench_audit.py --lines 10000000 --no-rows --repeat 3  # medians

Each contender runs in a child process of its own, so its peak memory (maximum resident
set size, from the operating system's accounting of that child) and CPU seconds are its
alone. Prints lines/s (claim lines in the extract / wall seconds, reading included), peak
memory, whether each gives the same findings as the engine for the checks it covers, CPU
seconds, and PeerPath's ratio to the hand-written SQL in wall and in CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROW_RULES = ("NOTE.MODALITY_ALLOWED", "NOTE.SETTING_ALLOWED")


KEY_COLUMNS = ("rule_id", "beneficiary_id", "claim_id", "line_number")


def _keys(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return sorted([[r[c] for c in KEY_COLUMNS] for r in rows], key=lambda k: [str(v) for v in k])


def child_peerpath(folder: Path, engine: str) -> dict[str, Any]:
    from peerpath.integrity.run import run_audit

    with tempfile.TemporaryDirectory() as out:
        result = run_audit(folder, Path(out), engine=engine)
    return {
        "findings": result.findings.num_rows,
        "by_rule": result.summary["findings_by_rule"],
        # Only the key columns become Python objects (as for the reference): the findings'
        # forty columns as dicts would cost the child seconds that are not the audit's.
        "keys": _keys(result.findings.select(KEY_COLUMNS).to_pylist()),
        "phases": result.summary["seconds"],
    }


def child_reference(folder: Path) -> dict[str, Any]:
    from peerpath.integrity.reference import run_reference

    table = run_reference(folder)
    return {"findings": table.num_rows, "keys": _keys(table.select(KEY_COLUMNS).to_pylist())}


def child_rows(folder: Path) -> dict[str, Any]:
    """NOTE.MODALITY_ALLOWED and NOTE.SETTING_ALLOWED, one Python dict per row: the final
    version of each claim, then each line checked against its state's figures."""
    import pyarrow.parquet as pq

    allowed_modifiers = {"TX": set(), "NC": {"GT", "KX"}}
    telehealth = {"GT", "KX", "95", "93"}
    settings = {"TX": {"11", "12", "99"}, "NC": {"11", "12", "99", "23"}}
    parent: dict[str, str] = {}
    versions: list[dict[str, Any]] = []
    for batch in pq.ParquetFile(folder / "claim_headers.parquet").iter_batches(100_000):
        for row in batch.to_pylist():
            if row["original_claim_id"]:
                parent[row["claim_id"]] = row["original_claim_id"]
            versions.append(row)

    def root(claim: str) -> str:
        while claim in parent:
            claim = parent[claim]
        return claim

    best: dict[str, dict[str, Any]] = {}
    for row in versions:
        fam = root(row["claim_id"])
        key = (row["adjudication_date"], row["adjustment_indicator"] != "0", row["claim_id"])
        held = best.get(fam)
        if held is None or key > held["_key"]:
            best[fam] = {**row, "_key": key}
    final = {r["claim_id"]: r for r in best.values() if r["adjustment_indicator"] != "1"}
    findings = []
    for batch in pq.ParquetFile(folder / "claim_lines.parquet").iter_batches(100_000):
        for line in batch.to_pylist():
            head = final.get(line["claim_id"])
            if head is None or line["procedure_code"] != "H0038":
                continue
            state = head["state"]
            mods = {line[f"modifier_{i}"] for i in range(1, 5)} - {None, ""}
            base = {
                "beneficiary_id": head["beneficiary_id"],
                "claim_id": line["claim_id"],
                "line_number": line["line_number"],
            }
            if (mods & telehealth) - allowed_modifiers.get(state, set()):
                findings.append({"rule_id": "NOTE.MODALITY_ALLOWED", **base})
            if line["place_of_service"] not in settings.get(state, set()):
                findings.append({"rule_id": "NOTE.SETTING_ALLOWED", **base})
    return {"findings": len(findings), "keys": _keys(findings)}


def _measure(kind: str, folder: Path, engine: str = "duckdb") -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--input", str(folder), "--engine", engine]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{kind} failed")
    result: dict[str, Any] = json.loads(out)
    result["seconds"] = seconds
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    # CPU seconds (user + system, all threads) of the child: on a shared machine a steadier
    # yardstick than wall seconds, which depend on what else runs.
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


def bench(
    lines: int, workdir: Path, noise: float, spark: bool, rows: bool = True, repeat: int = 1
) -> None:
    from peerpath.integrity.generate import generate
    from peerpath.integrity.reference import REFERENCE_RULES

    folder = workdir / f"claims-{lines}"
    if not (folder / "claim_lines.parquet").exists():
        start = time.perf_counter()
        counts = generate(folder, lines=lines, noise=noise, planted=max(1, lines // 100_000))
        print(
            f"Generated {counts['claim_lines']:,} claim lines in "
            f"{time.perf_counter() - start:.1f} s ({folder})",
            flush=True,
        )
    import pyarrow.parquet as pq

    n = pq.ParquetFile(folder / "claim_lines.parquet").metadata.num_rows
    print(f"\n== {n:,} claim lines (Parquet), end to end ==", flush=True)
    runs = [("PeerPath audit (DuckDB)", "peerpath", "duckdb")]
    if spark:
        runs.append(("PeerPath audit (Spark, local)", "peerpath", "spark"))
    runs += [("Hand-written DuckDB SQL (7 checks)", "reference", "duckdb")]
    if rows:
        runs.append(("Row-by-row Python (2 checks)", "rows", "duckdb"))
    ours: dict[str, Any] | None = None
    measured: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in runs}
    print(
        f"{'contender':<40} {'seconds':>8} {'lines/s':>12} {'peak MB':>8} {'findings':>9}  same"
        f"  {'cpu s':>7}"
    )
    # With --repeat, the contenders take turns (one of each, then again), so that a change
    # in what else the machine runs falls on all of them alike.
    for turn in range(repeat):
        for label, kind, engine in runs:
            r = _measure(kind, folder, engine)
            measured[label].append(r)
            if ours is None:
                ours = r
            covered = {"rows": ROW_RULES, "reference": REFERENCE_RULES}.get(kind)
            mine = [k for k in ours["keys"] if covered is None or k[0] in covered]
            r["same"] = "yes" if r["keys"] == mine else "NO"
            shown = label if repeat == 1 else f"{label} #{turn + 1}"
            print(
                f"{shown:<40} {r['seconds']:>8.2f} {n / r['seconds']:>12,.0f} "
                f"{r['peak_mb']:>8.0f} {r['findings']:>9,}  {r['same']:<4}  {r['cpu']:>7.2f}",
                flush=True,
            )
            if kind == "peerpath":
                phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())
                print(f"{'':<4}phases: {phases}", flush=True)
    if ours is not None:
        print(f"{'':<4}findings by rule: {ours['by_rule']}")
    middle = {label: _medians(rs) for label, rs in measured.items()}
    if repeat > 1:
        print(f"medians of {repeat} turns:")
        for label, m in middle.items():
            same = "yes" if all(r["same"] == "yes" for r in measured[label]) else "NO"
            print(
                f"{label:<40} {m['seconds']:>8.2f} {n / m['seconds']:>12,.0f} "
                f"{m['peak_mb']:>8.0f} {'':>9}  {same:<4}  {m['cpu']:>7.2f}",
                flush=True,
            )
    mine_m = middle.get("PeerPath audit (DuckDB)")
    ref_m = middle.get("Hand-written DuckDB SQL (7 checks)")
    if mine_m is not None and ref_m is not None:
        which = "" if repeat == 1 else " (medians)"
        print(
            f"{'':<4}PeerPath / reference{which}: {mine_m['seconds'] / ref_m['seconds']:.2f}x "
            f"wall seconds, {mine_m['cpu'] / ref_m['cpu']:.2f}x CPU seconds"
        )


def _medians(results: list[dict[str, Any]]) -> dict[str, float]:
    """Each figure's median over the turns (each figure on its own)."""
    return {
        key: statistics.median(r[key] for r in results) for key in ("seconds", "cpu", "peak_mb")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, action="append", help="claim lines (repeatable)")
    parser.add_argument("--workdir", type=Path, help="where extracts are kept (default: temp)")
    parser.add_argument("--noise", type=float, default=0.005, help="share of defective lines")
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine")
    parser.add_argument(
        "--no-rows", action="store_true", help="leave out the row-by-row Python version"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="turns of every contender, taken in turn; medians are printed (default 1)",
    )
    parser.add_argument(
        "--child", choices=["peerpath", "reference", "rows"], help=argparse.SUPPRESS
    )
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="duckdb", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        worker = {
            "peerpath": lambda: child_peerpath(args.input, args.engine),
            "reference": lambda: child_reference(args.input),
            "rows": lambda: child_rows(args.input),
        }[args.child]
        print(json.dumps(worker(), default=str))
        return 0
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, not {args.repeat}")
    sizes = args.lines or [1_000_000]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            bench(size, args.workdir, args.noise, args.spark, not args.no_rows, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for size in sizes:
                bench(size, Path(tmp), args.noise, args.spark, not args.no_rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
