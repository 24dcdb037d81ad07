"""`peerpath audit run` over synthetic claims extracts: every planted defect is found and
nothing else; voids and replacements are resolved; rules needing records are "not
assessable"; a bad extract writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from peerpath.cli import main
from peerpath.integrity.extract import ExtractError, read_extract
from peerpath.integrity.generate import EXPECTED, PLANTED_RULES, generate
from peerpath.integrity.run import NOT_ASSESSABLE_WORDS, AuditError, prepare, run_audit
from peerpath.policy.engine import EVALUATOR
from peerpath.policy.parameters import load_packs
from peerpath.policy.rules.base import REGISTRY


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "claims"
    generate(out, lines=3000, planted=2)
    return out


@pytest.fixture(scope="module")
def result(extract: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "out"
    assert main(["audit", "run", "--input", str(extract), "--out", str(out)]) == 0
    return out


def _keys(table: pa.Table) -> list[tuple[object, ...]]:
    cols = ["rule_id", "beneficiary_id", "claim_id", "line_number", "subject_type"]
    return sorted(tuple(r[c] for c in cols) for r in table.select(cols).to_pylist())


def test_every_planted_defect_is_found_and_nothing_else(extract: Path, result: Path) -> None:
    findings = pq.read_table(result / "findings.parquet")
    expected = pq.read_table(extract / EXPECTED)
    assert expected.num_rows == 2 * len(PLANTED_RULES)
    assert _keys(findings) == _keys(expected)
    # Each planted rule is exercised.
    assert set(findings.column("rule_id").to_pylist()) == set(PLANTED_RULES)


def test_findings_carry_citation_and_dollars(result: Path) -> None:
    findings = pq.read_table(result / "findings.parquet").to_pylist()
    for f in findings:
        assert f["cite_source"] and f["severity"] in {"deny", "warn", "info"}
        assert f["dollars_at_stake"] > 0
    cap = next(f for f in findings if f["rule_id"] == "UNITS.CAP")
    assert cap["dollars_at_stake"] == 8 * 12.5  # the line over the cap: 8 units paid
    auth = next(f for f in findings if f["rule_id"] == "AUTH.UNITS_EXCEEDED")
    assert auth["dollars_basis"].startswith("paid on the person's lines")
    summary = json.loads((result / "summary.json").read_text())
    assert summary["findings"] == len(findings)
    # Per copy: a voided claim (original and void both gone) and a replaced original.
    assert summary["extract"]["voided_or_replaced"] == 2 * 3


def test_records_tier_rules_not_assessable_on_claims(result: Path) -> None:
    na = pq.read_table(result / "not_assessable.parquet").to_pylist()
    blocked = {(r["rule_id"], r["pack_id"]): r["missing"] for r in na}
    assert all(r["verdict"] == NOT_ASSESSABLE_WORDS for r in na)
    assert blocked[("PLAN.CURRENT", "tx-pss-2019")] == "table plans"
    assert blocked[("NOTE.PLAN_GOAL", "nc-8g-2025")] == "notes.goal_id"
    assert blocked[("UNITS.SAME_PERSON_OVERLAP", "tx-pss-2019")] == "notes.end_min"
    assert blocked[("AUTH.NOTE_COVERED", "nc-8g-2025")] == "table episodes"
    # No records-tier rule is silently passed: each rule the packs switch on is either run
    # or reported.
    summary = json.loads((result / "summary.json").read_text())
    run = set(summary["rules_run"])
    for rule_id, _ in blocked:
        assert rule_id in REGISTRY
    assert {"PLAN.CURRENT", "CRISIS.PLAN_PRESENT"}.isdisjoint(run)


def test_without_credentials_the_credential_rule_is_not_assessable(
    extract: Path, tmp_path: Path
) -> None:
    x = tmp_path / "x"
    shutil.copytree(extract, x)
    (x / "provider_credentials.parquet").unlink()
    r = run_audit(x, None)
    assert "CREDENTIAL.CURRENT" not in r.summary["findings_by_rule"]
    na = {(row["rule_id"], row["missing"]) for row in r.not_assessable.to_pylist()}
    assert ("CREDENTIAL.CURRENT", "table certifications") in na


def test_forced_pack_judges_everyone_by_it(extract: Path) -> None:
    r = run_audit(extract, None, pack="nc-8g-2025")
    assert r.summary["packs_in_use"] == ["nc-8g-2025"]
    assert set(r.findings.column("pack_id").to_pylist()) == {"nc-8g-2025"}
    # NC allows telehealth and the emergency department, has no units cap, serves from 18.
    assert set(r.summary["findings_by_rule"]) == {
        "AUTH.UNITS_EXCEEDED",
        "CREDENTIAL.CURRENT",
        "ELIG.DIAGNOSIS_IN_SCOPE",
    }


def test_csv_extract_gives_the_same_findings(tmp_path: Path) -> None:
    generate(tmp_path / "csv", lines=400, fmt="csv")
    generate(tmp_path / "pq", lines=400)
    a = run_audit(tmp_path / "csv", None).findings
    b = run_audit(tmp_path / "pq", None).findings
    assert _keys(a) == _keys(b) and a.num_rows == len(PLANTED_RULES)


def test_bad_extract_writes_nothing(extract: Path, tmp_path: Path) -> None:
    x = tmp_path / "x"
    shutil.copytree(extract, x)
    lines = pq.read_table(x / "claim_lines.parquet")
    bad = lines.set_column(
        lines.schema.get_field_index("units"),
        "units",
        pa.array([-1] + [1] * (lines.num_rows - 1), pa.int64()),
    )
    pq.write_table(bad, x / "claim_lines.parquet")
    out = tmp_path / "out"
    with pytest.raises(ExtractError, match=r"claim_lines.parquet, row 1, column 'units'"):
        run_audit(x, out)
    assert not out.exists()
    assert list(tmp_path.glob(".audit-*")) == []
    assert main(["audit", "run", "--input", str(x), "--out", str(out)]) == 2
    assert not out.exists()


def _final_claims(folder: Path) -> set[str]:
    """The original claims no other version points at (final as they are)."""
    headers = pq.read_table(folder / "claim_headers.parquet").to_pylist()
    adjusted = {h["original_claim_id"] for h in headers if h["original_claim_id"]}
    return {
        h["claim_id"]
        for h in headers
        if h["adjustment_indicator"] == "0" and h["claim_id"] not in adjusted
    }


def _final_pss_row(folder: Path) -> int:
    """A 0-based row of claim_lines that becomes a note: a peer-support line of an
    original claim no other version points at."""
    final = _final_claims(folder)
    lines = pq.read_table(folder / "claim_lines.parquet").select(["claim_id", "procedure_code"])
    for i, line in enumerate(lines.to_pylist()):
        if line["claim_id"] in final and line["procedure_code"] == "H0038":
            return i
    raise AssertionError("no final peer-support line")


@pytest.mark.parametrize("how", ["bits", "distinct"])
def test_a_line_number_repeated_in_a_claim_is_refused(
    extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Two lines of a claim with one number would be one note id counted twice by every
    join (spurious units over the cap): the extract is refused, the repeat named at its
    row; by the bit string and by counting distinct ids (beyond the bit string's size)."""
    if how == "distinct":
        monkeypatch.setattr("peerpath.integrity.claims._MOST_BITS", 0)
    x = tmp_path / "x"
    shutil.copytree(extract, x)
    row = _final_pss_row(x)
    lines = pq.read_table(x / "claim_lines.parquet")
    pq.write_table(pa.concat_tables([lines, lines.slice(row, 1)]), x / "claim_lines.parquet")
    claim = lines.column("claim_id")[row].as_py()
    number = lines.column("line_number")[row].as_py()
    out = tmp_path / "out"
    with pytest.raises(
        ExtractError,
        match=rf"claim_lines.parquet, row {lines.num_rows + 1}, column 'line_number': "
        rf"line {number} of claim '{claim}' appears twice \(first at row {row + 1}\)",
    ):
        run_audit(x, out)
    assert not out.exists()


def test_a_repeated_line_number_in_a_csv_extract_is_refused(tmp_path: Path) -> None:
    generate(tmp_path / "csv", lines=300, fmt="csv")
    generate(tmp_path / "pq", lines=300)
    row = _final_pss_row(tmp_path / "pq")  # the same extract, seeded alike
    path = tmp_path / "csv" / "claim_lines.csv"
    text = path.read_text().splitlines()
    path.write_text("\n".join([*text, text[row + 1]]) + "\n")
    with pytest.raises(
        ExtractError, match=rf"claim_lines.csv, row {len(text)}, column 'line_number'"
    ):
        run_audit(tmp_path / "csv", None)


def test_memory_limit_spills_to_a_folder_removed_with_the_run(
    extract: Path, result: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's memory is bounded (the default, an option, the environment); the run's
    temporary folder (spill files, the final lines as Parquet) goes with it; the findings
    do not depend on the limit; a limit that is no amount of memory is refused."""
    spill = tmp_path / "spill"
    monkeypatch.setenv("PEERPATH_AUDIT_TEMP", str(spill))
    small = run_audit(extract, None, memory_limit="100MB")
    assert small.summary["memory_limit"] == "100MB"
    assert list(spill.iterdir()) == []
    assert small.findings.equals(pq.read_table(result / "findings.parquet"))
    assert json.loads((result / "summary.json").read_text())["memory_limit"] == "2GB"
    monkeypatch.setenv("PEERPATH_AUDIT_MEMORY", "300MB")
    assert run_audit(extract, None).summary["memory_limit"] == "300MB"
    out = tmp_path / "out"
    with pytest.raises(AuditError, match="not an amount of memory"):
        run_audit(extract, out, memory_limit="lots")
    args = ["audit", "run", "--input", str(extract), "--out", str(out), "--memory-limit", "x"]
    assert main(args) == 2
    assert not out.exists()


def test_narrowed_rules_give_the_findings_of_rules_reading_every_row(tmp_path: Path) -> None:
    """Over a two-state extract with defects in the background, every rule run by the entry
    point for extracts: with each rule that judges a person by their own rows reading only
    the rows of the people its figures judge (Texas's cap over Texans' lines), the findings
    are those of every rule reading every row."""
    generate(tmp_path / "x", lines=3000, noise=0.05, planted=2, seed=7)
    packs = load_packs()
    prepared = prepare(read_extract(tmp_path / "x"), packs)
    notes = prepared.data["notes"]
    options = {
        "as_of": pc.max(notes.column("date")).as_py(),
        "period_start": pc.min(notes.column("date")).as_py(),
        "rules": list(REGISTRY.values()),
        "packs": packs,
        "note_units": prepared.note_units,
    }
    narrowed = EVALUATOR.run_extract(prepared.data, **options).table
    every_row = EVALUATOR.run_extract(prepared.data, narrow=False, **options).table
    prepared.close()
    assert narrowed.num_rows > 100
    assert len(set(narrowed.column("pack_id").to_pylist())) == 2
    assert narrowed.equals(every_row)


def test_runs_keep_compiled_statements_where_told(
    extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peerpath.integrity.run import COMPILED_ENV, compiled_folder

    monkeypatch.setenv(COMPILED_ENV, "off")
    assert compiled_folder() is None
    kept = tmp_path / "compiled"
    monkeypatch.setenv(COMPILED_ENV, str(kept))
    first = run_audit(extract, None)
    assert list(kept.glob("*.sql"))
    again = run_audit(extract, None)
    assert again.findings.equals(first.findings)


def test_rules_run_in_the_preparing_connection_and_leave_it_to_its_owner(extract: Path) -> None:
    """A claims run evaluates the rules in the DuckDB connection that prepared the tables
    (one memory limit; the lines stay there for the dollars): the findings are those of a
    session of its own, and the connection is left open, holding what the dollars read and
    none of the run's views, until the run closes it."""
    from peerpath.policy.engine import BatchSession

    packs = load_packs()
    prepared = prepare(read_extract(extract), packs)
    con = prepared.con
    assert con is not None

    def names() -> set[str]:
        rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return {str(r[0]) for r in rows}

    before = names()
    assert {"kept_paid", "kept_claims", "npis"} <= before and "pss" not in before
    notes = prepared.data["notes"]
    options = {
        "as_of": pc.max(notes.column("date")).as_py(),
        "rules": list(REGISTRY.values()),
        "packs": packs,
        "note_units": prepared.note_units,
    }
    shared = EVALUATOR.run_extract(prepared.data, session=BatchSession(con=con), **options)
    own = EVALUATOR.run_extract(prepared.data, **options)
    assert shared.table.num_rows > 0
    assert shared.table.equals(own.table)
    assert names() == before  # the run's views are gone; the connection is still open
    assert con.execute("SELECT count(*) FROM kept_paid").fetchone() == (notes.num_rows,)
    prepared.close()
    assert prepared.con is None
    with pytest.raises(Exception, match="closed"):
        con.execute("SELECT 1")


def test_run_command_names_every_file_it_wrote(
    extract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["audit", "run", "--input", str(extract), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    for path in out.iterdir():
        assert path.name in said


def test_diagnoses_are_numbered_by_claim_and_sequence_unless_that_repeats(
    extract: Path, tmp_path: Path
) -> None:
    """A claim's diagnoses get ids from its number and their sequence, in that order (no
    sort of every diagnosis); two of one claim with the same sequence would repeat an id,
    so they are numbered one after another instead. Every id is unique either way, and the
    findings do not change."""
    packs = load_packs()
    x = tmp_path / "x"
    shutil.copytree(extract, x)
    table = pq.read_table(x / "claim_diagnoses.parquet")
    final = pa.array(sorted(_final_claims(x)))
    second = table.filter(pc.is_in(table.column("claim_id"), final)).slice(0, 5)
    # ... five final claims get a second diagnosis, in scope
    second = second.set_column(
        second.schema.get_field_index("sequence"), "sequence", pa.array([2] * 5, pa.int64())
    ).set_column(second.schema.get_field_index("code"), "code", pa.array(["F42.2"] * 5))
    pq.write_table(pa.concat_tables([table, second]), x / "claim_diagnoses.parquet")
    prepared = prepare(read_extract(extract), packs)
    before = prepared.data["diagnoses"].num_rows
    prepared.close()
    prepared = prepare(read_extract(x), packs)
    dx = prepared.data["diagnoses"].to_pylist()
    prepared.close()
    ids = [d["diagnosis_id"] for d in dx]
    assert len(set(ids)) == len(ids) == before + 5
    assert max(ids) > len(ids)  # claim number x 2 + sequence: not one after another
    by_id = {d["diagnosis_id"]: d for d in dx}
    added = [d for d in dx if d["code"] == "F42.2"]
    assert len(added) == 5  # each next to its claim's first diagnosis (same claim dates)
    for d in added:
        first = by_id[d["diagnosis_id"] - 1]
        assert (first["person_id"], first["start"]) == (d["person_id"], d["start"])
        assert d["diagnosis_id"] % 2 == 0

    bad = tmp_path / "bad"
    shutil.copytree(extract, bad)
    table = pa.concat_tables([table, table.slice(0, 1)])  # a second diagnosis, same sequence
    pq.write_table(table, bad / "claim_diagnoses.parquet")
    prepared = prepare(read_extract(bad), packs)
    ids = prepared.data["diagnoses"].column("diagnosis_id").to_pylist()
    prepared.close()
    assert sorted(ids) == list(range(1, len(ids) + 1))
    assert _keys(run_audit(bad, None).findings) == _keys(run_audit(extract, None).findings)


def test_people_and_peers_take_their_latest_lines_claim(extract: Path, tmp_path: Path) -> None:
    """A beneficiary's payer, and a peer's agency (billing provider), are those of the claim
    of their latest final line: changing that claim's payer or billing provider moves them;
    changing an earlier claim's does not."""
    x = tmp_path / "x"
    shutil.copytree(extract, x)
    final = _final_claims(x)
    headers = pq.read_table(x / "claim_headers.parquet")
    lines = pq.read_table(x / "claim_lines.parquet").to_pylist()
    by_claim = {h["claim_id"]: h for h in headers.to_pylist()}
    mine = [ln for ln in lines if ln["claim_id"] in final and ln["procedure_code"] == "H0038"]
    # One beneficiary with lines on several days, and one peer.
    ben = max(
        {by_claim[ln["claim_id"]]["beneficiary_id"] for ln in mine},
        key=lambda b: len(
            {ln["service_date"] for ln in mine if by_claim[ln["claim_id"]]["beneficiary_id"] == b}
        ),
    )
    ben_lines = sorted(
        (ln for ln in mine if by_claim[ln["claim_id"]]["beneficiary_id"] == ben),
        key=lambda ln: ln["service_date"],
    )
    peer = ben_lines[-1]["rendering_npi"]
    peer_last = max(
        (ln for ln in mine if ln["rendering_npi"] == peer), key=lambda ln: ln["service_date"]
    )
    assert ben_lines[0]["service_date"] < ben_lines[-1]["service_date"]

    def people_and_staff(changes: dict[str, dict[str, str]]) -> tuple[dict, dict]:
        rows = headers.to_pylist()
        for r in rows:
            r.update(changes.get(r["claim_id"], {}))
        pq.write_table(
            pa.Table.from_pylist(rows, schema=headers.schema), x / "claim_headers.parquet"
        )
        prepared = prepare(read_extract(x), load_packs())
        people = {r["medicaid_id"]: r for r in prepared.data["people"].to_pylist()}
        staff = {r["staff_id"]: r for r in prepared.data["staff"].to_pylist()}
        prepared.close()
        return people, staff

    people, _ = people_and_staff({})
    payers = len({p["payer_id"] for p in people.values()})
    people, _ = people_and_staff({ben_lines[0]["claim_id"]: {"payer": "ZZZ EARLIER"}})
    assert len({p["payer_id"] for p in people.values()}) == payers  # not anyone's payer
    people, _ = people_and_staff({ben_lines[-1]["claim_id"]: {"payer": "ZZZ LATEST"}})
    assert people[ben]["payer_id"] == max(p["payer_id"] for p in people.values())
    assert sum(p["payer_id"] == people[ben]["payer_id"] for p in people.values()) == 1
    assert len({p["payer_id"] for p in people.values()}) == payers + 1
    _, staff = people_and_staff({peer_last["claim_id"]: {"billing_npi": "9999999991"}})
    top = max(s["agency_id"] for s in staff.values())
    assert [s for s in staff.values() if s["agency_id"] == top]  # the new provider's peer
    npis = sorted({ln["rendering_npi"] for ln in mine})
    assert staff[npis.index(peer) + 1]["agency_id"] == top


def test_findings_are_listed_in_the_engines_order(result: Path) -> None:
    """The engine leaves the audit's findings unordered and the dollars' statement orders
    them: the file lists them as `Findings.sorted` would."""
    from peerpath.policy.findings import ORDER

    findings = pq.read_table(result / "findings.parquet")
    assert findings.num_rows > 10
    assert findings.equals(findings.sort_by([(c, "ascending") for c in ORDER]))


@pytest.mark.parametrize("fault", ["claim given twice", "line of no claim"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_run_checks_the_claims_keys_while_mapping(tmp_path: Path, fault: str, fmt: str) -> None:
    """`audit run` leaves the claims' keys to the mapping (cheaper), which still refuses a
    final claim's number given twice and a peer-support line whose claim is not in the
    headers, naming the file, row and column as the reader does; nothing is written."""
    generate(tmp_path / "pq", lines=300)
    final = sorted(_final_claims(tmp_path / "pq"))
    headers = pq.read_table(tmp_path / "pq" / "claim_headers.parquet")
    lines = pq.read_table(tmp_path / "pq" / "claim_lines.parquet")
    if fault == "claim given twice":
        row = headers.column("claim_id").to_pylist().index(final[3])
        headers = pa.concat_tables([headers, headers.slice(row, 1)])
        expect = rf"claim_headers.{fmt}, row {row + 1}, column 'claim_id': claim number"
    else:
        row = _final_pss_row(tmp_path / "pq")
        ids = lines.column("claim_id").to_pylist()
        ids[row] = "NOPE"
        lines = lines.set_column(
            lines.schema.get_field_index("claim_id"), "claim_id", pa.array(ids, pa.string())
        )
        expect = rf"claim_lines.{fmt}, row {row + 1}, column 'claim_id': claim 'NOPE' is not"
    x = tmp_path / "x"
    x.mkdir()
    for path in (tmp_path / "pq").glob("*.parquet"):
        table = {"claim_headers": headers, "claim_lines": lines}.get(path.stem, pq.read_table(path))
        if fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, x / f"{path.stem}.csv")
        else:
            pq.write_table(table, x / path.name)
    assert not read_extract(x, keys=False).keys_checked  # the reader let it through
    out = tmp_path / "out"
    with pytest.raises(ExtractError, match=expect):
        run_audit(x, out)
    assert not out.exists()
    with pytest.raises(ExtractError, match=expect):  # the reader's full check agrees
        read_extract(x)
