"""What a rule is, and the registry of rules.

A rule is a function from the tables (all people, all notes ...) and one set of parameter
values to a table of violations. Written over whole tables, the same definition checks one
person's record while a note is written and millions of rows in a batch audit.

Each rule names the parameter that cites it (`cites`): the rule applies to a pack only where
that parameter has a value, and every finding carries that value's source, section and
confidence. So the citation of "group too large" is the pack's own group-size figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import ibis
import ibis.expr.types as ir

from peerpath.policy.tables import Tables

Category = Literal[
    "eligibility",
    "entrance",
    "authorization",
    "units",
    "modality",
    "concurrency",
    "not-covered",
    "documentation",
    "plan",
    "crisis-plan",
    "staffing-ratio",
    "credential",
    "training",
    "supervision",
    "evaluation",
    "continued-stay",
    "discharge",
    "billing",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
Severity = Literal["deny", "warn", "info"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Every rule's build returns exactly these columns.
FINDING_COLUMNS = ("subject_type", "subject_id", "person_id", "staff_id", "date", "evidence")


class Params(Mapping[str, object]):
    """Parameter values for one rule over one stretch of dates."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def int(self, key: str) -> int:
        value = self._values[key]
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"parameter {key!r} should be a whole number, got {value!r}")
        return value

    def float(self, key: str) -> float:
        value = self._values[key]
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"parameter {key!r} should be a number, got {value!r}")
        return float(value)

    def text(self, key: str) -> str:
        return str(self._values[key])

    def codes(self, key: str) -> list[str]:
        """A list parameter as plain codes (items may be strings or {code: ...} mappings)."""
        value = self._values[key]
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise TypeError(f"parameter {key!r} should be a list, got {value!r}")
        out: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                out.append(str(item.get("code", item.get("id"))))
            else:
                out.append(str(item))
        return out

    def records(self, key: str) -> list[Mapping[str, object]]:
        """A list parameter's mapping items (e.g. training requirements)."""
        value = self._values[key]
        if not isinstance(value, list | tuple):
            return []
        return [item for item in value if isinstance(item, Mapping)]


def is_stated(value: object) -> bool:
    """A parameter switches its rule on when it states something: not null, not false,
    not an empty list."""
    if value is None or value is False:
        return False
    return not (isinstance(value, list | tuple | Mapping) and len(value) == 0)


Build = Callable[[Tables, Params], ir.Table]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: Category
    severity: Severity
    cites: str
    params: tuple[str, ...]
    explanation: str
    fix: str
    build: Build
    applies: Callable[[Params], bool]
    effective_from: dt.date
    effective_to: dt.date | None
    needs: tuple[str, ...] = ()
    about: Literal["person", "staff"] = "person"
    basis: str = ""  # the parameter whose pack value is the rule's legal basis
    exceptions: tuple[str, ...] = ()  # named exceptions (peerpath.policy.exceptions)
    # Each person's findings come only from that person's own rows of the tables keyed by
    # person (and from tables not keyed by person): a batch may hand the rule only the rows
    # of the people its statement judges (see peerpath.policy.engine).
    per_person: bool = False


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    title: str,
    category: Category,
    severity: Severity,
    cites: str,
    explanation: str,
    fix: str,
    params: tuple[str, ...] = (),
    applies: Callable[[Params], bool] | None = None,
    effective_from: dt.date = dt.date(2003, 1, 1),
    effective_to: dt.date | None = None,
    needs: tuple[str, ...] = (),
    about: Literal["person", "staff"] = "person",
    basis: str | None = None,
    exceptions: tuple[str, ...] = (),
    per_person: bool = False,
) -> Callable[[Build], Build]:
    """Declare a rule. `cites` is the parameter that switches it on (its figure); `basis`
    the parameter whose pack value is its legal basis (default: `cites`; a contract override
    replaces the figure, never the basis); `params` the other parameters it reads;
    `exceptions` the named exceptions it honours.
    `needs` names tables the rule can only fire on rows of (an inner join), so the engine
    may skip it when they are empty. `about` is "staff" for rules that judge the staffing
    of the program (ratios, training) rather than a person's record. `per_person` says that
    a person's findings come only from that person's own rows of the tables keyed by person
    (never from another person's, as a count over a group or a staff member's caseload
    would): a batch then hands the rule only the rows of the people it judges."""
    if category not in CATEGORIES:
        raise ValueError(f"rule {id}: unknown category {category!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: unknown severity {severity!r}")

    def register(build: Build) -> Build:
        if id in REGISTRY:
            raise ValueError(f"rule {id} is declared twice")
        legal = basis or cites
        keys = (cites, *[p for p in (*params, legal) if p != cites])
        keys = tuple(dict.fromkeys(keys))
        REGISTRY[id] = Rule(
            id=id,
            title=title,
            category=category,
            severity=severity,
            cites=cites,
            params=keys,
            explanation=" ".join(explanation.split()),
            fix=" ".join(fix.split()),
            build=build,
            applies=applies or (lambda p: is_stated(p[cites])),
            effective_from=effective_from,
            effective_to=effective_to,
            needs=needs,
            about=about,
            basis=legal,
            exceptions=exceptions,
            per_person=per_person,
        )
        return build

    return register


def violations(
    table: ir.Table,
    *,
    subject_type: str,
    subject_id: ir.Value,
    date: ir.Value,
    evidence: ir.Value,
    person_id: ir.Value | None = None,
    staff_id: ir.Value | None = None,
) -> ir.Table:
    """Shape a rule's result into the finding columns."""
    null_id = ibis.null().cast("int64")
    return table.select(
        subject_type=ibis.literal(subject_type),
        subject_id=subject_id.cast("int64"),
        person_id=(person_id if person_id is not None else null_id).cast("int64"),
        staff_id=(staff_id if staff_id is not None else null_id).cast("int64"),
        date=date.cast("date"),
        evidence=evidence.cast("string"),
    )


def text(*parts: ir.Value | str | int) -> ir.StringValue:
    """Concatenate literal text and column values into an evidence string."""
    out: ir.StringValue = ibis.literal("")
    for part in parts:
        if isinstance(part, str | int):
            out = out + str(part)
        else:
            out = out + part.cast("string").fill_null("none")
    return out
