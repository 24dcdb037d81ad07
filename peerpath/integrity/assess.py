"""Which rules an extract can assess.

A rule is assessable for a pack when its definition, built with that pack's parameter
values, reads only tables and columns the extract gives. This is found by building the
rule (the same definition the live check compiles) against tables that hold only the
extract's columns: a rule that reaches for anything else fails to build, and the name it
reached for is what the extract lacks. Nothing is guessed per rule, so a new rule is judged
the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from peerpath.policy.engine import EVALUATOR
from peerpath.policy.parameters import Pack, ParameterNotFound
from peerpath.policy.rules.base import Params, Rule
from peerpath.policy.tables import ENGINE, SQL_SCHEMAS, Tables

# Tables the engine itself provides on every run.
_ENGINE_OWN = {"context", "numbers", *ENGINE}
# Derived tables and the table they come from.
_DERIVED_FROM = {"assessment_needs": "assessments"}


class _Missing(Exception):
    pass


class _ProbeTables(Tables):
    """Unbound tables holding only what an extract gives."""

    def __init__(self, known: Mapping[str, frozenset[str]]) -> None:
        self._tables = {}
        self._absent: set[str] = set()
        for name, schema in SQL_SCHEMAS.items():
            source = _DERIVED_FROM.get(name, name)
            if name in _ENGINE_OWN:
                keep = schema
            elif source in known:
                cols = known[source] if name == source else set(schema.names)
                keep = pa.schema([f for f in schema if f.name in cols])
            else:
                self._absent.add(name)
                continue
            self._tables[name] = ibis.table(ibis.schema(keep), name=name)

    def __getattr__(self, name: str) -> ir.Table:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._absent:
            raise _Missing(f"table {name}")
        return super().__getattr__(name)


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    pack_id: str
    assessable: bool
    missing: str  # what the extract lacks ("" when assessable)


def _missing_column(exc: Exception, known: Mapping[str, frozenset[str]], rule: Rule) -> str:
    text = str(exc)
    found = re.findall(r"'(\w+)'", text)
    name = found[-1] if found else text
    holders = [t for t, schema in SQL_SCHEMAS.items() if name in schema.names and t in known]
    wanting = [t for t in holders if name not in known[t]]
    return ", ".join(f"{t}.{name}" for t in wanting) or f"column {name}"


def _param_sets(pack: Pack, rule: Rule, lo: dt.date, hi: dt.date) -> list[Params]:
    try:
        params = {k: pack.param(k) for k in rule.params}
    except ParameterNotFound:
        return []
    starts = {lo} | {v.start for p in params.values() for v in p.values if lo < v.start <= hi}
    out: list[Params] = []
    for day in sorted(starts):
        entries = {k: p.entry(day) for k, p in params.items()}
        if any(e is None for e in entries.values()):
            continue
        values = Params({k: e.value for k, e in entries.items() if e is not None})
        if rule.applies(values):
            out.append(values)
    return out


def assess(
    rules: Iterable[Rule],
    packs: Iterable[Pack],
    known: Mapping[str, frozenset[str]],
    *,
    start: dt.date,
    end: dt.date,
) -> list[Verdict]:
    """A verdict for each rule and pack whose days overlap [start, end] and that switch the
    rule on; rules a pack does not switch on get none."""
    probe = _ProbeTables(known)
    out: list[Verdict] = []
    for pack in packs:
        lo = max(start, pack.start)
        hi = min(end, pack.end or end)
        if hi < lo:
            continue
        for rule in rules:
            r_lo = max(lo, rule.effective_from)
            r_hi = min(hi, rule.effective_to or hi)
            if r_hi < r_lo:
                continue
            sets = _param_sets(pack, rule, r_lo, r_hi)
            if not sets:
                continue
            # Building the rules is most of the time this takes; what it finds depends only
            # on the rule's definition, its figures and the columns given, so it is kept
            # between runs with the compiled statements (peerpath.policy.engine).
            key = (
                "assess",
                _OWN_CODE,
                rule.id,
                repr([sorted((k, repr(v)) for k, v in p.items()) for p in sets]),
                repr(sorted((t, sorted(c)) for t, c in known.items())),
            )
            missing = EVALUATOR.kept(key, partial(_missing_for, rule, sets, probe, known))
            out.append(Verdict(rule.id, pack.id, not missing, missing))
    return out


def _missing_for(
    rule: Rule, sets: list[Params], probe: _ProbeTables, known: Mapping[str, frozenset[str]]
) -> str:
    """What the extract lacks for `rule` with any of its sets of figures ("" if nothing)."""
    for params in sets:
        try:
            rule.build(probe, params)
        except _Missing as exc:
            return str(exc)
        except (AttributeError, KeyError) as exc:
            return _missing_column(exc, known, rule)
        except Exception as exc:  # ibis refuses an expression over a missing column
            return _missing_column(exc, known, rule)
    return ""


# This module's own code, part of the key of what it keeps.
_OWN_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
