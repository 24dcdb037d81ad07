"""Findings: an Arrow table, one row per finding, until they are shown.

Every finding names the rule, the pack and contract variant that judged it, the category
and severity, the subject (record type and id, person, staff, date), the evidence (values
only), the figure that switched the rule on (`cite_*`, which may be a contract's override)
and the rule's legal basis (`basis_*`). `Findings.objects()` turns rows into `Finding`
objects for a page or the CLI; counting, filtering and grouping stay columnar.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_S, _ID, _D = pa.string(), pa.int64(), pa.date32()

FINDINGS_SCHEMA = pa.schema(
    [
        ("rule_id", _S),
        ("pack_id", _S),
        ("variant", _S),
        ("contract", _S),
        ("category", _S),
        ("severity", _S),
        ("subject_type", _S),
        ("subject_id", _ID),
        ("person_id", _ID),
        ("staff_id", _ID),
        ("date", _D),
        ("evidence", _S),
        ("cite_parameter", _S),
        ("cite_value", _S),  # JSON
        ("cite_source", _S),
        ("cite_ref", _S),
        ("cite_section", _S),
        ("cite_confidence", _S),
        ("cite_origin", _S),
        ("cite_note", _S),
        ("basis_parameter", _S),
        ("basis_source", _S),
        ("basis_ref", _S),
        ("basis_section", _S),
        ("basis_confidence", _S),
    ]
)

# Made once: Arrow takes milliseconds to make an empty table.
_NO_FINDINGS = FINDINGS_SCHEMA.empty_table()
# Business identifiers a display adds beside the database ids (see checks.identify).
# How a citation says its figure is only assumed, everywhere it is shown.
ASSUMED_WORDS = "no source states this figure; an administrator must confirm it"
IDENTIFIER_COLUMNS = ("medicaid_id", "note_number", "claim_number", "authorization_number")


@dataclass(frozen=True)
class Citation:
    parameter: str
    value: object
    source: str
    ref: str
    section: str
    confidence: str
    origin: str
    note: str = ""

    @property
    def assumed(self) -> bool:
        """No source states this figure: a placeholder an administrator must confirm."""
        return self.confidence == "assumed"

    def short(self) -> str:
        """Source, section and confidence, as every page and message shows a citation; a
        figure no source states says so in words, wherever it is used."""
        if self.assumed:
            return f"{self.source}, {self.section} (assumed: {ASSUMED_WORDS})"
        return f"{self.source}, {self.section} ({self.confidence})"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    pack_id: str
    title: str
    category: str
    severity: str
    subject_type: str
    subject_id: int
    person_id: int | None
    staff_id: int | None
    date: dt.date | None
    evidence: str
    citation: Citation
    explanation: str
    fix: str
    basis: Citation | None = None
    variant: str = ""
    contract: str | None = None
    identifiers: Mapping[str, str] | None = None

    @property
    def assumed(self) -> bool:
        return self.citation.assumed or (self.basis is not None and self.basis.assumed)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Citation):
                value = {c.name: _jsonable(getattr(value, c.name)) for c in fields(Citation)}
            elif isinstance(value, Mapping):
                value = dict(value)
            data[f.name] = value
        data["date"] = self.date.isoformat() if self.date else None
        data["assumed"] = self.assumed
        for name in IDENTIFIER_COLUMNS:
            data[name] = (self.identifiers or {}).get(name)
        data.pop("identifiers")
        return data


def _jsonable(value: object) -> object:
    """Pack values are frozen (tuples, read-only mappings); give JSON plain lists and dicts."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


def to_json(value: object) -> str:
    return json.dumps(_jsonable(value), sort_keys=True)


# The order findings are listed in (`Findings.sorted`; nulls last): by date, rule and
# subject; ties (one staff member short of several trainings on a day) by their words, so
# the live and batch engines list them in the same order.
ORDER = ("date", "rule_id", "subject_type", "subject_id", "variant", "evidence")


class Findings:
    """Findings as an Arrow table (`table`), with the few columnar operations callers need;
    `objects()` makes Python objects only for what is shown."""

    def __init__(self, table: pa.Table | None = None) -> None:
        self.table = table if table is not None else _NO_FINDINGS

    @classmethod
    def concat(cls, parts: Sequence[pa.Table]) -> Findings:
        if not parts:
            return cls()
        table = pa.concat_tables(
            [p.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA) for p in parts]
        )
        return cls(table)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.objects())

    def where(self, mask: pa.ChunkedArray | pa.Array) -> Findings:
        return Findings(self.table.filter(mask))

    def about_people(self, person_ids: Sequence[int]) -> Findings:
        """Findings about these people, and those about no person (a staff member's)."""
        col = self.table.column("person_id")
        keep = pc.or_(pc.is_in(col, value_set=pa.array(list(person_ids), _ID)), pc.is_null(col))
        return self.where(keep)

    def severity(self, *levels: str) -> Findings:
        return self.where(pc.is_in(self.table.column("severity"), value_set=pa.array(levels, _S)))

    def rules(self, *rule_ids: str) -> Findings:
        return self.where(pc.is_in(self.table.column("rule_id"), value_set=pa.array(rule_ids, _S)))

    def since(self, day: dt.date) -> Findings:
        col = self.table.column("date")
        return self.where(pc.or_(pc.is_null(col), pc.greater_equal(col, pa.scalar(day, _D))))

    def sorted(self) -> Findings:
        return Findings(self.table.sort_by([(c, "ascending") for c in ORDER]))

    def counts(self) -> dict[str, int]:
        """Findings per rule id."""
        grouped = self.table.group_by("rule_id").aggregate([("rule_id", "count")])
        return dict(
            zip(
                grouped.column("rule_id").to_pylist(),
                grouped.column("rule_id_count").to_pylist(),
                strict=True,
            )
        )

    def with_columns(self, columns: Mapping[str, pa.Array]) -> Findings:
        table = self.table
        for name, col in columns.items():
            table = table.append_column(name, col)
        return Findings(table)

    def objects(self) -> list[Finding]:
        from .rules.base import REGISTRY

        out: list[Finding] = []
        idents = [n for n in IDENTIFIER_COLUMNS if n in self.table.column_names]
        for row in self.table.to_pylist():
            rule = REGISTRY.get(row["rule_id"])
            citation = Citation(
                parameter=row["cite_parameter"] or "",
                value=json.loads(row["cite_value"]) if row["cite_value"] else None,
                source=row["cite_source"] or "",
                ref=row["cite_ref"] or "",
                section=row["cite_section"] or "",
                confidence=row["cite_confidence"] or "",
                origin=row["cite_origin"] or "",
                note=row["cite_note"] or "",
            )
            basis = None
            if row["basis_source"]:
                basis = Citation(
                    parameter=row["basis_parameter"] or "",
                    value=None,
                    source=row["basis_source"],
                    ref=row["basis_ref"] or "",
                    section=row["basis_section"] or "",
                    confidence=row["basis_confidence"] or "",
                    origin="",
                )
            out.append(
                Finding(
                    rule_id=row["rule_id"],
                    pack_id=row["pack_id"],
                    title=rule.title if rule else row["rule_id"],
                    category=row["category"],
                    severity=row["severity"],
                    subject_type=row["subject_type"],
                    subject_id=row["subject_id"],
                    person_id=row["person_id"],
                    staff_id=row["staff_id"],
                    date=row["date"],
                    evidence=row["evidence"],
                    citation=citation,
                    explanation=rule.explanation if rule else "",
                    fix=rule.fix if rule else "",
                    basis=basis,
                    variant=row["variant"] or "",
                    contract=row["contract"],
                    identifiers={n: row[n] for n in idents if row[n]} or None,
                )
            )
        return out
