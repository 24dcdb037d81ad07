"""Evaluate a pack's rules over tables and return findings.

Rules are compiled once per set of parameter values (ibis), cached, and run on whatever
tables are loaded: the whole agency in a batch audit on DuckDB (columnar, every core), or
one person's rows while a note is written on an in-memory SQLite (a few hundred rows, where
DuckDB's fixed cost per statement would dominate). A pack's period is cut where any
parameter a rule reads changes, so each stretch of dates is judged by the figures in force
then.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from peerpath.policy import rules as _rules  # noqa: F401  (registers the rules)
from peerpath.policy.parameters import Pack, ParameterNotFound
from peerpath.policy.rules.base import FINDING_COLUMNS, REGISTRY, Params, Rule
from peerpath.policy.sqlite import SQLITE_COMPILER, sqlite_connection
from peerpath.policy.tables import SCHEMAS, SQL_SCHEMAS, Tables, derive


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

    def short(self) -> str:
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

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies pack values, which are read-only mappings.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["date"] = self.date.isoformat() if self.date else None
        data["citation"] = {f.name: getattr(self.citation, f.name) for f in fields(Citation)}
        data["citation"]["value"] = _jsonable(self.citation.value)
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


def citation_for(pack: Pack, key: str, on: dt.date) -> Citation:
    entry = pack.entry(key, on)
    return Citation(
        parameter=key,
        value=entry.value,
        source=entry.source.title,
        ref=entry.source.ref,
        section=entry.section,
        confidence=entry.confidence,
        origin=entry.origin,
        note=entry.note,
    )


class Evaluator:
    """Holds the compiled-SQL cache; one per process is enough."""

    def __init__(self) -> None:
        self._tables = Tables()
        self._sql: dict[tuple[str, str, str], str] = {}

    def sql_for(self, rule: Rule, params: Params, dialect: str = "duckdb") -> str:
        """The rule's SQL for these parameter values, in "duckdb" or "sqlite"."""
        key = (dialect, rule.id, repr(sorted((k, repr(v)) for k, v in params.items())))
        sql = self._sql.get(key)
        if sql is None:
            expr = rule.build(self._tables, params)
            if tuple(expr.columns) != FINDING_COLUMNS:
                raise ValueError(f"rule {rule.id} returns {expr.columns}, not {FINDING_COLUMNS}")
            if dialect == "sqlite":
                sql = SQLITE_COMPILER.to_sqlglot(expr.unbind()).sql(dialect="sqlite")
            else:
                sql = str(ibis.to_sql(expr, dialect="duckdb"))
            self._sql[key] = sql
        return sql

    def warm(self, packs: Iterable[Pack], on: dt.date) -> int:
        """Compile every rule of the packs in force on `on`, so the first live check after a
        start does not pay for it. Returns how many statements were compiled."""
        count = 0
        for pack in packs:
            if not pack.covers(on):
                continue
            for rule in REGISTRY.values():
                if any(k not in pack.parameters for k in rule.params):
                    continue
                entries = {k: pack.param(k).entry(on) for k in rule.params}
                if any(e is None for e in entries.values()):
                    continue
                params = Params({k: e.value for k, e in entries.items() if e is not None})
                if rule.applies(params):
                    self.sql_for(rule, params)
                    self.sql_for(rule, params, "sqlite")
                    count += 1
        return count

    def evaluate(
        self,
        pack: Pack,
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        period_start: dt.date | None = None,
        rules: Iterable[Rule] | None = None,
        people: Collection[int] | None = None,
        live: bool = False,
    ) -> list[Finding]:
        """Findings of `pack` over `data` from `period_start` (or the pack's start) to
        `as_of`. `people` narrows the people judged (a contract's own pack variant).

        `live` is for small slices checked while someone types: an in-memory SQLite kept
        per thread, whose statements are compiled once, so a check costs execution only."""
        lo = max(pack.start, period_start or pack.start)
        hi = min(pack.end or as_of, as_of)
        if hi < lo:
            return []
        context = pa.table({"as_of": [as_of], "period_start": [lo]}, schema=SCHEMAS["context"])
        session = _live_session() if live else _BatchSession()
        try:
            session.load(derive({**data, "context": context}))
            in_scope = _scope(pack, data)
            if people is not None:
                in_scope.people &= set(people)
            findings: list[Finding] = []
            for rule in rules if rules is not None else REGISTRY.values():
                if any(
                    data.get(name) is not None and data[name].num_rows == 0 for name in rule.needs
                ):
                    continue  # the rule can only fire on rows of a table this data lacks
                findings.extend(self._run(session, pack, rule, lo, hi, in_scope))
            return sorted(findings, key=_order)
        finally:
            session.close()

    def _run(
        self,
        session: _Session,
        pack: Pack,
        rule: Rule,
        lo: dt.date,
        hi: dt.date,
        in_scope: _Scope,
    ) -> list[Finding]:
        try:
            params_by_key = {k: pack.param(k) for k in rule.params}
        except ParameterNotFound:
            return []  # the pack says nothing the rule could check
        lo = max(lo, rule.effective_from)
        hi = min(hi, rule.effective_to or hi)
        cuts = sorted(
            {v.start for p in params_by_key.values() for v in p.values if lo < v.start <= hi}
        )
        starts = [lo, *cuts]
        out: list[Finding] = []
        for i, seg_start in enumerate(starts):
            seg_end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else hi
            entries = {k: p.entry(seg_start) for k, p in params_by_key.items()}
            if any(e is None for e in entries.values()):
                continue
            params = Params({k: e.value for k, e in entries.items() if e is not None})
            if not rule.applies(params):
                continue
            citation = citation_for(pack, rule.cites, seg_start)
            rows = [
                dict(zip(FINDING_COLUMNS, r, strict=True))
                for r in session.run(self.sql_for(rule, params, session.dialect))
            ]
            for row in rows:
                day = row["date"]
                if isinstance(day, str):  # SQLite keeps dates as ISO text
                    day = dt.date.fromisoformat(day)
                if day is not None and not (seg_start <= day <= seg_end):
                    continue
                if not in_scope.keeps(row["person_id"], row["staff_id"]):
                    continue
                out.append(
                    Finding(
                        rule_id=rule.id,
                        pack_id=pack.id,
                        title=rule.title,
                        category=rule.category,
                        severity=rule.severity,
                        subject_type=row["subject_type"],
                        subject_id=row["subject_id"],
                        person_id=row["person_id"],
                        staff_id=row["staff_id"],
                        date=day,
                        evidence=row["evidence"],
                        citation=citation,
                        explanation=rule.explanation,
                        fix=rule.fix,
                    )
                )
        return out


class _Session:
    """A connection holding one evaluation's tables."""

    dialect = "duckdb"

    def load(self, data: Mapping[str, pa.Table]) -> None:
        raise NotImplementedError

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _BatchSession(_Session):
    """A fresh DuckDB connection whose tables are views over the Arrow data (no copy);
    DuckDB uses every core."""

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def load(self, data: Mapping[str, pa.Table]) -> None:
        for name, schema in SQL_SCHEMAS.items():
            table = data.get(name)
            self.con.register(name, table if table is not None else schema.empty_table())

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


class _LiveSession(_Session):
    """An in-memory SQLite kept for the thread: its tables are emptied and refilled for each
    check, and the sqlite module's statement cache keeps each rule's compiled statement. On
    a few hundred rows this runs the whole pack in a few milliseconds."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self.con = sqlite_connection(SQL_SCHEMAS)

    def load(self, data: Mapping[str, pa.Table]) -> None:
        self.con.fill(data)

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.run(sql)


_THREAD = threading.local()


def _live_session() -> _LiveSession:
    session: _LiveSession | None = getattr(_THREAD, "session", None)
    if session is None:
        session = _THREAD.session = _LiveSession()
    return session


class _Scope:
    """Which people and staff a pack judges: by their payer's state (or a contract's pack
    override) and their agency's state."""

    def __init__(self, people: set[int], staff: set[int]) -> None:
        self.people, self.staff = people, staff

    def keeps(self, person_id: int | None, staff_id: int | None) -> bool:
        if person_id is not None:
            return person_id in self.people
        if staff_id is not None:
            return staff_id in self.staff
        return True


def _scope(pack: Pack, data: Mapping[str, pa.Table]) -> _Scope:
    people: set[int] = set()
    table = data.get("people")
    if table is not None:
        for row in table.select(["person_id", "state", "pack_override"]).to_pylist():
            override = row["pack_override"]
            if override == pack.id or (not override and row["state"] == pack.jurisdiction):
                people.add(row["person_id"])
    staff: set[int] = set()
    table = data.get("staff")
    if table is not None:
        for row in table.select(["staff_id", "state"]).to_pylist():
            if row["state"] == pack.jurisdiction:
                staff.add(row["staff_id"])
    return _Scope(people, staff)


def _order(f: Finding) -> tuple[object, ...]:
    return (f.date or dt.date.min, f.rule_id, f.subject_type, f.subject_id)


EVALUATOR = Evaluator()
