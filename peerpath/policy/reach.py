"""How far a deny finding reaches: the notes it holds back from billing.

Findings about a note hold that note. Findings about another record hold the notes it
affects: a group too large, the person's notes in that group; units over an
authorization, the person's notes in it from the first day over; a plan without a crisis
plan, the notes written under it until a later version; a late service order or
assessment, the notes before it; a person under the minimum age, the notes before the
birthday; any other finding about a person, their notes from the finding's date (about a
staff member: theirs). The scrub and the parity checks read this one definition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .findings import Finding


class NoteRef(Protocol):
    id: int
    person_id: int
    staff_id: int
    date: dt.date
    group_session_id: int | None


@dataclass(frozen=True)
class Note:
    id: int
    person_id: int
    staff_id: int
    date: dt.date
    group_session_id: int | None = None


def _active(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    return start <= day and (end is None or day <= end)


_Reach = Callable[[Finding, "ReachIndex"], Iterable[int]]


@dataclass
class ReachIndex:
    """The notes being scrubbed, indexed the ways findings point at them, and the records
    some findings need to know how far they reach."""

    notes: list[NoteRef]
    data: Mapping[str, Any]
    by_person: dict[int, list[NoteRef]] = field(default_factory=lambda: defaultdict(list))
    by_staff: dict[int, list[NoteRef]] = field(default_factory=lambda: defaultdict(list))
    by_session: dict[int, list[NoteRef]] = field(default_factory=lambda: defaultdict(list))
    ids: set[int] = field(default_factory=set)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n in self.notes:
            self.by_person[n.person_id].append(n)
            self.by_staff[n.staff_id].append(n)
            if n.group_session_id is not None:
                self.by_session[n.group_session_id].append(n)
            self.ids.add(n.id)

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in self._rows:
            t = self.data.get(table)
            self._rows[table] = t.to_pylist() if t is not None else []
        return self._rows[table]

    def person_rows(self, table: str, person_id: int) -> list[dict[str, Any]]:
        key = f"{table}@person"
        if key not in self._rows:
            grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for row in self.rows(table):
                grouped[row["person_id"]].append(row)
            self._rows[key] = grouped  # type: ignore[assignment]
        grouped_rows: Any = self._rows[key]
        return list(grouped_rows.get(person_id, []))


def _from_date(f: Finding, ix: ReachIndex) -> list[int]:
    if f.person_id is not None:
        pool = ix.by_person.get(f.person_id, [])
    elif f.staff_id is not None:
        pool = ix.by_staff.get(f.staff_id, [])
    else:
        return []
    return [n.id for n in pool if f.date is None or n.date >= f.date]


def _before(f: Finding, ix: ReachIndex, cutoff: dt.date | None) -> list[int]:
    """The person's notes before `cutoff` (all of them when there is none), and the ones on
    the finding's own date, which the finding is about in any case."""
    pool = ix.by_person.get(f.person_id or -1, [])
    return [n.id for n in pool if cutoff is None or n.date < cutoff or n.date == f.date]


def _reach_authorization(f: Finding, ix: ReachIndex) -> list[int]:
    rows = ix.person_rows("authorizations", f.person_id or -1)
    auth = next((a for a in rows if a["auth_id"] == f.subject_id), None)
    if auth is None:
        return _from_date(f, ix)
    return [
        n.id
        for n in ix.by_person.get(f.person_id or -1, [])
        if _active(auth["start"], auth["end"], n.date) and (f.date is None or n.date >= f.date)
    ]


def _reach_plan(f: Finding, ix: ReachIndex) -> list[int]:
    plans = ix.person_rows("plans", f.person_id or -1)
    this = next((p for p in plans if p["plan_id"] == f.subject_id), None)
    later = [
        p["start"]
        for p in plans
        if this is not None
        and p["status"] != "draft"
        and p["version"] > this["version"]
        and p["start"] is not None
    ]
    until = min(later) if later else None
    return [
        n.id
        for n in ix.by_person.get(f.person_id or -1, [])
        if (f.date is None or n.date >= f.date) and (until is None or n.date < until)
    ]


def _reach_min_age(f: Finding, ix: ReachIndex) -> list[int]:
    person = next((p for p in ix.rows("people") if p["person_id"] == f.person_id), None)
    age = f.citation.value
    if person is None or not isinstance(age, int) or person["date_of_birth"] is None:
        return _from_date(f, ix)
    born: dt.date = person["date_of_birth"]
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:  # 29 February: the birthday falls on 1 March in other years
        birthday = dt.date(born.year + age, 3, 1)
    return _before(f, ix, birthday)


def _reach_cca(f: Finding, ix: ReachIndex) -> list[int]:
    dates = [
        a["date"]
        for a in ix.person_rows("assessments", f.person_id or -1)
        if a["medical_necessity"] and a["date"] is not None
    ]
    return _before(f, ix, min(dates) if dates else None)


def _reach_service_order(f: Finding, ix: ReachIndex) -> list[int]:
    dates = [
        o["signed_on"]
        for o in ix.person_rows("service_orders", f.person_id or -1)
        if o["signed_on"] is not None
    ]
    return _before(f, ix, min(dates) if dates else None)


def _reach_session(f: Finding, ix: ReachIndex) -> list[int]:
    notes = ix.by_session.get(f.subject_id, [])
    return [n.id for n in notes if f.person_id is None or n.person_id == f.person_id]


# Findings whose subject is not a note, and the notes they hold: named, one per rule or
# subject kind, so the reach of each is easy to read and to test.
REACH_BY_RULE: dict[str, _Reach] = {
    "ELIG.MIN_AGE": _reach_min_age,
    "ENTRANCE.CCA_BEFORE_SERVICE": _reach_cca,
    "ENTRANCE.SERVICE_ORDER": _reach_service_order,
}
REACH_BY_SUBJECT: dict[str, _Reach] = {
    "note": lambda f, ix: [f.subject_id],
    "group_session": _reach_session,
    "authorization": _reach_authorization,
    "plan": _reach_plan,
}


def reached_notes(
    findings: Iterable[Finding], ix: ReachIndex, severities: tuple[str, ...] = ("deny",)
) -> dict[int, list[Finding]]:
    """Note id -> the findings (of these severities) that reach it (only indexed notes)."""
    out: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.severity not in severities:
            continue
        reach = REACH_BY_RULE.get(f.rule_id) or REACH_BY_SUBJECT.get(f.subject_type, _from_date)
        for note_id in reach(f, ix):
            if note_id in ix.ids and f not in out[note_id]:
                out[note_id].append(f)
    return out


def held_notes(findings: Iterable[Finding], ix: ReachIndex) -> dict[int, list[Finding]]:
    """Note id -> the deny findings that hold it (only notes being scrubbed)."""
    return reached_notes(findings, ix)
