"""Named engine relations that screens, billing and reports read instead of re-deriving
policy: units (of a contact, of saved notes, used on authorizations, used without one),
caseload and supervisor head-counts by day against the pack's limit, and the packs
judging staff.

Each is computed over the same tables, the same assignment relation (who is judged by
what) and the same definitions the rules use (`note_units`, `headcount_stretches`), so a
page and a finding about the same record cannot disagree. `READS` records which pack
parameters each relation reads (with the rules', every catalogue key must be read by
something: tests/policy/test_boundary.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ibis.expr.types as ir
import pyarrow as pa

from .engine import EVALUATOR, Citation, citation_for
from .memo import remembered
from .parameters import Pack, load_packs
from .rules.staffing import caseload_spans, headcount_stretches, supervision_spans
from .tables import OPEN_END, SCHEMAS, Tables, empty, rows_to_table

OPEN = dt.date.fromisoformat(OPEN_END)

# Relation -> the pack parameters it reads.
READS: dict[str, tuple[str, ...]] = {
    "note_units": ("units.minutes_per_unit", "units.min_minutes_first_unit"),
    "unmanaged_units": (
        "authorization.unmanaged_units",
        "fiscal_year.start_month",
    ),
    "caseload": ("ratios.cpss_to_people",),
    "supervisor_load": ("ratios.qp_to_cpss",),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; a day the month lacks becomes its last day (as the
    rules count: six months after 31 August is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fiscal_year_start(day: dt.date, start_month: int) -> dt.date:
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# ---- the packs judging staff ------------------------------------------------------------


def staff_packs(staff_ids: Iterable[int], on: dt.date) -> dict[int, Pack]:
    """The pack of each staff member's agency state on `on` (staff are judged by their
    program's state, with no contract variant)."""
    return _staff_packs(tuple(sorted(set(staff_ids))), on)


@remembered
def _staff_packs(staff_ids: tuple[int, ...], on: dt.date) -> dict[int, Pack]:
    from peerpath.staff.models import StaffMember

    from .extract import _read

    ids = sorted(set(staff_ids))
    if not ids:
        return {}
    data = {name: empty(schema) for name, schema in SCHEMAS.items()}
    data["staff"] = _read(
        "staff",
        StaffMember.objects.filter(pk__in=ids),
        "pk",
        "agency_id",
        "agency__state",
        "role",
        "hire_date",
        "end_date",
    )
    table = EVALUATOR.prepare(data, as_of=on)["staff_assignments"]
    packs = load_packs()
    out: dict[int, Pack] = {}
    for row in table.to_pylist():
        if row["start"] <= on <= row["end"] and row["pack_id"] in packs:
            out[row["staff_id"]] = packs[row["pack_id"]]
    return out


# ---- units --------------------------------------------------------------------------------


def _units(data: dict[str, pa.Table], on: dt.date) -> dict[int, int]:
    table = EVALUATOR.prepare(data, as_of=on)["note_units"]
    return dict(
        zip(table.column("note_id").to_pylist(), table.column("units").to_pylist(), strict=True)
    )


def contact_units(contacts: Mapping[int, Sequence[tuple[dt.date, int]]]) -> dict[int, list[int]]:
    """Units of contacts (person id -> [(day, minutes)]) by the unit rule of the variant
    judging each day; 0 where no pack judges the day."""
    from .extract import people_tables

    data = people_tables(list(contacts))
    rows: list[dict[str, object]] = []
    for pid, items in contacts.items():
        for day, minutes in items:
            rows.append(
                {
                    "note_id": len(rows) + 1,
                    "person_id": pid,
                    "date": day,
                    "start_min": 0,
                    "end_min": minutes,
                }
            )
    data["notes"] = rows_to_table("notes", rows)
    days = [day for items in contacts.values() for day, _ in items]
    counted = _units(data, max(days, default=dt.date.today()))
    out: dict[int, list[int]] = {pid: [] for pid in contacts}
    for r in rows:
        out[int(str(r["person_id"]))].append(counted.get(int(str(r["note_id"])), 0))
    return out


def _notes_data(person_ids: Iterable[int], notes: pa.Table) -> dict[str, pa.Table]:
    from .extract import people_tables

    data = people_tables(sorted(set(person_ids)))
    data["notes"] = notes
    return data


def _signed_rows(person_ids: Sequence[int], since: dt.date, until: dt.date) -> pa.Table:
    """The people's signed notes dated `since` to `until`, read with a statement the ORM
    builds once (screens ask this for a few people at a time)."""
    from peerpath.services.models import ServiceNote

    from .extract import _Ids, _note_exprs, _read_slice

    return _read_slice(
        "notes",
        lambda i: ServiceNote.objects.filter(
            person_id__in=list(i.people or ()),
            status="signed",
            date__gte=i.days[0],
            date__lte=i.days[1],
        ),
        _Ids(people=tuple(dict.fromkeys(int(p) for p in person_ids)), days=(since, until)),
        *_note_exprs(),
    )


def _note_rows(note_filter: Mapping[str, object]) -> pa.Table:
    from peerpath.services.models import ServiceNote

    from .extract import _note_exprs, _read

    return _read("notes", ServiceNote.objects.filter(**note_filter), *_note_exprs())


def units_of_notes(note_ids: Sequence[int]) -> dict[int, int]:
    """Units of saved notes, as the rules and the claim count them."""
    notes = _note_rows({"pk__in": list(note_ids)})
    if notes.num_rows == 0:
        return {}
    on = max(notes.column("date").to_pylist())
    counted = _units(_notes_data(notes.column("person_id").to_pylist(), notes), on)
    return {nid: counted.get(nid, 0) for nid in notes.column("note_id").to_pylist()}


def _signed_units(
    person_ids: Sequence[int], since: dt.date, until: dt.date
) -> dict[int, list[tuple[dt.date, int]]]:
    """Each person's signed notes in [since, until] with their units."""
    notes = _signed_rows(person_ids, since, until)
    out: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    if notes.num_rows == 0:
        return out
    counted = _units(_notes_data(person_ids, notes), until)
    for nid, pid, day in zip(
        notes.column("note_id").to_pylist(),
        notes.column("person_id").to_pylist(),
        notes.column("date").to_pylist(),
        strict=True,
    ):
        out[pid].append((day, counted.get(nid, 0)))
    return out


APPROVED = ("approved", "partial")


def authorization_use(
    authorization_ids: Iterable[int], *, on: dt.date
) -> dict[int, tuple[int | None, int]]:
    """Authorization id -> (units approved, units used: signed notes of the person within
    its dates, each counted by the variant judging its day)."""
    from peerpath.authorizations.models import Authorization

    auths = list(
        Authorization.objects.filter(pk__in=list(authorization_ids))
        .order_by()
        .values_list("pk", "person_id", "start", "end", "units_approved")
    )
    if not auths:
        return {}
    people = sorted({a[1] for a in auths})
    notes = _signed_units(people, min(a[2] for a in auths), max(a[3] for a in auths))
    return {
        pk: (approved, sum(u for day, u in notes[pid] if start <= day <= end))
        for pk, pid, start, end, approved in auths
    }


@dataclass(frozen=True)
class Unmanaged:
    """Units a person used outside any approved authorization in the pack's window (the
    fiscal year, from the episode's start when later), against the pack's allowance."""

    used: int
    allowed: int | None
    window_start: dt.date
    citation: Citation | None

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else self.allowed - self.used


def unmanaged_use(person_ids: Iterable[int], *, on: dt.date) -> dict[int, Unmanaged]:
    from peerpath.authorizations.models import Authorization
    from peerpath.people.models import Episode

    from .api import packs_in_force

    ids = sorted(set(person_ids))
    chosen = packs_in_force(ids, on)
    since_by: dict[int, dt.date] = {}
    for pid in ids:
        pick = chosen.get(pid)
        month = _whole(pick.pack.value("fiscal_year.start_month", on)) if pick else None
        since_by[pid] = fiscal_year_start(on, month or 7)
    for pid, start in (
        Episode.objects.filter(person_id__in=ids, start__lte=on)
        .order_by("start")
        .values_list("person_id", "start")
    ):
        if start > since_by[pid]:
            since_by[pid] = start  # the latest episode wins
    approved: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for pid, start, end in Authorization.objects.filter(
        person_id__in=ids, status__in=APPROVED
    ).values_list("person_id", "start", "end"):
        approved[pid].append((start, end))
    notes = _signed_units(ids, min(since_by.values(), default=on), on)
    out: dict[int, Unmanaged] = {}
    for pid in ids:
        pick = chosen.get(pid)
        since = since_by[pid]
        used = sum(
            u
            for day, u in notes[pid]
            if since <= day <= on and not any(s <= day <= e for s, e in approved[pid])
        )
        allowed = _whole(pick.pack.value("authorization.unmanaged_units", on)) if pick else None
        cited = citation_for(pick.pack, "authorization.unmanaged_units", on) if pick else None
        out[pid] = Unmanaged(used, allowed, since, cited)
    return out


# ---- head-counts by day -------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A ratio figure as the board shows it: the enforced value with its citation, and the
    values other sources give (shown, not enforced)."""

    key: str
    label: str
    value: int
    citation: Citation
    pack_id: str
    alternatives: tuple[tuple[object, str], ...] = ()

    @property
    def assumed(self) -> bool:
        return self.citation.assumed


@dataclass(frozen=True)
class Load:
    """How many (people, or peer specialists) someone had: today, at most in the period
    and on which day first, the days over the pack's limit, and the count on every day of
    the period as stretches (first, last, count)."""

    today: int
    peak: int
    peak_on: dt.date | None
    days_over: int
    first_over: dt.date | None
    limit_today: int | None
    stretches: tuple[tuple[dt.date, dt.date, int], ...] = ()
    limits: tuple[tuple[dt.date, dt.date, int | None], ...] = ()

    @property
    def over_today(self) -> bool:
        return self.limit_today is not None and self.today > self.limit_today

    @property
    def room(self) -> int | None:
        return None if self.limit_today is None else self.limit_today - self.today

    def on(self, day: dt.date) -> int:
        return next((c for f, la, c in self.stretches if f <= day <= la), 0)


def limit_figure(pack: Pack | None, key: str, on: dt.date) -> Limit | None:
    if pack is None:
        return None
    try:
        entry = pack.entry(key, on)
    except LookupError:
        return None
    value = _whole(entry.value)
    if value is None:
        return None
    return Limit(
        key=key,
        label=pack.param(key).label,
        value=value,
        citation=citation_for(pack, key, on),
        pack_id=pack.id,
        alternatives=tuple(
            (a.value, f"{a.source.title}, {a.section} ({a.confidence})") for a in entry.alternatives
        ),
    )


def _limit_segments(
    spans: Sequence[Mapping[str, object]], key: str, lo: dt.date, hi: dt.date
) -> list[tuple[dt.date, dt.date, int | None]]:
    """The figure over [lo, hi] as (first, last, value) stretches, from an owner's
    staff_assignments rows (the pack may change inside the period, and so may its value)."""
    packs = load_packs()
    out: list[tuple[dt.date, dt.date, int | None]] = []
    for span in sorted(spans, key=lambda s: str(s["start"])):
        start, end = span["start"], span["end"]
        assert isinstance(start, dt.date) and isinstance(end, dt.date)
        a, b = max(start, lo), min(end, hi)
        if a > b:
            continue
        pack = packs.get(str(span["pack_id"]))
        if pack is None:
            continue
        day = a
        while day <= b:
            entry = pack.param(key).entry(day) if key in pack.parameters else None
            if entry is None:
                break
            last = min(x for x in (b, entry.end) if x is not None)
            out.append((day, last, _whole(entry.value)))
            day = last + dt.timedelta(days=1)
    return out


def _summarize(
    stretches: Sequence[tuple[dt.date, dt.date, int]],
    limits: Sequence[tuple[dt.date, dt.date, int | None]],
    lo: dt.date,
    hi: dt.date,
) -> Load:
    clipped: list[tuple[dt.date, dt.date, int]] = []
    for first, last, count in sorted(stretches):
        a, b = max(first, lo), min(last, hi)
        if a <= b:
            clipped.append((a, b, count))
    # Days with nobody are stretches of 0.
    filled: list[tuple[dt.date, dt.date, int]] = []
    day = lo
    for first, last, count in clipped:
        if first > day:
            filled.append((day, first - dt.timedelta(days=1), 0))
        filled.append((first, last, count))
        day = last + dt.timedelta(days=1)
    if day <= hi:
        filled.append((day, hi, 0))
    today = next((c for f, la, c in filled if f <= hi <= la), 0)
    peak, peak_on = 0, None
    days_over, first_over = 0, None
    for first, last, c in filled:
        if c > peak:
            peak, peak_on = c, first
        for l_first, l_last, limit in limits:
            a, b = max(first, l_first), min(last, l_last)
            if limit is not None and a <= b and c > limit:
                days_over += (b - a).days + 1
                first_over = a if first_over is None else min(first_over, a)
    limit_today = next((v for f, la, v in limits if f <= hi <= la), None)
    return Load(
        today, peak, peak_on, days_over, first_over, limit_today, tuple(filled), tuple(limits)
    )


def _loads(
    build: str, owners: Sequence[int], lo: dt.date, hi: dt.date, key: str
) -> dict[int, Load]:
    from .extract import extract

    ids = sorted(set(owners))
    if not ids:
        return {}
    members = ids
    if build == "supervision":
        from peerpath.staff.models import SupervisionAssignment

        members = ids + list(
            SupervisionAssignment.objects.filter(supervisor_id__in=ids)
            .order_by()
            .values_list("staff_id", flat=True)
            .distinct()
        )
    data = extract(person_ids=[], staff_ids=members)
    spans_of = caseload_spans if build == "caseload" else supervision_spans

    def relation(t: Tables) -> ir.Table:
        return headcount_stretches(spans_of(t))

    # The staff's assignments to packs are not narrowed by the scope: one preparation
    # gives both.
    stretches, prepared = EVALUATOR.relation_with(
        f"headcount.{build}", relation, data, as_of=hi, also=("staff_assignments",)
    )
    by_owner: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
    for row in stretches.to_pylist():
        by_owner[row["owner"]].append((row["day"], row["last"], int(row["count"])))
    spans: dict[int, list[dict[str, object]]] = defaultdict(list)
    for row in prepared["staff_assignments"].to_pylist():
        spans[row["staff_id"]].append(row)
    return {
        owner: _summarize(by_owner[owner], _limit_segments(spans[owner], key, lo, hi), lo, hi)
        for owner in ids
    }


def caseloads(staff_ids: Sequence[int], lo: dt.date, hi: dt.date) -> dict[int, Load]:
    """Each peer specialist's caseload on every day of [lo, hi] against the pack's
    `ratios.cpss_to_people` (of their agency's state on each day)."""
    return _loads("caseload", staff_ids, lo, hi, "ratios.cpss_to_people")


def supervisor_loads(supervisor_ids: Sequence[int], lo: dt.date, hi: dt.date) -> dict[int, Load]:
    """Each supervisor's peer specialists on every day of [lo, hi] against the pack's
    `ratios.qp_to_cpss`."""
    return _loads("supervision", supervisor_ids, lo, hi, "ratios.qp_to_cpss")


@dataclass(frozen=True)
class RatioCheck:
    """How many people the peer specialist would have on `on` after taking one more."""

    count: int
    limit: Limit | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit.value


def caseload_after_move(staff_id: int, person_id: int, on: dt.date) -> RatioCheck:
    """The peer specialist's caseload on `on` with `person` added, against the limit."""
    from peerpath.staff.models import CaseloadAssignment

    load = caseloads([staff_id], on, on)[staff_id]
    already = (
        CaseloadAssignment.objects.filter(staff_id=staff_id, person_id=person_id, start__lte=on)
        .exclude(end__lt=on)
        .exists()
    )
    pack = staff_packs([staff_id], on).get(staff_id)
    count = load.today + (0 if already else 1)
    return RatioCheck(count, limit_figure(pack, "ratios.cpss_to_people", on))


# ---- decision timeframes ------------------------------------------------------------------

READS["decision_clock"] = ("decision.expedited_hours", "decision.standard_days")
READS["outcome_instruments"] = ("outcomes.instruments",)


@dataclass(frozen=True)
class Timeframe:
    """How long a payer has to decide a request received on a day, by the pack judging the
    person then (CMS-0057-F from 2026-01-01): `delta` None when no timeframe applies."""

    pack_id: str
    delta: dt.timedelta | None
    words: str
    citation: Citation | None


def decision_timeframe(person_id: int, received: dt.date, *, expedited: bool) -> Timeframe | None:
    return decision_timeframes([(person_id, received, expedited)])[0]


def decision_timeframes(
    requests: Sequence[tuple[int, dt.date, bool]],
) -> list[Timeframe | None]:
    """The timeframe of each (person id, day received, expedited) in one run."""
    from .api import assigned

    found = assigned([r[0] for r in requests])
    return [_timeframe(found.on(pid, day), day, expedited) for pid, day, expedited in requests]


def _timeframe(chosen: object, received: dt.date, expedited: bool) -> Timeframe | None:
    pack = getattr(chosen, "pack", None)
    if not isinstance(pack, Pack):
        return None
    key = "decision.expedited_hours" if expedited else "decision.standard_days"
    try:
        value = pack.value(key, received)
        citation: Citation | None = citation_for(pack, key, received)
    except LookupError:
        return Timeframe(pack.id, None, "", None)
    number = _whole(value)
    if number is None:
        return Timeframe(pack.id, None, "", citation)
    if expedited:
        return Timeframe(
            pack.id, dt.timedelta(hours=number), f"{number} hours (expedited)", citation
        )
    return Timeframe(
        pack.id, dt.timedelta(days=number), f"{number} calendar days (standard)", citation
    )


def outcome_instruments(person_id: int, on: dt.date) -> tuple[tuple[str, ...], Citation | None]:
    """The outcome instruments the pack judging the person names on `on`, with the citation."""
    from .api import pack_in_force

    chosen = pack_in_force(person_id, on)
    if chosen is None:
        return (), None
    value = chosen.pack.value("outcomes.instruments", on)
    names = tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()
    return names, citation_for(chosen.pack, "outcomes.instruments", on)
