"""Synthetic claims-tier extracts of any size, generated columnar (DuckDB), with planted
defects of every claims-tier rule and a list of what was planted (`expected.parquet`).

The background is clean by construction: Texas and North Carolina beneficiaries, two
peer-support lines a month each over one year (2025-07-01 to 2026-06-30), at most 4 units
a line (48 units in any 6 months, under Texas's 104), in office, home or community, by
certified peer specialists, with a mental-health or substance-use diagnosis and (in NC) an
authorization with units to spare. Each planted case is a beneficiary of its own whose
claims break exactly one rule once; the decoys are defects that a void or a replacement
took back, which a run must not report.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from peerpath.core.codes import npi_with_check_digit

from .formats import CLAIMS_TIER

START = dt.date(2025, 7, 1)
END = dt.date(2026, 6, 30)  # the as-of date of a run over a generated extract
AGENCIES = 40
STAFF_PER_AGENCY = 25
RATE = 12.5  # paid per unit
CHARGE = 15.0  # charged per unit

# The rules the planted cases break (one finding each), and the pack that judges them.
PLANTED_RULES = (
    "UNITS.CAP",
    "ELIG.MIN_AGE",
    "NOTE.MODALITY_ALLOWED",
    "NOTE.SETTING_ALLOWED",
    "ELIG.DIAGNOSIS_IN_SCOPE",
    "CREDENTIAL.CURRENT",
    "AUTH.UNITS_EXCEEDED",
)

# What was planted, in the extract folder (the reader skips files named with a leading "_").
EXPECTED = "_expected.parquet"
EXPECTED_SCHEMA = pa.schema(
    [
        ("rule_id", pa.string()),
        ("beneficiary_id", pa.string()),
        ("claim_id", pa.string()),  # the line's claim, for findings about a line
        ("line_number", pa.int64()),
        ("subject_type", pa.string()),
    ]
)


def _npi(n: int) -> str:
    return npi_with_check_digit(f"1{n:08d}")


def _background_sql(beneficiaries: int, noise: float = 0.0, seed: int = 1) -> dict[str, str]:
    months = "SELECT range AS mo FROM range(12)"
    bens = f"SELECT range AS ben FROM range({beneficiaries})"
    claim = "'C' || lpad(ben::VARCHAR, 9, '0') || lpad(mo::VARCHAR, 2, '0')"  # one claim a month
    month_start = f"(DATE '{START.isoformat()}' + to_months(mo::INTEGER))::DATE"
    texas = "ben % 2 = 0"

    def chance(salt: int) -> str:
        return f"(hash(ben, mo, line, {seed}, {salt}) % 1000000 < {int(noise * 1_000_000)})"

    # With `noise`, some background lines break rules too (for differential tests and
    # benchmarks with many findings): a telehealth modifier, an emergency department,
    # many units.
    units = (
        f"(CASE WHEN {chance(1)} THEN 60 + (hash(ben, mo, line) % 40)"
        " ELSE 1 + ((ben * 7 + mo * 3 + line) % 4) END)::BIGINT"
    )
    modifier = f"CASE WHEN {chance(2)} THEN 'GT' END"
    pos = f"CASE WHEN {chance(3)} THEN '23' ELSE ['11', '12', '99'][1 + (ben + mo + line) % 3] END"
    return {
        "claim_headers": f"""
            SELECT {claim} AS claim_id, NULL::VARCHAR AS original_claim_id,
                NULL::VARCHAR AS adjustment_claim_id, '0' AS adjustment_indicator,
                ({month_start} + 32)::DATE AS adjudication_date,
                'M' || lpad(ben::VARCHAR, 9, '0') AS beneficiary_id,
                a.npi AS billing_npi,
                CASE WHEN {texas} THEN 'TX-MEDICAID' ELSE 'NC-MCO-1' END AS payer,
                CASE WHEN {texas} THEN 'TX' ELSE 'NC' END AS state,
                ({month_start} + 4)::DATE AS service_from,
                ({month_start} + 18)::DATE AS service_to,
                NULL::DOUBLE AS charged, NULL::DOUBLE AS paid
            FROM ({bens}) CROSS JOIN ({months}) JOIN agencies a ON a.i = ben % {AGENCIES}""",
        "claim_lines": f"""
            SELECT {claim} AS claim_id, line::BIGINT AS line_number,
                ({month_start} + CASE WHEN line = 1 THEN 4 ELSE 18 END)::DATE AS service_date,
                'H0038' AS procedure_code, {modifier} AS modifier_1,
                NULL::VARCHAR AS modifier_2, NULL::VARCHAR AS modifier_3,
                NULL::VARCHAR AS modifier_4, {units} AS units,
                {pos} AS place_of_service,
                s.npi AS rendering_npi,
                ({units} * {CHARGE})::DOUBLE AS charged, ({units} * {RATE})::DOUBLE AS paid
            FROM ({bens}) CROSS JOIN ({months}) CROSS JOIN (SELECT range AS line FROM range(1, 3))
            JOIN staff s ON s.i = (ben % {AGENCIES}) * {STAFF_PER_AGENCY}
                + (ben // {AGENCIES}) % {STAFF_PER_AGENCY}""",
        "claim_diagnoses": f"""
            SELECT {claim} AS claim_id, 'M' || lpad(ben::VARCHAR, 9, '0') AS beneficiary_id,
                1::BIGINT AS sequence, CASE WHEN ben % 5 = 1 THEN 'F11.20' ELSE 'F33.1' END AS code
            FROM ({bens}) CROSS JOIN ({months})""",
        "eligibility": f"""
            SELECT 'M' || lpad(ben::VARCHAR, 9, '0') AS beneficiary_id,
                DATE '2024-01-01' AS start, NULL::DATE AS "end",
                (DATE '1960-03-15' + to_days((ben % 14000)::INTEGER))::DATE AS date_of_birth,
                CASE WHEN {texas} THEN 'TX' ELSE 'NC' END AS state
            FROM ({bens})""",
        "prior_authorizations": f"""
            SELECT 'PA' || lpad(ben::VARCHAR, 9, '0') AS auth_number,
                'M' || lpad(ben::VARCHAR, 9, '0') AS beneficiary_id, 'approved' AS status,
                DATE '{START.isoformat()}' AS start, DATE '{END.isoformat()}' AS "end",
                200::BIGINT AS units_approved, 'initial' AS kind,
                DATE '2025-06-15' AS requested_on
            FROM ({bens}) WHERE NOT ({texas})""",
        "provider_credentials": f"""
            SELECT npi, DATE '2020-01-01' AS start, DATE '2030-12-31' AS "end"
            FROM staff WHERE i < {AGENCIES * STAFF_PER_AGENCY}""",
    }


@dataclass
class _Planted:
    """Rows of the planted cases, file by file, and what a run must find."""

    rows: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {name: [] for name in CLAIMS_TIER if name != "other_service_lines"}
    )
    expected: list[dict[str, object]] = field(default_factory=list)
    next_staff: int = 0
    peer: str = ""  # the certified peer who gives the planted cases' services

    def __post_init__(self) -> None:
        self.peer = self.staff()

    def staff(self, start: dt.date = dt.date(2020, 1, 1), end: dt.date | None = None) -> str:
        npi = _npi(900_000 + self.next_staff)
        self.next_staff += 1
        self.rows["provider_credentials"].append({"npi": npi, "start": start, "end": end})
        return npi

    def person(self, ben: str, state: str, *, born: dt.date = dt.date(1980, 5, 1)) -> None:
        self.rows["eligibility"].append(
            {
                "beneficiary_id": ben,
                "start": dt.date(2024, 1, 1),
                "end": None,
                "date_of_birth": born,
                "state": state,
            }
        )

    def claim(
        self,
        ben: str,
        state: str,
        claim_id: str,
        lines: list[dict[str, object]],
        *,
        indicator: str = "0",
        original: str | None = None,
        adjudicated: dt.date | None = None,
        dx: str = "F33.1",
    ) -> None:
        days = [line["service_date"] for line in lines]
        first, last = min(days), max(days)  # type: ignore[type-var]
        assert isinstance(first, dt.date) and isinstance(last, dt.date)
        self.rows["claim_headers"].append(
            {
                "claim_id": claim_id,
                "original_claim_id": original,
                "adjustment_claim_id": claim_id if original else None,
                "adjustment_indicator": indicator,
                "adjudication_date": adjudicated or last + dt.timedelta(days=20),
                "beneficiary_id": ben,
                "billing_npi": _npi(0),
                "payer": "TX-MEDICAID" if state == "TX" else "NC-MCO-1",
                "state": state,
                "service_from": first,
                "service_to": last,
                "charged": None,
                "paid": None,
            }
        )
        for n, line in enumerate(lines, start=1):
            units = int(line.get("units", 2))  # type: ignore[call-overload]
            self.rows["claim_lines"].append(
                {
                    "claim_id": claim_id,
                    "line_number": n,
                    "service_date": line["service_date"],
                    "procedure_code": "H0038",
                    "modifier_1": line.get("modifier"),
                    "modifier_2": None,
                    "modifier_3": None,
                    "modifier_4": None,
                    "units": units,
                    "place_of_service": line.get("pos", "11"),
                    "rendering_npi": line.get("npi", self.peer),
                    "charged": units * CHARGE,
                    "paid": units * RATE,
                }
            )
        self.rows["claim_diagnoses"].append(
            {"claim_id": claim_id, "beneficiary_id": ben, "sequence": 1, "code": dx}
        )

    def expect(
        self,
        rule_id: str,
        ben: str,
        subject: str,
        claim: str | None = None,
        line: int | None = None,
    ) -> None:
        self.expected.append(
            {
                "rule_id": rule_id,
                "beneficiary_id": ben,
                "claim_id": claim,
                "line_number": line,
                "subject_type": subject,
            }
        )


def _plant(p: _Planted, k: int) -> None:
    """Copy `k` of every planted case and decoy."""
    day = dt.date(2025, 8, 4)
    tag = f"{k:04d}"

    # UNITS.CAP (Texas, 104 units in any 6 months): 13 weekly lines of 8 units reach the cap,
    # the 14th goes over it.
    ben = f"PCAP{tag}"
    p.person(ben, "TX")
    for w in range(14):
        p.claim(
            ben,
            "TX",
            f"K{tag}CAP{w:02d}",
            [{"service_date": day + dt.timedelta(weeks=w), "units": 8}],
        )
    p.expect("UNITS.CAP", ben, "note", f"K{tag}CAP13", 1)

    # ELIG.MIN_AGE (Texas, 21): 19 years old at service.
    ben = f"PAGE{tag}"
    p.person(ben, "TX", born=dt.date(2006, 1, 10))
    p.claim(
        ben,
        "TX",
        f"K{tag}AGE",
        [{"service_date": day}, {"service_date": day + dt.timedelta(days=7)}],
    )
    p.expect("ELIG.MIN_AGE", ben, "person")

    # NOTE.MODALITY_ALLOWED (Texas allows in person only): a telehealth modifier.
    ben = f"PMOD{tag}"
    p.person(ben, "TX")
    p.claim(
        ben,
        "TX",
        f"K{tag}MOD",
        [{"service_date": day}, {"service_date": day + dt.timedelta(days=9), "modifier": "GT"}],
    )
    p.expect("NOTE.MODALITY_ALLOWED", ben, "note", f"K{tag}MOD", 2)

    # NOTE.SETTING_ALLOWED (Texas: home, community, office): an emergency department.
    ben = f"PPOS{tag}"
    p.person(ben, "TX")
    p.claim(ben, "TX", f"K{tag}POS", [{"service_date": day, "pos": "23"}])
    p.expect("NOTE.SETTING_ALLOWED", ben, "note", f"K{tag}POS", 1)

    # ELIG.DIAGNOSIS_IN_SCOPE: no mental-health or substance-use diagnosis on the claims.
    ben = f"PDX{tag}"
    p.person(ben, "TX")
    p.claim(ben, "TX", f"K{tag}DX", [{"service_date": day}], dx="Z59.00")
    p.expect("ELIG.DIAGNOSIS_IN_SCOPE", ben, "person")

    # CREDENTIAL.CURRENT: the peer's certification ended before the service.
    ben = f"PCRED{tag}"
    p.person(ben, "NC")
    lapsed = p.staff(end=dt.date(2025, 9, 30))
    auth = {
        "auth_number": f"PAC{tag}",
        "beneficiary_id": ben,
        "status": "approved",
        "start": START,
        "end": END,
        "units_approved": 100,
        "kind": "initial",
        "requested_on": dt.date(2025, 6, 1),
    }
    p.rows["prior_authorizations"].append(auth)
    p.claim(
        ben,
        "NC",
        f"K{tag}CRED",
        [
            {"service_date": dt.date(2025, 9, 15), "npi": lapsed},
            {"service_date": dt.date(2025, 10, 15), "npi": lapsed},
        ],
    )
    p.expect("CREDENTIAL.CURRENT", ben, "note", f"K{tag}CRED", 2)

    # AUTH.UNITS_EXCEEDED (NC, prior approval): 24 units used of 20 approved.
    ben = f"PAUTH{tag}"
    p.person(ben, "NC")
    p.rows["prior_authorizations"].append(
        {**auth, "auth_number": f"PAU{tag}", "beneficiary_id": ben, "units_approved": 20}
    )
    for w in range(6):
        p.claim(
            ben, "NC", f"K{tag}AU{w}", [{"service_date": day + dt.timedelta(weeks=w), "units": 4}]
        )
    p.expect("AUTH.UNITS_EXCEEDED", ben, "authorization")

    # Decoys. A telehealth line whose claim was voided.
    ben = f"PVOID{tag}"
    p.person(ben, "TX")
    p.claim(ben, "TX", f"K{tag}VO", [{"service_date": day, "modifier": "GT"}])
    p.claim(
        ben,
        "TX",
        f"K{tag}VO-V",
        [{"service_date": day, "modifier": "GT"}],
        indicator="1",
        original=f"K{tag}VO",
        adjudicated=day + dt.timedelta(days=40),
    )
    # An emergency-department line replaced by an office one, and 30 units replaced by 3.
    ben = f"PREPL{tag}"
    p.person(ben, "TX")
    p.claim(ben, "TX", f"K{tag}RE", [{"service_date": day, "pos": "23", "units": 30}] * 4)
    p.claim(
        ben,
        "TX",
        f"K{tag}RE-A",
        [{"service_date": day, "pos": "11", "units": 3}],
        indicator="4",
        original=f"K{tag}RE",
        adjudicated=day + dt.timedelta(days=30),
    )


def generate(
    out: Path,
    *,
    lines: int,
    seed: int = 1,
    planted: int = 1,
    fmt: str = "parquet",
    noise: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write a claims-tier extract of about `lines` background lines plus `planted` copies of
    every planted case and decoy into `out` (created). Returns rows per file.

    `seed` varies the background's agencies and peers (the same seed gives the same files);
    `noise` is the share of background lines given a defect each (not in `_expected`)."""
    say = progress or (lambda _: None)
    out.mkdir(parents=True, exist_ok=True)
    beneficiaries = max(1, math.ceil(lines / 24))
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        agencies = pa.table(
            {"i": list(range(AGENCIES)), "npi": [_npi(seed * 10_000 + i) for i in range(AGENCIES)]}
        )
        n_staff = AGENCIES * STAFF_PER_AGENCY
        staff = pa.table(
            {
                "i": list(range(n_staff)),
                "npi": [_npi(seed * 10_000 + 1000 + i) for i in range(n_staff)],
            }
        )
        con.register("agencies", agencies)
        con.register("staff", staff)
        p = _Planted()
        for k in range(planted):
            _plant(p, k)
        counts: dict[str, int] = {}
        for name, sql in _background_sql(beneficiaries, noise, seed).items():
            say(f"writing {name}")
            fmt_schema = CLAIMS_TIER[name].schema
            extra = pa.Table.from_pylist(p.rows[name], schema=fmt_schema)
            con.register("planted_rows", extra)
            cols = ", ".join(f'"{c}"' for c in fmt_schema.names)
            query = f"SELECT {cols} FROM ({sql}) UNION ALL SELECT {cols} FROM planted_rows"
            target = out / f"{name}.{fmt}"
            options = (
                "FORMAT parquet, ROW_GROUP_SIZE 1000000"
                if fmt == "parquet"
                else "FORMAT csv, HEADER"
            )
            written = con.execute(f"COPY ({query}) TO '{target}' ({options})").fetchall()
            counts[name] = int(written[0][0]) if written else 0
            con.unregister("planted_rows")
        pq.write_table(pa.Table.from_pylist(p.expected, schema=EXPECTED_SCHEMA), out / EXPECTED)
        return counts
    finally:
        con.close()
