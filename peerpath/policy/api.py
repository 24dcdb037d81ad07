"""The policy engine's public face for screens, billing, reports, the API and the demo.

Code outside `peerpath.policy` asks these functions and never picks a pack, counts units,
head-counts a caseload or computes a due date itself: one policy truth. Every answer comes
from the engine's relations (peerpath.policy.assign and peerpath.policy.relations), over
the same packs, contract variants and unit rules the rules read, so a figure on a page and
a finding about the same record cannot disagree. docs/rules.md lists the functions.

Who is judged by what
    pack_in_force(person_id, on)          the pack (and contract variant) judging a day
    packs_in_force(person_ids, on)        the same for many people, in one run
    figure(person_id, key, on)            one cited figure as it applies to that person
    staff_figure(staff_id, key, on)       a figure as it applies to a staff member's program
Units
    units_for_minutes(person_id, on, m)   billable units of a contact of m minutes
    note_units(note_ids)                  units of saved notes, as the rules count them
    signed_units(people, since, until)    signed notes with their units, per person
    authorization_units(ids, on=...)      units used and left on each authorization
    unmanaged_units(person_ids, on=...)   units used outside authorizations, and allowed
Outcome measures
    measures_due(people, on=)             instruments due (admission, every N days, discharge)
    outcome_items(people, on)             the same as due items for the board and the day
Checks (findings as Arrow, `Findings.objects()` to show)
    check_note(draft, as_of=, replacing=) the live check of a note being written
    check_group(...)                      a group's size before people are checked in
    check_drafts(rows, as_of=)            a group's notes
    check_person(person_id, as_of=)       one person's whole record
    check_agency(as_of=, ...)             the agency (or payers, packs) in one pass
    determine_eligibility(person_id, on=) the decision with each criterion and evidence
    check_request(person_id, kind=, ...)  an authorization request's criteria before sending
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from . import assign
from .checks import (
    DRAFT_NOTE_ID,
    GROUP_SIZE_RULE,
    Criterion,
    Determination,
    NoteCheck,
    check_agency,
    check_drafts,
    check_group,
    check_note,
    check_person,
    check_team,
    determine_eligibility,
    scrub_findings,
)
from .claims import (
    CHECKS,
    ClaimCheck,
    LineShape,
    NoteVariant,
    check_amends_billed,
    check_diagnoses,
    check_npi,
    check_part2,
    check_rate,
    no_policy,
    note_variants,
    shape_line,
)
from .due import (
    DUE_KINDS,
    SOON_DAYS,
    DueItem,
    DueList,
    due_lists,
    outcome_items,
    unsigned_stale_before,
)
from .engine import EVALUATOR, Citation, Finding, Findings, citation_for
from .memo import remembered
from .outcomes_due import MeasureDue, measures_due, next_occasion
from .parameters import Pack, load_packs
from .plan import PlanRequirements, plan_requirements
from .reach import Note, ReachIndex, held_notes, reached_notes
from .relations import (
    Limit,
    Load,
    RatioCheck,
    Timeframe,
    Unmanaged,
    add_months,
    caseload_after_move,
    caseloads,
    decision_timeframe,
    decision_timeframes,
    fiscal_year_start,
    limit_figure,
    outcome_instruments,
    staff_packs,
    supervisor_loads,
    unmanaged_use,
)
from .requests import (
    RECORD_FOR,
    AppealRights,
    RequestCheck,
    appeal_rights,
    check_request,
    continued_stay_criteria,
)
from .tables import SCHEMAS, empty, rows_to_table

__all__ = [
    "APPROVED_STATUSES",
    "DRAFT_NOTE_ID",
    "GROUP_SIZE_RULE",
    "RECORD_FOR",
    "AppealRights",
    "Assigned",
    "AuthorizationUnits",
    "Citation",
    "Figure",
    "Finding",
    "Findings",
    "NoteCheck",
    "PackInForce",
    "RequestCheck",
    "appeal_rights",
    "assigned",
    "authorization_units",
    "check_agency",
    "check_drafts",
    "check_group",
    "check_note",
    "check_person",
    "check_request",
    "check_team",
    "continued_stay_criteria",
    "determine_eligibility",
    "figure",
    "note_units",
    "pack_in_force",
    "packs_in_force",
    "staff_figure",
    "units_for_minutes",
    "variant_in_force",
]

# Authorization statuses whose units may be used.
APPROVED_STATUSES = ("approved", "partial")


@dataclass(frozen=True)
class PackInForce:
    """The pack that judges a person's services on a day, with the payer contract's
    cited overrides applied (`pack` is that variant). `contract` names the contract(s)
    whose pack choice or figures apply (None: the state's pack as published)."""

    pack: Pack
    contract: str | None = None
    variant: str = ""

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def title(self) -> str:
        return self.pack.title


@dataclass(frozen=True)
class Figure:
    """One figure as it applies: its value, the citation (which says when it is only
    assumed), and the values other sources give (shown, not enforced)."""

    key: str
    label: str
    value: object
    citation: Citation
    pack_id: str
    alternatives: tuple[tuple[object, str], ...] = ()

    @property
    def assumed(self) -> bool:
        return self.citation.confidence == "assumed"


@dataclass(frozen=True)
class AuthorizationUnits:
    authorization_id: int
    approved: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.approved is None else self.approved - self.used


# ---- who is judged by what --------------------------------------------------------------


class Assigned:
    """The assignment relation for some people, over every day: `on(person, day)` gives the
    pack (variant) judging that day. One run of the relation for any number of look-ups."""

    def __init__(self, data: Mapping[str, pa.Table], as_of: dt.date) -> None:
        table = EVALUATOR.prepare(data, as_of=as_of)["assignments"]
        self._packs = load_packs()
        self._overrides = assign.contract_overrides(data)
        self._variants: dict[str, assign.Variant] = {}
        self._rows: dict[int, list[tuple[dt.date, dt.date, str, str | None]]] = {}
        for row in table.to_pylist():
            self._rows.setdefault(row["person_id"], []).append(
                (row["start"], row["end"], row["variant"], row["contract"])
            )

    def on(self, person_id: int, day: dt.date) -> PackInForce | None:
        for start, end, vid, contract in self._rows.get(person_id, ()):
            if start <= day <= end:
                if vid not in self._variants:
                    self._variants[vid] = assign.variant_for(vid, self._packs, self._overrides)
                variant = self._variants[vid]
                named = [c for c in (contract, variant.contract) if c]
                return PackInForce(variant.pack, ", ".join(dict.fromkeys(named)) or None, vid)
        return None

    def people(self) -> list[int]:
        return list(self._rows)


def assigned(person_ids: Iterable[int], as_of: dt.date | None = None) -> Assigned:
    """The assignment relation for these people (three queries)."""
    from .extract import people_tables

    return Assigned(people_tables(sorted(set(person_ids))), as_of or dt.date.today())


def _assignments(data: Mapping[str, pa.Table], on: dt.date) -> dict[int, PackInForce]:
    found = Assigned(data, on)
    out: dict[int, PackInForce] = {}
    for pid in found.people():
        chosen = found.on(pid, on)
        if chosen is not None:
            out[pid] = chosen
    return out


def packs_in_force(person_ids: Iterable[int], on: dt.date) -> dict[int, PackInForce]:
    """The pack (variant) judging each person's services on `on`, from the assignment
    relation; people with no pack in force on that day (or no payer) are left out."""
    return _packs_in_force(tuple(sorted(set(person_ids))), on)


@remembered
def _packs_in_force(ids: tuple[int, ...], on: dt.date) -> dict[int, PackInForce]:
    from .extract import people_tables

    if not ids:
        return {}
    return _assignments(people_tables(ids), on)


def pack_in_force(person_id: int, on: dt.date) -> PackInForce | None:
    """The pack judging a person's services on `on`, or None when no pack is in force."""
    return packs_in_force([person_id], on).get(person_id)


def variant_in_force(person_id: int, on: dt.date) -> PackInForce | None:
    return pack_in_force(person_id, on)


def _figure(pack: Pack, key: str, on: dt.date) -> Figure | None:
    try:
        entry = pack.entry(key, on)
    except LookupError:
        return None
    return Figure(
        key=key,
        label=pack.param(key).label,
        value=entry.value,
        citation=citation_for(pack, key, on),
        pack_id=pack.id,
        alternatives=tuple(
            (a.value, f"{a.source.title}, {a.section} ({a.confidence})") for a in entry.alternatives
        ),
    )


def figure(person_id: int, key: str, on: dt.date) -> Figure | None:
    """A pack figure as it applies to the person on `on` (contract overrides included), or
    None when no pack is in force or the pack states nothing for that day."""
    chosen = pack_in_force(person_id, on)
    return None if chosen is None else _figure(chosen.pack, key, on)


def staff_figure(staff_id: int, key: str, on: dt.date) -> Figure | None:
    """A pack figure for a staff member's program: the pack of their agency's state."""
    pack = staff_packs([staff_id], on).get(staff_id)
    return None if pack is None else _figure(pack, key, on)


# ---- units --------------------------------------------------------------------------------


def units_for_minutes(person_id: int, on: dt.date, minutes: int) -> int:
    """Billable units of a contact of `minutes` on `on`, by the unit rule of the variant
    judging the person that day (0 when no pack judges it)."""
    from .relations import contact_units

    return contact_units({person_id: [(on, minutes)]})[person_id][0]


def signed_units(
    person_ids: Sequence[int], since: dt.date, until: dt.date
) -> dict[int, list[tuple[dt.date, int]]]:
    """Each person's signed notes from `since` to `until` as (day, units), units counted by
    the variant judging each day (for outcomes: the services between two measures)."""
    from .relations import _signed_units

    return _signed_units(person_ids, since, until)


def note_units(note_ids: Sequence[int]) -> dict[int, int]:
    """Units of saved notes, as the rules count them (by each note's day's variant)."""
    from .relations import units_of_notes

    return units_of_notes(note_ids)


def authorization_units(
    authorization_ids: Iterable[int], *, on: dt.date
) -> dict[int, AuthorizationUnits]:
    """Units used on each authorization (signed notes of the person within its dates,
    each counted by the variant judging its day) and the units left."""
    return _authorization_units(tuple(authorization_ids), on)


@remembered
def _authorization_units(ids: tuple[int, ...], on: dt.date) -> dict[int, AuthorizationUnits]:
    from .relations import authorization_use

    return {
        pk: AuthorizationUnits(pk, approved, used)
        for pk, (approved, used) in authorization_use(ids, on=on).items()
    }


def unmanaged_units(person_ids: Iterable[int], *, on: dt.date) -> dict[int, Unmanaged]:
    """Units each person used outside any approved authorization in the pack's window
    (the state fiscal year, from the episode's start when later) and the allowance."""
    return _unmanaged_units(tuple(person_ids), on)


@remembered
def _unmanaged_units(ids: tuple[int, ...], on: dt.date) -> dict[int, Unmanaged]:
    return unmanaged_use(ids, on=on)


# ---- packs by state, for data that has no person yet (the demo), and the pack list -----------


def project_source_titles() -> frozenset[str]:
    """Titles of the sources that are PeerPath's own working assumptions (kind "project"),
    which a user cannot look up: pages say so beside a citation to one."""
    return frozenset(
        s.title for p in load_packs().values() for s in p.sources.values() if s.kind == "project"
    )


def pack_ids() -> list[str]:
    """The ids of the packs PeerPath knows (a contract may name one)."""
    return sorted(load_packs())


def state_pack(state: str, on: dt.date) -> Pack | None:
    """The pack a state's own rules put in force on `on` (the same pack spans the
    assignment relation uses), for records that have no person yet (the demo generator)."""
    data = {name: empty(schema) for name, schema in SCHEMAS.items()}
    data["people"] = rows_to_table("people", [{"person_id": 1, "state": state.upper()}])
    chosen = _assignments(data, on).get(1)
    return chosen.pack if chosen is not None else None


def units_counter(state: str, on: dt.date) -> Callable[[int], int]:
    """The unit rule of the state's pack on `on` as a function of minutes (for the demo,
    which counts thousands of contacts before any is saved)."""
    pack = state_pack(state, on)
    per = pack.value("units.minutes_per_unit", on) if pack else None
    least = pack.value("units.min_minutes_first_unit", on) if pack else None
    if not isinstance(per, int) or not isinstance(least, int):
        return lambda minutes: 0

    def units(minutes: int) -> int:
        return int(minutes // per + (1 if minutes % per >= least else 0))

    return units


def warm(on: dt.date) -> int:
    """Compile the rules of the packs in force on `on` (at server start)."""
    return EVALUATOR.warm(load_packs().values(), on)


# ---- named relations for screens (re-exported: the one door into the engine) -----------------

__all__ += [
    "CHECKS",
    "DUE_KINDS",
    "SOON_DAYS",
    "ClaimCheck",
    "Criterion",
    "Determination",
    "DueItem",
    "DueList",
    "Limit",
    "LineShape",
    "Load",
    "Note",
    "NoteVariant",
    "Pack",
    "PlanRequirements",
    "RatioCheck",
    "ReachIndex",
    "Timeframe",
    "Unmanaged",
    "add_months",
    "caseload_after_move",
    "caseloads",
    "check_amends_billed",
    "check_diagnoses",
    "check_npi",
    "check_part2",
    "check_rate",
    "decision_timeframe",
    "decision_timeframes",
    "due_lists",
    "fiscal_year_start",
    "held_notes",
    "limit_figure",
    "load_packs",
    "no_policy",
    "note_variants",
    "outcome_instruments",
    "pack_ids",
    "plan_requirements",
    "project_source_titles",
    "reached_notes",
    "rule_title",
    "scrub_findings",
    "shape_line",
    "staff_packs",
    "state_pack",
    "supervisor_loads",
    "units_counter",
    "unmanaged_units",
    "unsigned_stale_before",
    "warm",
]

# Outcome measures due (peerpath/policy/outcomes_due.py): the pack's instruments and schedule.
__all__ += ["MeasureDue", "measures_due", "next_occasion", "outcome_items", "signed_units"]


def rule_title(rule_id: str) -> str:
    """The plain title of a rule or a claim check, by its id."""
    from .rules.base import REGISTRY

    if rule_id in REGISTRY:
        return REGISTRY[rule_id].title
    return CHECKS.get(rule_id, rule_id)
