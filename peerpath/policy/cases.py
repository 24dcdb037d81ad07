"""Table-driven test cases for rules, one YAML file per rule under `cases/`.

A case names a pack, an "as of" date, a few table rows and the findings it expects
(as "subject_type:subject_id" strings). Missing columns are null; rows referring to a
person or staff member that the case does not list get a default row in the pack's state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from peerpath.policy.tables import SCHEMAS, rows_to_table

CASES_DIRECTORY = Path(__file__).parent / "cases"

# Defaults that make a row ordinary, so a case only spells out what it is about.
ROW_DEFAULTS: Mapping[str, Mapping[str, object]] = {
    "people": {"agency_id": 1, "date_of_birth": dt.date(1980, 1, 1)},
    "staff": {"agency_id": 1, "role": "cpss", "hire_date": dt.date(2015, 1, 5)},
    "notes": {
        "staff_id": 1,
        "start_min": 600,
        "end_min": 645,
        "modality": "in_person",
        "setting": "community",
        "kind": "individual",
        "activity": "peer_mentoring",
        "status": "signed",
    },
    "plans": {"version": 1, "status": "active", "has_crisis_plan": True},
    "authorizations": {"kind": "initial", "status": "approved"},
    "supervisor_contacts": {"kind": "face_to_face", "supervisor_id": 100},
    "assessments": {"medical_necessity": True, "no_alternative": True},
}


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    pack: str
    as_of: dt.date
    tables: dict[str, list[dict[str, Any]]]
    expect: frozenset[str]
    file: Path
    since: dt.date | None = None  # the audit period's first day (default: the pack's start)

    def data(self, jurisdiction: str) -> dict[str, pa.Table]:
        rows = {
            name: [dict(ROW_DEFAULTS.get(name, {}), **r) for r in rs]
            for name, rs in self.tables.items()
        }
        for name in rows:
            if name not in SCHEMAS:
                raise ValueError(f"{self.file.name} case {self.name!r}: unknown table {name!r}")
        _add_missing(rows, "people", "person_id", {"state": jurisdiction})
        _add_missing(rows, "staff", "staff_id", {"state": jurisdiction})
        try:
            return {name: rows_to_table(name, rs) for name, rs in rows.items()}
        except (ValueError, pa.ArrowException) as exc:
            raise ValueError(f"{self.file.name} case {self.name!r}: {exc}") from exc


def _add_missing(
    rows: dict[str, list[dict[str, Any]]], table: str, key: str, extra: dict[str, object]
) -> None:
    listed = {r.get(key) for r in rows.get(table, [])}
    for r in rows.get(table, []):
        r.setdefault("state", extra["state"])
    referenced = {
        r[key] for name, rs in rows.items() if name != table for r in rs if r.get(key) is not None
    }
    if table == "staff":
        referenced |= {r["supervisor_id"] for r in rows.get("supervision", [])}
        referenced |= {r["supervisor_id"] for r in rows.get("supervisor_contacts", [])}
    for missing in sorted(referenced - listed):
        rows.setdefault(table, []).append(
            dict(ROW_DEFAULTS.get(table, {}), **{key: missing}, **extra)
        )


def load_cases(directory: Path = CASES_DIRECTORY) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or "rule" not in raw or "cases" not in raw:
            raise ValueError(f"{path.name}: needs 'rule' and 'cases'")
        for i, c in enumerate(raw["cases"], start=1):
            try:
                cases.append(
                    Case(
                        rule=str(raw["rule"]),
                        name=str(c["name"]),
                        pack=str(c["pack"]),
                        as_of=c["as_of"],
                        tables=dict(c.get("tables") or {}),
                        expect=frozenset(str(x) for x in (c.get("expect") or [])),
                        file=path,
                        since=c.get("since"),
                    )
                )
            except KeyError as exc:
                raise ValueError(f"{path.name} case {i}: missing {exc}") from exc
    return cases
