"""Evaluate the rules over tables and return findings as an Arrow table.

One run, on any tables an adapter provides (the app database, Parquet or CSV extracts):

1. The engine's own relations are computed in SQL: who is judged by what (`assignments`,
   `staff_assignments`, see peerpath.policy.assign), the same narrowed to the scope
   (agency, payer, person, staff, pack), and each note's units (`note_units`).
2. For each rule, each contract variant's dates are cut wherever a parameter the rule reads
   changes; the stretches that share the same parameter values are run as one statement,
   compiled once per rule and set of values and cached. The statement joins the rule's
   violations to those stretches and to the scoped assignments, so a finding is kept only
   for a person (or staff member) in scope, on a day the variant judges them: scope is
   applied inside the SQL.
3. The rows come back as Arrow (DuckDB's own Arrow result in a batch), get their rule,
   variant and citations by column, and stay columnar (`Findings`) until shown.

A batch over an extract (`Evaluator.run_extract`, the program-integrity audit) runs every
rule and set of figures of a run as ONE statement instead: the rules' violations, each
tagged with its number, are united, joined once to the stretches of all of them
(`rule_slices`) and to the scoped assignments. Same definitions, same findings; far fewer
statements and passes over the scope.

The batch engine is DuckDB (columnar, every core); the live check (one person while a note
is written) runs the same statements on an in-memory SQLite kept per thread, where each
takes well under a millisecond.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot

from peerpath.policy import rules as _rules  # noqa: F401  (registers the rules)

from . import assign
from .findings import FINDINGS_SCHEMA, Citation, Finding, Findings, to_json
from .parameters import Pack, ParameterNotFound, load_packs
from .rules.base import FINDING_COLUMNS, REGISTRY, Params, Rule
from .tables import DERIVED, ENGINE, SCHEMAS, SQL_SCHEMAS, Tables, derive, empty

__all__ = [
    "EVALUATOR",
    "BatchSession",
    "Citation",
    "Evaluator",
    "Finding",
    "Findings",
    "LiveSession",
    "Scope",
    "Session",
    "citation_for",
    "register_dialect",
]

# Compilers of SQL dialects other than the engine's own two (DuckDB, SQLite), registered by
# the adapters that bring them (peerpath.integrity.spark registers "spark").
_DIALECTS: dict[str, Callable[[ir.Table], str]] = {}


def register_dialect(name: str, compile_expr: Callable[[ir.Table], str]) -> None:
    """Compile statements for sessions of dialect `name` with `compile_expr`."""
    _DIALECTS[name] = compile_expr


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


def basis_for(pack: Pack, key: str, on: dt.date) -> Citation:
    """The legal basis a figure stands on: the pack's own value of `key` (not a contract's
    replacement of it), with its source and section."""
    entry = pack.entry(key, on)
    while entry.replaces is not None:
        entry = entry.replaces
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


@dataclass(frozen=True)
class Scope:
    """What a run judges: ids of agencies, payers, people and staff, pack ids, and a day
    (only the assignment stretches in force on it). A kind left as None does not narrow.
    A scope naming only people keeps staff findings about the staff their records touch
    (those in the data)."""

    agencies: Sequence[int] | None = None
    payers: Sequence[int] | None = None
    people: Sequence[int] | None = None
    staff: Sequence[int] | None = None
    packs: Sequence[str] | None = None
    # Only the stretches of pack assignment in force on this day (a note's live check
    # judges the note's day; the person's findings under earlier packs are not its business).
    on: dt.date | None = None

    def table(self) -> pa.Table:
        kinds: list[str] = []
        ids: list[int | None] = []
        codes: list[str | None] = []
        for kind, values in (
            ("agency", self.agencies),
            ("payer", self.payers),
            ("person", self.people),
            ("staff", self.staff),
        ):
            for v in values or ():
                kinds.append(kind)
                ids.append(int(v))
                codes.append(None)
        for p in self.packs or ():
            kinds.append("pack")
            ids.append(None)
            codes.append(p)
        if self.on is not None:
            kinds.append("on")
            ids.append(None)
            codes.append(self.on.isoformat())
        return pa.table({"kind": kinds, "id": ids, "code": codes}, schema=ENGINE["scope"])


# The engine's relations, computed in this order before any rule runs.
_RELATIONS: tuple[tuple[str, Callable[[Tables], ir.Table]], ...] = (
    ("assignments", assign.assignments),
    ("staff_assignments", assign.staff_assignments),
    ("scoped_assignments", assign.scoped_assignments),
    ("scoped_staff_assignments", assign.scoped_staff_assignments),
)


def _scoped_findings(expr: ir.Table, t: Tables) -> ir.Table:
    """A rule's violations kept only for the run's stretches and scope (see module doc)."""
    s = t.slices
    j = expr.cross_join(s)
    j = j.mutate(day=ibis.coalesce(j.date, j.as_of))
    j = j.filter((j.day >= j.lo) & (j.day <= j.hi))
    a = t.scoped_assignments
    people = j.filter(j.person_id.notnull())
    people = people.semi_join(
        a,
        [
            people.person_id == a.person_id,
            people.variant == a.variant,
            a.start <= people.day,
            a.end >= people.day,
        ],
    )
    sa = t.scoped_staff_assignments
    staff = j.filter(j.person_id.isnull() & j.staff_id.notnull())
    staff = staff.semi_join(
        sa,
        [
            staff.staff_id == sa.staff_id,
            staff.variant == sa.variant,
            sa.start <= staff.day,
            sa.end >= staff.day,
        ],
    )
    return people.union(staff, distinct=False).select(*FINDING_COLUMNS, "slice")


# A rule statement's rows: the finding columns and the slice they were found in.
_RESULT_SCHEMA = pa.schema(
    [(c, FINDINGS_SCHEMA.field(c).type) for c in FINDING_COLUMNS] + [("slice", pa.int64())]
)


_FINDING_TYPES = ibis.schema(pa.schema([FINDINGS_SCHEMA.field(c) for c in FINDING_COLUMNS]))

# The tables keyed by person (input and derived tables with a `person_id`, and each note's
# units): what a rule judging each person by their own rows (`Rule.per_person`) reads only
# the judged people's rows of, in a batch statement.
_PERSON_KEYED = frozenset(
    name
    for name, schema in SQL_SCHEMAS.items()
    if "person_id" in schema.names and (name in SCHEMAS or name in DERIVED or name == "note_units")
)


# What makes a rule's work grow with the rows it reads beyond keeping some of them.
_WORK = (ops.JoinChain, ops.Aggregate, ops.WindowFunction)


class _JudgedRows(Tables):
    """The tables as a group of a batch statement hands them to a rule that judges each
    person by their own rows (`Rule.per_person`): the tables keyed by person hold only the
    rows of the people with a scoped assignment to one of `variants` (the variants of the
    group's stretches), and rows of no person. A finding about anyone else would be dropped
    by the stretches and the scope anyway, so the findings are the same; the rule's work is
    done over the people its figures judge (a Texas cap over Texans' lines, not every line).
    Groups judging the same variants share the narrowed tables."""

    def __init__(self, base: Tables, variants: Sequence[str]) -> None:
        self._base = base
        self.as_of_join = base.as_of_join
        a = base.scoped_assignments
        self._judged = a.filter(a.variant.isin(list(variants))).select(person_id=a.person_id)
        self._tables: dict[str, ir.Table] = {}

    def __getattr__(self, name: str) -> ir.Table:
        if name.startswith("_"):
            raise AttributeError(name)
        table = self._tables.get(name)
        if table is None:
            table = getattr(self._base, name)
            if name in _PERSON_KEYED:
                judged = table.semi_join(self._judged, table.person_id == self._judged.person_id)
                table = judged.union(table.filter(table.person_id.isnull()), distinct=False)
            self._tables[name] = table
        return table


def _scoped_union(parts: Sequence[ir.Table], t: Tables) -> ir.Table:
    """Several rules' violations in one statement: each part tagged with its number `grp`,
    kept only for its own stretches (`rule_slices` rows of that `grp`) and the scope, as
    `_scoped_findings` keeps one rule's."""
    tagged = []
    for i, part in enumerate(parts):
        have = part.schema()
        tagged.append(
            part.select(
                *[
                    part[c] if have[c] == _FINDING_TYPES[c] else part[c].cast(_FINDING_TYPES[c])
                    for c in FINDING_COLUMNS
                ],
                grp=ibis.literal(i, type="int64"),
            )
        )
    expr = tagged[0] if len(tagged) == 1 else ibis.union(*tagged, distinct=False)
    s = t.rule_slices
    j = expr.join(s, "grp")
    j = j.mutate(day=ibis.coalesce(j.date, j.as_of))
    j = j.filter((j.day >= j.lo) & (j.day <= j.hi))
    a = t.scoped_assignments
    people = j.filter(j.person_id.notnull())
    people = people.semi_join(
        a,
        [
            people.person_id == a.person_id,
            people.variant == a.variant,
            a.start <= people.day,
            a.end >= people.day,
        ],
    )
    sa = t.scoped_staff_assignments
    staff = j.filter(j.person_id.isnull() & j.staff_id.notnull())
    staff = staff.semi_join(
        sa,
        [
            staff.staff_id == sa.staff_id,
            staff.variant == sa.variant,
            sa.start <= staff.day,
            sa.end >= staff.day,
        ],
    )
    return people.union(staff, distinct=False).select(*FINDING_COLUMNS, "slice")


_FINGERPRINT: list[str] = []


def _code_fingerprint() -> str:
    """What the compiled statements depend on besides their key: the engine's own code
    (every module of peerpath.policy, rules included) and the compilers' versions."""
    if not _FINGERPRINT:
        digest = hashlib.sha256(f"ibis {ibis.__version__} sqlglot {sqlglot.__version__}".encode())
        root = Path(__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        _FINGERPRINT.append(digest.hexdigest())
    return _FINGERPRINT[0]


def _write_quietly(path: Path, text: str) -> None:
    """Write a kept statement whole (another process may read it at once), or not at all:
    a folder that cannot be written only means compiling again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass


@dataclass(frozen=True)
class _Slice:
    variant: assign.Variant
    lo: dt.date
    hi: dt.date
    citation: Citation
    basis: Citation


class Evaluator:
    """Holds the compiled-SQL cache; one per process is enough."""

    def __init__(self) -> None:
        self._tables = Tables()
        # The tables as rules see them when compiled for DuckDB, which has an as-of join.
        self._duckdb_tables = Tables(as_of_join=True)
        self._sql: dict[tuple[str, ...], str] = {}
        self._schemas: dict[tuple[str, ...], pa.Schema] = {}
        self._kept_in: Path | None = None
        self._kept_files: set[Path] = set()  # in the kept folder (read or written)

    # ---- compiled statements kept between processes ------------------------------------

    def keep_compiled(self, folder: Path | None) -> None:
        """Also keep the compiled statements (DuckDB's and SQLite's) in `folder`, so that the
        next process (the next audit run) reads them instead of building and compiling the
        rules again (about a second). A statement is found again only if the engine's code
        (every module of peerpath.policy), ibis and sqlglot are the same as when it was
        compiled: they are part of its file's name. None stops it."""
        self._kept_in = folder

    def kept(self, key: tuple[str, ...], build: Callable[[], str]) -> str:
        """Text worked out from the rules' definitions (a compiled statement, or what an
        adapter learns by building a rule), kept like the compiled statements: `key` must
        name everything it depends on beyond the engine's code."""
        return self._compiled(key, "duckdb", build)

    def _compiled(self, key: tuple[str, ...], dialect: str, build: Callable[[], str]) -> str:
        """The statement of `key`: from memory, else from the kept folder, else built. A
        statement this process already holds is written to the folder too if it is not
        there yet."""
        sql = self._sql.get(key)
        path = None
        if self._kept_in is not None and dialect in ("duckdb", "sqlite"):
            name = hashlib.sha256(f"{_code_fingerprint()}|{key!r}".encode()).hexdigest()
            path = self._kept_in / f"{name}.sql"
        if sql is not None:
            if path is not None and path not in self._kept_files:
                if not path.exists():
                    _write_quietly(path, sql)
                self._kept_files.add(path)
            return sql
        if path is not None:
            try:
                sql = path.read_text(encoding="utf-8")
            except OSError:
                sql = None
        if sql is None:
            sql = build()
            if path is not None:
                _write_quietly(path, sql)
        if path is not None:
            self._kept_files.add(path)
        self._sql[key] = sql
        return sql

    # ---- compiling -------------------------------------------------------------------

    def _compile(self, expr: ir.Table, dialect: str) -> str:
        custom = _DIALECTS.get(dialect)
        if custom is not None:
            return custom(expr)
        if dialect == "sqlite":
            # Imported when first needed: a batch run (an audit) with its statements kept
            # never compiles for SQLite, and ibis's SQLite compiler takes a tenth of a second
            # to import.
            from .sqlite import SQLITE_COMPILER

            return str(SQLITE_COMPILER.to_sqlglot(expr.unbind()).sql(dialect="sqlite"))
        return str(ibis.to_sql(expr, dialect="duckdb"))

    def relation_sql(self, name: str, build: Callable[[Tables], ir.Table], dialect: str) -> str:
        key = ("relation", dialect, name)
        return self._compiled(
            key, dialect, lambda: self._compile(build(self._tables_for(dialect)), dialect)
        )

    def relation_schema(self, name: str, build: Callable[[Tables], ir.Table]) -> pa.Schema:
        """The Arrow schema of a named relation's rows."""
        key = ("schema", "", name)
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._schemas[key] = build(self._tables).schema().to_pyarrow()
        return schema

    def _tables_for(self, dialect: str) -> Tables:
        return self._duckdb_tables if dialect == "duckdb" else self._tables

    def sql_for(self, rule: Rule, params: Params, dialect: str = "duckdb") -> str:
        """The rule's scoped statement for these parameter values, "duckdb" or "sqlite"."""
        key = ("rule", dialect, rule.id, repr(sorted((k, repr(v)) for k, v in params.items())))

        def build() -> str:
            tables = self._tables_for(dialect)
            expr = rule.build(tables, params)
            if tuple(expr.columns) != FINDING_COLUMNS:
                raise ValueError(f"rule {rule.id} returns {expr.columns}, not {FINDING_COLUMNS}")
            return self._compile(_scoped_findings(expr, tables), dialect)

        return self._compiled(key, dialect, build)

    def union_sql(
        self,
        groups: Sequence[tuple[Rule, Params]],
        dialect: str = "duckdb",
        judged: Sequence[Sequence[str] | None] | None = None,
    ) -> str:
        """One scoped statement for several rules, each with its set of figures (the
        violations of group i are kept for the `rule_slices` rows with grp = i). Where
        `judged[i]` names variants, a rule of group i judging each person by their own rows
        reads only the rows of the people assigned to them (`_JudgedRows`), if it does more
        than keep some rows (a join, an aggregate, a window): the findings are the same
        either way, and a rule that only filters rows reads each row once anyway."""
        sets = [None if v is None else tuple(sorted(v)) for v in judged or [None] * len(groups)]
        key = (
            "union",
            dialect,
            repr(sets),
            *(f"{r.id}:{sorted((k, repr(v)) for k, v in p.items())!r}" for r, p in groups),
        )

        def build() -> str:
            parts = []
            narrowed: dict[tuple[str, ...], _JudgedRows] = {}
            base = self._tables_for(dialect)
            for (rule, params), variants in zip(groups, sets, strict=True):
                expr = rule.build(base, params)
                if variants is not None and rule.per_person and expr.op().find(_WORK):
                    tables = narrowed.get(variants)
                    if tables is None:
                        tables = narrowed[variants] = _JudgedRows(base, variants)
                    expr = rule.build(tables, params)
                if tuple(expr.columns) != FINDING_COLUMNS:
                    raise ValueError(
                        f"rule {rule.id} returns {expr.columns}, not {FINDING_COLUMNS}"
                    )
                parts.append(expr)
            return self._compile(_scoped_union(parts, base), dialect)

        return self._compiled(key, dialect, build)

    def warm(self, packs: Iterable[Pack], on: dt.date) -> int:
        """Compile every rule of the packs in force on `on`, so the first live check after a
        start does not pay for it. Returns how many statements were compiled."""
        count = 0
        for pack in packs:
            if not pack.covers(on):
                continue
            for rule in REGISTRY.values():
                params = _params(pack, rule, on)
                if params is not None and rule.applies(params):
                    self.sql_for(rule, params)
                    self.sql_for(rule, params, "sqlite")
                    count += 1
        for name, build in (*_RELATIONS, ("note_units", assign.note_units)):
            self.relation_sql(name, build, "duckdb")
            self.relation_sql(name, build, "sqlite")
        return count

    # ---- running ---------------------------------------------------------------------

    def run(
        self,
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        period_start: dt.date | None = None,
        scope: Scope | None = None,
        rules: Iterable[Rule] | None = None,
        live: bool = False,
        packs: Mapping[str, Pack] | None = None,
    ) -> Findings:
        """Findings dated from `period_start` (default: each pack's start) to `as_of` about
        the people and staff in `scope`, each day judged by the variant assigned to it.

        `live` is for small slices checked while someone types: an in-memory SQLite kept
        per thread, whose statements are compiled once, so a check costs execution only."""
        packs = packs if packs is not None else load_packs()
        session = _live_session() if live else _BatchSession()
        try:
            variants = self._prepare(session, data, packs, scope or Scope(), as_of)
            parts = self._evaluate(session, data, variants, rules, as_of, period_start)
            return Findings.concat(parts).sorted()
        finally:
            session.close()

    def run_extract(
        self,
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        period_start: dt.date | None = None,
        scope: Scope | None = None,
        rules: Iterable[Rule] | None = None,
        packs: Mapping[str, Pack] | None = None,
        session: Session | None = None,
        note_units: pa.Table | None = None,
        narrow: bool = True,
        ordered: bool = True,
    ) -> Findings:
        """Findings over an extract's tables (a program-integrity audit): the same rules,
        assignments and scope as `run`, with every rule and set of figures run as one
        statement per first day of the period (see the module doc).

        `session` is the engine holding the run's tables (default a fresh DuckDB batch
        session; the live check's SQLite or an adapter's, such as Spark, also work); it is
        closed at the end. `note_units`, when given, replaces the engine's units of each
        note (note_id, person_id, minutes, units): a claims extract bills units and has no
        times to count them from. `narrow` (the default) lets each rule that judges a person
        by their own rows read only the rows of the people its figures judge; False makes
        every rule read every row (the same findings, for comparison). `ordered` False leaves
        the findings in the order they were found, for a caller that orders them in a
        statement of its own (`Findings.sorted` gives the order)."""
        packs = packs if packs is not None else load_packs()
        session = session if session is not None else _BatchSession()
        try:
            variants = self._prepare(session, data, packs, scope or Scope(), as_of, note_units)
            plan = self._plan(session, data, variants, rules, as_of, period_start)
            parts = [
                self._union_statement(session, groups, as_of, ctx_lo, narrow)
                for ctx_lo, groups in plan.items()
            ]
            found = Findings.concat([p for p in parts if p.num_rows])
            return found.sorted() if ordered else found
        finally:
            session.close()

    def prepare(
        self,
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        scope: Scope | None = None,
        packs: Mapping[str, Pack] | None = None,
    ) -> dict[str, pa.Table]:
        """The engine's relations over `data` (assignments, scoped assignments and note
        units) as Arrow tables, for screens and reports that read them. A few people's
        tables (a page) run on the thread's live session, a whole agency's on DuckDB."""
        session = _session_for(data)
        try:
            self._prepare(session, data, packs or load_packs(), scope or Scope(), as_of)
            names = [n for n, _ in _RELATIONS] + ["note_units", "unit_rules"]
            return {n: session.arrow(f'SELECT * FROM "{n}"', ENGINE[n]) for n in names}
        finally:
            session.close()

    def relation(
        self,
        name: str,
        build: Callable[[Tables], ir.Table],
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        scope: Scope | None = None,
        packs: Mapping[str, Pack] | None = None,
    ) -> pa.Table:
        """A named engine relation (an ibis definition over the tables and the engine's
        own relations) computed over `data`, as Arrow: on the thread's live session for a
        few people's tables (a page), on DuckDB for more."""
        return self.relation_with(
            name, build, data, as_of=as_of, scope=scope, packs=packs, also=()
        )[0]

    def relation_with(
        self,
        name: str,
        build: Callable[[Tables], ir.Table],
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        also: Sequence[str],
        scope: Scope | None = None,
        packs: Mapping[str, Pack] | None = None,
    ) -> tuple[pa.Table, dict[str, pa.Table]]:
        """`relation`, and the engine's relations named in `also` (as `prepare` gives
        them) from the same preparation of the tables."""
        session = _session_for(data)
        try:
            self._prepare(session, data, packs or load_packs(), scope or Scope(), as_of)
            kept = {n: session.arrow(f'SELECT * FROM "{n}"', ENGINE[n]) for n in also}
            session.replace(
                "context",
                pa.table({"as_of": [as_of], "period_start": [as_of]}, schema=SCHEMAS["context"]),
            )
            sql = self.relation_sql(name, build, session.dialect)
            if isinstance(session, _BatchSession):
                return session.con.sql(sql).to_arrow_table(), kept
            return session.arrow(sql, self.relation_schema(name, build)), kept
        finally:
            session.close()

    def _prepare(
        self,
        session: _Session,
        data: Mapping[str, pa.Table],
        packs: Mapping[str, Pack],
        scope: Scope,
        as_of: dt.date,
        note_units: pa.Table | None = None,
    ) -> dict[str, assign.Variant]:
        """Load the run's tables and compute the engine's relations; `note_units`, when
        given, are each note's units instead of the engine's count."""
        context = pa.table({"as_of": [as_of], "period_start": [as_of]}, schema=SCHEMAS["context"])
        tables = derive({**data, "context": context})
        tables["packs"] = assign.packs_table(packs.values())
        tables["scope"] = scope.table()
        session.load(tables)
        for name, build in _RELATIONS:
            session.materialize(name, self.relation_sql(name, build, session.dialect))
        found = session.arrow(
            "SELECT DISTINCT variant FROM assignments UNION SELECT DISTINCT variant FROM "
            "staff_assignments",
            pa.schema([("variant", pa.string())]),
        )
        overrides = assign.contract_overrides(data)
        variants = {
            v: assign.variant_for(v, packs, overrides)
            for v in found.column("variant").to_pylist()
            if v is not None and v.partition("@")[0] in packs
        }
        session.replace("unit_rules", assign.unit_rules(variants.values()))
        if note_units is not None:
            session.replace("note_units", note_units.select(ENGINE["note_units"].names))
        else:
            session.materialize(
                "note_units", self.relation_sql("note_units", assign.note_units, session.dialect)
            )
        return variants

    def _evaluate(
        self,
        session: _Session,
        data: Mapping[str, pa.Table],
        variants: Mapping[str, assign.Variant],
        rules: Iterable[Rule] | None,
        as_of: dt.date,
        period_start: dt.date | None,
    ) -> list[pa.Table]:
        plan = self._plan(session, data, variants, rules, as_of, period_start)
        statements = [
            (rule, params, slices, ctx_lo)
            for ctx_lo, groups in plan.items()
            for rule, params, slices in groups
        ]
        # Statements sharing a period start and slices run one after another, so the live
        # engine refills its context and slices tables only when they change.
        statements.sort(key=lambda s: (s[3], [(x.variant.id, x.lo, x.hi) for x in s[2]]))
        parts = [
            self._statement(session, rule, params, slices, as_of, ctx_lo)
            for rule, params, slices, ctx_lo in statements
        ]
        return [p for p in parts if p.num_rows]

    def _plan(
        self,
        session: _Session,
        data: Mapping[str, pa.Table],
        variants: Mapping[str, assign.Variant],
        rules: Iterable[Rule] | None,
        as_of: dt.date,
        period_start: dt.date | None,
    ) -> dict[dt.date, list[tuple[Rule, Params, list[_Slice]]]]:
        """The statements of a run: for each rule, its stretches of the scoped assignments'
        variants cut wherever a figure it reads changes, gathered by set of figures and first
        day of the period they see (one statement each for `run`, one statement per first
        day for `run_extract`), in rule order."""
        spans = session.arrow(
            'SELECT variant, MIN(start) AS lo, MAX("end") AS hi FROM (SELECT variant, start, '
            '"end" FROM scoped_assignments UNION ALL SELECT variant, start, "end" FROM '
            "scoped_staff_assignments) GROUP BY variant",
            pa.schema([("variant", pa.string()), ("lo", pa.date32()), ("hi", pa.date32())]),
        ).to_pylist()
        plan: dict[dt.date, list[tuple[Rule, Params, list[_Slice]]]] = {}
        for rule in rules if rules is not None else REGISTRY.values():
            if any(data.get(name) is not None and data[name].num_rows == 0 for name in rule.needs):
                continue  # the rule can only fire on rows of a table this data lacks
            groups: dict[tuple[str, dt.date], tuple[Params, list[_Slice]]] = {}
            for span in spans:
                variant = variants.get(span["variant"])
                if variant is None:
                    continue
                pack = variant.pack
                lo = max(pack.start, period_start or pack.start, rule.effective_from, span["lo"])
                hi = min(as_of, pack.end or as_of, rule.effective_to or as_of, span["hi"])
                for seg_lo, seg_hi, params in _segments(pack, rule, lo, hi):
                    if not rule.applies(params):
                        continue
                    ctx_lo = max(pack.start, period_start or pack.start)
                    key = (repr(sorted((k, repr(v)) for k, v in params.items())), ctx_lo)
                    entry = groups.setdefault(key, (params, []))
                    entry[1].append(
                        _Slice(
                            variant,
                            seg_lo,
                            seg_hi,
                            citation_for(pack, rule.cites, seg_lo),
                            basis_for(pack, rule.basis, seg_lo),
                        )
                    )
            for (_, ctx_lo), (params, slices) in groups.items():
                plan.setdefault(ctx_lo, []).append((rule, params, slices))
        return plan

    def _union_statement(
        self,
        session: _Session,
        groups: Sequence[tuple[Rule, Params, list[_Slice]]],
        as_of: dt.date,
        ctx_lo: dt.date,
        narrow: bool = True,
    ) -> pa.Table:
        """Run the groups' rules as one statement; label each finding by its slice."""
        session.replace(
            "context",
            pa.table({"as_of": [as_of], "period_start": [ctx_lo]}, schema=SCHEMAS["context"]),
        )
        owners: list[tuple[Rule, _Slice]] = []
        grps: list[int] = []
        for i, (rule, _, slices) in enumerate(groups):
            owners.extend((rule, s) for s in slices)
            grps.extend([i] * len(slices))
        session.replace(
            "rule_slices",
            pa.table(
                {
                    "slice": list(range(len(owners))),
                    "grp": grps,
                    "variant": [s.variant.id for _, s in owners],
                    "lo": [s.lo for _, s in owners],
                    "hi": [s.hi for _, s in owners],
                    "as_of": [as_of] * len(owners),
                },
                schema=ENGINE["rule_slices"],
            ),
        )
        schema = pa.schema(
            [(c, FINDINGS_SCHEMA.field(c).type) for c in FINDING_COLUMNS] + [("slice", pa.int64())]
        )
        # A group whose stretches cover every variant the statement judges would read every
        # row narrowed too: only the others are narrowed.
        every = {s.variant.id for _, _, slices in groups for s in slices}
        judged: list[Sequence[str] | None] = []
        for _, _, slices in groups:
            mine = {s.variant.id for s in slices}
            judged.append(sorted(mine) if narrow and mine != every else None)
        sql = self.union_sql(
            [(rule, params) for rule, params, _ in groups], session.dialect, judged
        )
        found = session.arrow(sql, schema)
        if found.num_rows == 0:
            return found
        return _labelled(found, owners)

    def _statement(
        self,
        session: _Session,
        rule: Rule,
        params: Params,
        slices: list[_Slice],
        as_of: dt.date,
        ctx_lo: dt.date,
    ) -> pa.Table:
        context_key = (as_of, ctx_lo)
        if session.held.get("context") != context_key:
            session.replace(
                "context",
                pa.table({"as_of": [as_of], "period_start": [ctx_lo]}, schema=SCHEMAS["context"]),
            )
            session.held["context"] = context_key
        slices_key = (as_of, tuple((s.variant.id, s.lo, s.hi) for s in slices))
        if session.held.get("slices") != slices_key:
            session.replace(
                "slices",
                pa.table(
                    {
                        "slice": list(range(len(slices))),
                        "variant": [s.variant.id for s in slices],
                        "lo": [s.lo for s in slices],
                        "hi": [s.hi for s in slices],
                        "as_of": [as_of] * len(slices),
                    },
                    schema=ENGINE["slices"],
                ),
            )
            session.held["slices"] = slices_key
        found = session.arrow(self.sql_for(rule, params, session.dialect), _RESULT_SCHEMA)
        if found.num_rows == 0:
            return found
        index = found.column("slice")
        info: dict[str, list[object]] = {
            "rule_id": [rule.id] * len(slices),
            "pack_id": [s.variant.pack.id for s in slices],
            "variant": [s.variant.id for s in slices],
            "contract": [s.variant.contract for s in slices],
            "category": [rule.category] * len(slices),
            "severity": [rule.severity] * len(slices),
            "cite_parameter": [s.citation.parameter for s in slices],
            "cite_value": [to_json(s.citation.value) for s in slices],
            "cite_source": [s.citation.source for s in slices],
            "cite_ref": [s.citation.ref for s in slices],
            "cite_section": [s.citation.section for s in slices],
            "cite_confidence": [s.citation.confidence for s in slices],
            "cite_origin": [s.citation.origin for s in slices],
            "cite_note": [s.citation.note for s in slices],
            "basis_parameter": [s.basis.parameter for s in slices],
            "basis_source": [s.basis.source for s in slices],
            "basis_ref": [s.basis.ref for s in slices],
            "basis_section": [s.basis.section for s in slices],
            "basis_confidence": [s.basis.confidence for s in slices],
        }
        columns = {c: found.column(c) for c in FINDING_COLUMNS}
        for name, values in info.items():
            columns[name] = pa.array(values, FINDINGS_SCHEMA.field(name).type).take(index)
        return pa.table({n: columns[n] for n in FINDINGS_SCHEMA.names}, schema=FINDINGS_SCHEMA)

    # ---- compatibility: one pack over some data --------------------------------------

    def evaluate(
        self,
        pack: Pack,
        data: Mapping[str, pa.Table],
        *,
        as_of: dt.date,
        period_start: dt.date | None = None,
        rules: Iterable[Rule] | None = None,
        people: Sequence[int] | None = None,
        live: bool = False,
    ) -> list[Finding]:
        """Findings of `pack` alone (its days only) over `data`, as objects."""
        packs = dict(load_packs())
        packs[pack.id] = pack
        return self.run(
            data,
            as_of=as_of,
            period_start=period_start,
            scope=Scope(packs=[pack.id], people=people),
            rules=rules,
            live=live,
            packs=packs,
        ).objects()


def _labelled(found: pa.Table, owners: Sequence[tuple[Rule, _Slice]]) -> pa.Table:
    """Findings with their rule, variant and citations, taken by each row's slice number
    (an index into `owners`)."""
    index = found.column("slice")
    info: dict[str, list[object]] = {
        "rule_id": [r.id for r, _ in owners],
        "pack_id": [s.variant.pack.id for _, s in owners],
        "variant": [s.variant.id for _, s in owners],
        "contract": [s.variant.contract for _, s in owners],
        "category": [r.category for r, _ in owners],
        "severity": [r.severity for r, _ in owners],
        "cite_parameter": [s.citation.parameter for _, s in owners],
        "cite_value": [to_json(s.citation.value) for _, s in owners],
        "cite_source": [s.citation.source for _, s in owners],
        "cite_ref": [s.citation.ref for _, s in owners],
        "cite_section": [s.citation.section for _, s in owners],
        "cite_confidence": [s.citation.confidence for _, s in owners],
        "cite_origin": [s.citation.origin for _, s in owners],
        "cite_note": [s.citation.note for _, s in owners],
        "basis_parameter": [s.basis.parameter for _, s in owners],
        "basis_source": [s.basis.source for _, s in owners],
        "basis_ref": [s.basis.ref for _, s in owners],
        "basis_section": [s.basis.section for _, s in owners],
        "basis_confidence": [s.basis.confidence for _, s in owners],
    }
    columns = {c: found.column(c) for c in FINDING_COLUMNS}
    for name, values in info.items():
        columns[name] = pa.array(values, FINDINGS_SCHEMA.field(name).type).take(index)
    return pa.table({n: columns[n] for n in FINDINGS_SCHEMA.names}, schema=FINDINGS_SCHEMA)


def _params(pack: Pack, rule: Rule, on: dt.date) -> Params | None:
    try:
        entries = {k: pack.param(k).entry(on) for k in rule.params}
    except ParameterNotFound:
        return None
    if any(e is None for e in entries.values()):
        return None
    return Params({k: e.value for k, e in entries.items() if e is not None})


def _segments(
    pack: Pack, rule: Rule, lo: dt.date, hi: dt.date
) -> list[tuple[dt.date, dt.date, Params]]:
    """[lo, hi] cut wherever a parameter the rule reads changes value in `pack`."""
    if hi < lo:
        return []
    try:
        params_by_key = {k: pack.param(k) for k in rule.params}
    except ParameterNotFound:
        return []  # the pack says nothing the rule could check
    cuts = sorted({v.start for p in params_by_key.values() for v in p.values if lo < v.start <= hi})
    starts = [lo, *cuts]
    out: list[tuple[dt.date, dt.date, Params]] = []
    for i, seg_lo in enumerate(starts):
        seg_hi = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else hi
        params = _params(pack, rule, seg_lo)
        if params is not None:
            out.append((seg_lo, seg_hi, params))
    return out


# ---- sessions: the connection holding one run's tables ------------------------------------


class _Session:
    dialect = "duckdb"

    @property
    def held(self) -> dict[str, object]:
        """What the run-time tables (context, slices) were last filled from, so that a
        statement needing the same rows does not refill them. `load` and `replace`
        forget a table's entry."""
        held: dict[str, object] | None = self.__dict__.get("_held")
        if held is None:
            held = self.__dict__["_held"] = {}
        return held

    def load(self, data: Mapping[str, pa.Table]) -> None:
        raise NotImplementedError

    def replace(self, name: str, table: pa.Table) -> None:
        raise NotImplementedError

    def materialize(self, name: str, sql: str) -> None:
        """Fill table `name` with the result of `sql` (an engine relation)."""
        raise NotImplementedError

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _BatchSession(_Session):
    """A fresh DuckDB connection whose tables are views over the Arrow data (no copy);
    results come back as Arrow (DuckDB's own columnar result). `config` is DuckDB's
    (`memory_limit`, `temp_directory`: a large extract's run spills to disk instead of
    growing past the limit)."""

    def __init__(
        self,
        config: Mapping[str, str] | None = None,
        *,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        # With `con`, the run's tables are views in a connection its owner made (and
        # closes): an audit's rules run beside the tables that prepared them, within one
        # memory limit, and the lines stay there for the dollars afterwards.
        self._own = con is None
        self.con = con if con is not None else duckdb.connect(config=dict(config or {}))
        self._kept: dict[str, pa.Table] = {}

    def load(self, data: Mapping[str, pa.Table]) -> None:
        self.held.clear()
        for name, schema in SQL_SCHEMAS.items():
            table = data.get(name)
            self.replace(name, table if table is not None else empty(schema))

    def replace(self, name: str, table: pa.Table) -> None:
        self.held.pop(name, None)
        self._kept[name] = table  # the view reads it: keep it alive
        self.con.register(name, table)

    def materialize(self, name: str, sql: str) -> None:
        self.replace(name, self.arrow(sql, SQL_SCHEMAS[name]))

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        table = self.con.sql(sql).to_arrow_table()
        return table.select(schema.names).cast(schema)

    def close(self) -> None:
        if self._own:
            self.con.close()
            return
        for name in self._kept:  # the owner's connection goes on without the run's views
            self.con.unregister(name)
        self._kept.clear()


class _LiveSession(_Session):
    """An in-memory SQLite kept for the thread: its tables are emptied and refilled for each
    check, and the sqlite module's statement cache keeps each compiled statement."""

    dialect = "sqlite"

    def __init__(self) -> None:
        from .sqlite import sqlite_connection

        self.con = sqlite_connection(SQL_SCHEMAS)

    def load(self, data: Mapping[str, pa.Table]) -> None:
        self.held.clear()
        self.con.fill(data)

    def replace(self, name: str, table: pa.Table) -> None:
        self.held.pop(name, None)
        self.con.fill({name: table}, only=[name])

    def materialize(self, name: str, sql: str) -> None:
        self.con.insert_select(name, sql)

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        rows = self.con.run(sql)
        if not rows:
            return empty(schema)
        columns: list[list[Any]] = (
            [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in schema]
        )
        arrays = []
        for field, values in zip(schema, columns, strict=True):
            if pa.types.is_date(field.type):
                days = [None if v is None else dt.date.fromisoformat(v) for v in values]
                arrays.append(pa.array(days, field.type))
            else:
                arrays.append(pa.array(values, field.type))
        return pa.table(arrays, schema=schema)


# Public names of the sessions, for adapters bringing another engine and for
# `Evaluator.run_extract(session=...)`.
Session = _Session
BatchSession = _BatchSession
LiveSession = _LiveSession

_THREAD = threading.local()


def _live_session() -> _LiveSession:
    session: _LiveSession | None = getattr(_THREAD, "session", None)
    if session is None:
        session = _THREAD.session = _LiveSession()
    return session


# Up to this many rows in all, the tables are a page's few people: the thread's in-memory
# SQLite (statements compiled once, no connection to open, no Arrow views to register)
# answers in milliseconds where a new DuckDB connection takes tens of them per statement.
LIVE_ROWS = 20_000


def _session_for(data: Mapping[str, pa.Table]) -> _Session:
    rows = sum(t.num_rows for t in data.values() if t is not None)
    return _live_session() if rows <= LIVE_ROWS else _BatchSession()


def group_rows(findings: Findings) -> dict[str, list[Finding]]:
    """Finding objects by rule id (for pages that list findings by rule)."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings.objects():
        out[f.rule_id].append(f)
    return dict(out)


EVALUATOR = Evaluator()
