"""`peerpath audit run`: the policy engine's rules over an extract, with dollars at stake.

The rules are the engine's own (peerpath.policy.rules), run by the engine's public entry
point for extracts (`Evaluator.run_extract`); this module only prepares the tables
(peerpath.integrity.claims for a claims extract), decides which rules the extract can
assess (peerpath.integrity.assess), runs the engine on DuckDB or Spark, and writes the
results:

- `findings.parquet`: the engine's findings (rule, pack, category, severity, subject,
  evidence, citation and basis) with the claim line behind each (claim number, line,
  beneficiary, billing and rendering NPI) and `dollars_at_stake`;
- `not_assessable.parquet`: each rule and pack the extract cannot assess, and what it lacks;
- `summary.json`: counts, the period, the packs, the engine, timings.

Dollars at stake: for a finding about a claim line (a note), the amount paid on that line;
for a finding about a person, plan or authorization, the amount paid on that person's lines
on the finding's date (the service the finding is dated on) - a floor, not a total.
Everything is checked before anything is written, and the files appear together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peerpath.policy.engine import EVALUATOR, BatchSession, LiveSession, Scope, Session
from peerpath.policy.findings import FINDINGS_SCHEMA, ORDER
from peerpath.policy.parameters import Pack, load_packs
from peerpath.policy.rules.base import REGISTRY
from peerpath.policy.tables import SCHEMAS

from .assess import Verdict, assess
from .claims import map_claims
from .duck import Budget, budget
from .duck import memory_limit as duck_memory_limit
from .extract import Extract, ExtractError, read_extract

ENGINES = ("duckdb", "spark", "sqlite")

AUDIT_COLUMNS = pa.schema(
    [
        ("claim_id", pa.string()),
        ("line_number", pa.int64()),
        ("beneficiary_id", pa.string()),
        ("billing_npi", pa.string()),
        ("rendering_npi", pa.string()),
        ("dollars_at_stake", pa.float64()),
        ("dollars_basis", pa.string()),
    ]
)
FINDINGS_OUT = pa.schema([*FINDINGS_SCHEMA, *AUDIT_COLUMNS])
NOT_ASSESSABLE = pa.schema(
    [
        ("rule_id", pa.string()),
        ("pack_id", pa.string()),
        ("title", pa.string()),
        ("missing", pa.string()),
        ("verdict", pa.string()),
    ]
)
NOT_ASSESSABLE_WORDS = "not assessable with this extract"


class AuditError(ValueError):
    """A run that cannot start (bad options); nothing is written."""


@dataclass
class Prepared:
    """The engine's input tables from an extract, what they say, and the money behind notes."""

    tier: str
    data: dict[str, pa.Table]
    known: dict[str, frozenset[str]]
    note_units: pa.Table | None
    stats: dict[str, int] = field(default_factory=dict)
    outliers: pa.Table | None = None  # providers against their peers (a claims extract)
    outlier_seconds: float = 0.0
    # A claims extract: the DuckDB connection that prepared the tables, still open and
    # holding what the dollars need of the final lines (peerpath.integrity.claims.Mapped);
    # the run's rules on DuckDB and the dollars use it, and the run closes it.
    con: duckdb.DuckDBPyConnection | None = None

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def prepare(extract: Extract, packs: Mapping[str, Pack], within: Budget | None = None) -> Prepared:
    """The engine's tables from an extract. `within` bounds DuckDB's memory. The final lines
    of a claims extract stay in the preparing connection (`Prepared.con`; the caller closes
    it with `Prepared.close`)."""
    if extract.tier == "claims":
        mapped = map_claims(
            extract,
            packs.values(),
            with_outliers=True,
            config=within.config() if within is not None else None,
            keep=True,
        )
        return Prepared(
            "claims",
            mapped.tables,
            mapped.known,
            mapped.note_units,
            mapped.stats,
            mapped.outliers,
            mapped.outlier_seconds,
            mapped.con,
        )
    data: dict[str, pa.Table] = {}
    for name, table in extract.tables.items():
        schema = SCHEMAS[name]
        cols = {
            f.name: table.column(f.name)
            if f.name in table.column_names
            else pa.nulls(table.num_rows, f.type)
            for f in schema
        }
        data[name] = pa.table(cols, schema=schema)
    known = {n: frozenset(c) for n, c in extract.columns.items()}
    return Prepared("records", data, known, None, {"notes": data["notes"].num_rows})


def _session(
    engine: str,
    spark_url: str,
    within: Budget | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Session:
    """The engine the run's rules are evaluated on: on DuckDB, in `con` when given (the
    connection that prepared a claims extract, already bounded by `within`)."""
    if engine == "spark":
        from .spark import SparkSession_

        return SparkSession_(spark_url)
    if engine == "sqlite":  # the live check's engine (for differential tests)
        return LiveSession()
    # The findings are sorted at the end: DuckDB need not keep rows in insertion order,
    # which lets its operators hold less (the rules' phase about 13% shorter at 3M lines).
    if con is not None:
        con.execute("SET preserve_insertion_order = false")
        return BatchSession(con=con)
    config = {
        **(within.config() if within is not None else {}),
        "preserve_insertion_order": "false",
    }
    return BatchSession(config)


def _forced_pack(data: dict[str, pa.Table], pack: Pack) -> None:
    """Judge everyone by `pack` and its own figures: a payer contract per payer choosing it
    (the engine's own way for a contract to pick a pack)."""
    people = data["people"]
    payers = sorted(
        {p for p in people.column("payer_id").to_pylist()}, key=lambda v: (v is None, v)
    )
    data["contracts"] = pa.table(
        {
            "contract_id": list(range(1, len(payers) + 1)),
            "agency_id": [None] * len(payers),
            "payer_id": payers,
            "number": [f"audit judged by {pack.id}"] * len(payers),
            "start": [pack.start] * len(payers),
            "end": [None] * len(payers),
            "pack_override": [pack.id] * len(payers),
        },
        schema=SCHEMAS["contracts"],
    )
    # The pack's own figures: the extract's contract overrides do not apply.
    data["overrides"] = SCHEMAS["overrides"].empty_table()
    # Everyone is judged by the contract's pack, whatever their state or agency.
    data["people"] = people.set_column(
        people.schema.get_field_index("agency_id"),
        "agency_id",
        pa.nulls(people.num_rows, pa.int64()),
    )


def _no_dollars(findings: pa.Table) -> pa.Table:
    """A records extract carries no amounts: the claim columns stay empty."""
    out = findings
    for f in AUDIT_COLUMNS:
        col = pa.nulls(findings.num_rows, f.type)
        if f.name == "dollars_basis":
            col = pa.array(["no amounts in a records extract"] * findings.num_rows, pa.string())
        out = out.append_column(f.name, col)
    return out.cast(FINDINGS_OUT)


@dataclass
class RunResult:
    findings: pa.Table
    not_assessable: pa.Table
    summary: dict[str, Any]
    outliers: pa.Table | None = None


def run_audit(
    input_dir: Path,
    out_dir: Path | None,
    *,
    pack: str = "auto",
    engine: str = "duckdb",
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    spark_url: str = "",
    say: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
) -> RunResult:
    """Run the audit; write the results into `out_dir` (when given) only if all went well.

    `memory_limit` bounds DuckDB's memory in each of the run's connections (default
    `PEERPATH_AUDIT_MEMORY`, else 2GB; see peerpath.integrity.duck); beyond it DuckDB spills
    to a temporary folder removed at the end."""
    if engine not in ENGINES:
        raise AuditError(f"unknown engine {engine!r}; choose {' or '.join(ENGINES)}")
    try:
        limit = duck_memory_limit(memory_limit)
    except ValueError as exc:
        raise AuditError(str(exc)) from None
    EVALUATOR.keep_compiled(compiled_folder())
    try:
        with budget(limit) as within:
            return _run(input_dir, out_dir, pack, engine, as_of, since, spark_url, say, within)
    finally:
        EVALUATOR.keep_compiled(None)


COMPILED_ENV = "PEERPATH_AUDIT_COMPILED"


def compiled_folder() -> Path | None:
    """Where runs keep the rules' compiled statements for the next run (they take about a
    second to build): `PEERPATH_AUDIT_COMPILED`, else the user's cache folder
    (`$XDG_CACHE_HOME/peerpath/compiled`, by default under ~/.cache); "off" keeps none."""
    given = os.environ.get(COMPILED_ENV)
    if given is not None and given.strip().lower() in ("off", "0", "no", ""):
        return None
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "peerpath" / "compiled"


def _run(
    input_dir: Path,
    out_dir: Path | None,
    pack: str,
    engine: str,
    as_of: dt.date | None,
    since: dt.date | None,
    spark_url: str,
    say: Callable[[str], None] | None,
    within: Budget,
) -> RunResult:
    say = say or (lambda _: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    packs = dict(load_packs())
    if pack != "auto" and pack not in packs:
        raise AuditError(f"unknown pack {pack!r}; packs: {', '.join(sorted(packs))}")
    say("Reading and checking the extract")
    # The claims' keys are checked while mapping, where the audit relies on them.
    extract = read_extract(input_dir, within.config(), keys=False)
    timings["read"] = time.perf_counter() - t0
    say("Resolving adjustments and mapping claims to the engine's tables")
    t = time.perf_counter()
    prepared = prepare(extract, packs, within)
    with closing(prepared):  # its DuckDB connection, whatever happens
        # The outliers are computed while preparing, from the lines the preparing connection
        # holds; their seconds are counted as theirs.
        timings["prepare"] = time.perf_counter() - t - prepared.outlier_seconds
        data = prepared.data
        notes = data["notes"]
        if notes.num_rows == 0:
            raise ExtractError("claim_lines", "no peer-support lines to audit")
        first = pc.min(notes.column("date")).as_py()
        last = as_of or pc.max(notes.column("date")).as_py()
        start = since or first
        states = {s for s in data["people"].column("state").to_pylist() if s}
        if pack == "auto":
            in_use = [
                p
                for p in packs.values()
                if p.jurisdiction.upper() in states and p.start <= last and (p.end or last) >= start
            ]
            scope = Scope()
        else:
            _forced_pack(data, packs[pack])
            in_use = [packs[pack]]
            scope = Scope(packs=[pack])
        say("Deciding which rules this extract can assess")
        verdicts = assess(list(REGISTRY.values()), in_use, prepared.known, start=start, end=last)
        runnable = {v.rule_id for v in verdicts if v.assessable}
        rules = [r for r in REGISTRY.values() if r.id in runnable]
        say(f"Running {len(rules)} rules on {engine}")
        t = time.perf_counter()
        found = EVALUATOR.run_extract(
            data,
            as_of=last,
            period_start=start,
            scope=scope,
            rules=rules,
            packs=packs,
            session=_session(engine, spark_url, within, prepared.con),
            note_units=prepared.note_units,
            ordered=False,  # ordered by the dollars' statement
        ).table
        timings["rules"] = time.perf_counter() - t
        blocked = [(v.rule_id, v.pack_id) for v in verdicts if not v.assessable]
        if blocked and found.num_rows:
            keys = pc.binary_join_element_wise(
                found.column("rule_id"), found.column("pack_id"), "|"
            )
            drop = pa.array([f"{r}|{p}" for r, p in blocked])
            found = found.filter(pc.invert(pc.is_in(keys, drop)))
        t = time.perf_counter()
        findings = _with_dollars(found, prepared)
        timings["dollars"] = time.perf_counter() - t
        not_assessable = _verdict_table(verdicts)
        outlier_table = prepared.outliers
        if outlier_table is not None:
            timings["outliers"] = prepared.outlier_seconds
        timings["total"] = time.perf_counter() - t0
        summary = {
            "tier": prepared.tier,
            "engine": engine,
            "memory_limit": within.memory_limit,
            "pack": pack,
            "packs_in_use": sorted(p.id for p in in_use),
            "period": [start.isoformat(), last.isoformat()],
            "extract": prepared.stats,
            "findings": findings.num_rows,
            "findings_by_rule": _counts(findings),
            "dollars_at_stake": round(
                float(pc.sum(findings.column("dollars_at_stake")).as_py() or 0), 2
            ),
            "rules_run": sorted(runnable),
            "not_assessable": len(not_assessable),
            "seconds": {k: round(v, 3) for k, v in timings.items()},
        }
        if out_dir is not None:
            _write(out_dir, findings, not_assessable, summary, outlier_table)
        return RunResult(findings, not_assessable, summary, outlier_table)


def _with_dollars(found: pa.Table, prepared: Prepared) -> pa.Table:
    con = prepared.con
    if con is None:
        return _no_dollars(found.sort_by([(c, "ascending") for c in ORDER]))
    notes = prepared.data["notes"].select(["note_id", "person_id", "date"])
    people = prepared.data["people"].select(["person_id", "medicaid_id"])
    try:
        con.register("notes_people", notes)
        con.register("people_ids", people)
        return _dollars_sql(con, found)
    finally:
        for name in ("notes_people", "people_ids", "f"):
            con.unregister(name)


def _dollars_sql(con: duckdb.DuckDBPyConnection, findings: pa.Table) -> pa.Table:
    """The findings with the claim line behind each and the dollars at stake, from what the
    preparing connection kept (`kept_paid`, `kept_claims`, `npis`) and the views
    `notes_people` and `people_ids`."""
    con.register(
        "f", findings.append_column("_row", pa.array(range(findings.num_rows), pa.int64()))
    )
    table = con.sql(
        f"""
        WITH ln AS (SELECT f._row, c.claim_id, (f.subject_id % 10000)::BIGINT AS line_number,
                c.beneficiary_id, c.billing_npi, r.rendering_npi, m.paid
            FROM f JOIN kept_paid m ON f.subject_type = 'note' AND m.note_id = f.subject_id
            JOIN kept_claims c ON c.claim_no = f.subject_id // 10000
            JOIN npis r ON r.staff_id = f.staff_id),
        pd AS (SELECT f._row, sum(m.paid) AS paid, min(c.billing_npi) AS billing_npi
            FROM f JOIN notes_people np ON np.person_id = f.person_id AND np.date = f.date
            JOIN kept_paid m ON m.note_id = np.note_id
            JOIN kept_claims c ON c.claim_no = np.note_id // 10000
            WHERE f.subject_type <> 'note' GROUP BY f._row)
        SELECT f.* EXCLUDE (_row), ln.claim_id, ln.line_number,
            coalesce(ln.beneficiary_id, pp.medicaid_id) AS beneficiary_id,
            coalesce(ln.billing_npi, pd.billing_npi) AS billing_npi, ln.rendering_npi,
            coalesce(ln.paid, pd.paid, 0)::DOUBLE AS dollars_at_stake,
            CASE WHEN f.subject_type = 'note' THEN 'paid on the line'
                 ELSE 'paid on the person''s lines on the finding date' END AS dollars_basis
        FROM f LEFT JOIN ln USING (_row) LEFT JOIN pd USING (_row)
        LEFT JOIN people_ids pp ON pp.person_id = f.person_id
        ORDER BY {", ".join(f"f.{c}" for c in ORDER)}, f._row"""
    ).to_arrow_table()
    return table.select(FINDINGS_OUT.names).cast(FINDINGS_OUT)


def _counts(findings: pa.Table) -> dict[str, int]:
    if findings.num_rows == 0:
        return {}
    grouped = findings.group_by("rule_id").aggregate([("rule_id", "count")])
    return dict(
        sorted(
            zip(
                grouped.column("rule_id").to_pylist(),
                grouped.column("rule_id_count").to_pylist(),
                strict=True,
            )
        )
    )


def _verdict_table(verdicts: Sequence[Verdict]) -> pa.Table:
    rows = [
        {
            "rule_id": v.rule_id,
            "pack_id": v.pack_id,
            "title": REGISTRY[v.rule_id].title,
            "missing": v.missing,
            "verdict": NOT_ASSESSABLE_WORDS,
        }
        for v in verdicts
        if not v.assessable
    ]
    return pa.Table.from_pylist(rows, schema=NOT_ASSESSABLE)


def _write(
    out_dir: Path,
    findings: pa.Table,
    not_assessable: pa.Table,
    summary: dict[str, Any],
    outlier_table: pa.Table | None = None,
) -> None:
    """Write the result files into a fresh folder beside `out_dir`, then move them in."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".audit-", dir=out_dir.parent))
    try:
        pq.write_table(findings, staging / "findings.parquet")
        pq.write_table(not_assessable, staging / "not_assessable.parquet")
        if outlier_table is not None:
            pq.write_table(outlier_table, staging / "outliers.parquet")
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        out_dir.mkdir(exist_ok=True)
        for path in staging.iterdir():
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
