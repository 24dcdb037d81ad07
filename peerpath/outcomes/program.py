"""The program's view of outcomes: change from each person's first to latest measure
(paired, with a 95% confidence interval), the share reaching the threshold, by peer
specialist, by payer and by units of peer support received (dose-response bands), with the
counts shown. Exports suppress cells under 11 people, as CMS does for small cells.

Reads stored scores and the units the policy engine counted when each measure was recorded
(`Administration.units_before`), so it needs three queries for any number of people.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from peerpath.organizations.models import Payer
from peerpath.people.models import Person
from peerpath.staff.models import CaseloadAssignment, StaffMember

from .instruments import Instrument, instrument
from .models import Administration, Status

SMALL_CELL = 11  # CMS suppresses cells under 11 in public data
# Dose-response bands: units received between the first and the latest measure (15-minute
# units). A screen choice, not policy.
DOSE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 25 units"),
    (25, "25 to 49 units"),
    (50, "50 to 99 units"),
    (100, "100 units or more"),
)
# Student's t, two-sided 95%, by degrees of freedom (beyond 30: the next lower row, which
# errs on the wide side; beyond 120: the normal value).
_T = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
      9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
      17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
      25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
      120: 1.980}  # fmt: skip
_T_KEYS = sorted(_T)


def t95(df: int) -> float:
    if df < 1:
        return math.nan
    if df > 120:
        return 1.960
    return _T[_T_KEYS[bisect.bisect_right(_T_KEYS, df) - 1]]


def mean_ci(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Mean and its 95% confidence interval (t); None where there are too few values."""
    if not values:
        return None, None, None
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = t95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def wilson(k: int, n: int) -> tuple[float | None, float | None]:
    """95% Wilson interval of a share k/n."""
    if n == 0:
        return None, None
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PersonChange:
    person_id: int
    first: float
    latest: float
    first_reached: bool
    latest_reached: bool
    measures: int
    units: int  # between the first and the latest measure

    @property
    def paired(self) -> bool:
        return self.measures >= 2

    @property
    def change(self) -> float:
        return self.latest - self.first


@dataclass
class Group:
    """One row of the program view: a set of people and what their measures show. The
    figures are computed once, on first use, in one pass over the paired people."""

    label: str
    people: list[PersonChange] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.people)

    @cached_property
    def paired(self) -> list[PersonChange]:
        return [p for p in self.people if p.measures >= 2]

    @property
    def n_paired(self) -> int:
        return len(self.paired)

    @property
    def small(self) -> bool:
        return self.n_paired < SMALL_CELL

    @cached_property
    def _sums(self) -> tuple[float, float, float, float, int, int, float]:
        first = latest = change = change_sq = units = 0.0
        reached_first = reached_latest = 0
        for p in self.paired:
            d = p.latest - p.first
            first += p.first
            latest += p.latest
            change += d
            change_sq += d * d
            units += p.units
            reached_first += p.first_reached
            reached_latest += p.latest_reached
        return first, latest, change, change_sq, reached_first, reached_latest, units

    def _mean(self, total: float) -> float | None:
        return total / self.n_paired if self.n_paired else None

    @property
    def first_mean(self) -> float | None:
        return self._mean(self._sums[0])

    @property
    def latest_mean(self) -> float | None:
        return self._mean(self._sums[1])

    @cached_property
    def change(self) -> tuple[float | None, float | None, float | None]:
        n = self.n_paired
        _, _, total, squares, _, _, _ = self._sums
        if n == 0:
            return None, None, None
        mean = total / n
        if n < 2:
            return mean, None, None
        variance = max(0.0, (squares - n * mean * mean) / (n - 1))
        half = t95(n - 1) * math.sqrt(variance / n)
        return mean, mean - half, mean + half

    @property
    def reached_first(self) -> int:
        return self._sums[4]

    @property
    def reached_latest(self) -> int:
        return self._sums[5]

    @property
    def share_first(self) -> float | None:
        return self._mean(self.reached_first)

    @property
    def share_latest(self) -> float | None:
        return self._mean(self.reached_latest)

    @property
    def share_latest_ci(self) -> tuple[float | None, float | None]:
        return wilson(self.reached_latest, self.n_paired)

    @property
    def mean_units(self) -> float | None:
        return self._mean(self._sums[6])

    @property
    def shown(self) -> dict[str, object]:
        """The row's figures rounded for the page (one decimal; shares in percent)."""

        def r(value: float | None, digits: int = 1) -> float | None:
            return None if value is None else round(value, digits)

        change, low, high = self.change
        share_low, share_high = self.share_latest_ci
        pct = [None if v is None else round(v * 100) for v in (
            self.share_first, self.share_latest, share_low, share_high)]  # fmt: skip
        return {
            "first": r(self.first_mean),
            "latest": r(self.latest_mean),
            "change": r(change),
            "change_signed": "" if change is None else f"{change:+.1f}",
            "low": r(low),
            "high": r(high),
            "share_first": pct[0],
            "share_latest": pct[1],
            "share_low": pct[2],
            "share_high": pct[3],
            "units": r(self.mean_units, 0),
        }


@dataclass
class ProgramView:
    instrument: Instrument
    overall: Group
    by_peer: list[Group]
    by_payer: list[Group]
    by_dose: list[Group]
    people_in_scope: int
    mhsip: list[tuple[str, int, int]]  # domain label, positive, scored (latest survey each)

    @property
    def measured(self) -> int:
        return self.overall.n

    @property
    def not_measured(self) -> int:
        return self.people_in_scope - self.overall.n


def dose_band(units: int) -> str:
    label = DOSE_BANDS[0][1]
    for floor, name in DOSE_BANDS:
        if units >= floor:
            label = name
    return label


def changes(
    rows: Iterable[tuple[int, float | None, bool | None, int | None]],
) -> list[PersonChange]:
    """Each person's first and latest scored measure, from rows (person id, total, reached,
    units before) ordered by person and date."""
    by_person: dict[int, list[tuple[float, bool, int]]] = defaultdict(list)
    for pid, total, reached, units in rows:
        if total is not None:
            by_person[pid].append((float(total), bool(reached), int(units or 0)))
    out = []
    for pid, seq in by_person.items():
        first, latest = seq[0], seq[-1]
        units = sum(u for _, _, u in seq[1:])
        out.append(PersonChange(pid, first[0], latest[0], first[1], latest[1], len(seq), units))
    return out


def _rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query straight from the database cursor: without Django's
    per-value converters, which cost more than the query at thousands of rows. Only for
    columns that need no conversion (ids, numbers, text; booleans come as 0 or 1)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def program_view(people: QuerySet[Person], *, code: str = "BARC-10") -> ProgramView:
    """The program view over `people` (the user's scope)."""
    inst = instrument(code)
    ids = people.values("pk")
    rows = (
        Administration.objects.filter(
            person_id__in=ids, instrument=code, status=Status.COMPLETED, total__isnull=False
        )
        .order_by("person_id", "date", "pk")
        .values_list("person_id", "total", "reached", "units_before")
    )
    found = changes(_rows(rows))
    payers = dict(Payer.objects.values_list("pk", "name"))
    info = {pk: payers.get(payer, "") for pk, payer in _rows(people.values_list("pk", "payer_id"))}
    assigned: dict[int, int] = {}
    for pid, staff_id in _rows(
        CaseloadAssignment.objects.filter(person_id__in=ids)
        .order_by("person_id", "start")
        .values_list("person_id", "staff_id")
    ):
        assigned[pid] = staff_id  # the latest assignment wins
    names = {
        pk: f"{first} {last}"
        for pk, first, last in StaffMember.objects.filter(
            pk__in=set(assigned.values())
        ).values_list("pk", "first_name", "last_name")
    }
    peers = {pid: names.get(staff_id, "") for pid, staff_id in assigned.items()}
    overall = Group("Everyone measured", found)
    by_peer: dict[str, Group] = {}
    by_payer: dict[str, Group] = {}
    by_dose: dict[str, Group] = {label: Group(label) for _, label in DOSE_BANDS}
    for change in found:
        peer = peers.get(change.person_id, "No peer specialist on record")
        by_peer.setdefault(peer, Group(peer)).people.append(change)
        payer = info.get(change.person_id) or "No payer"
        by_payer.setdefault(payer, Group(payer)).people.append(change)
        if change.paired:
            by_dose[dose_band(change.units)].people.append(change)
    return ProgramView(
        inst,
        overall,
        sorted(by_peer.values(), key=lambda g: g.label),
        sorted(by_payer.values(), key=lambda g: g.label),
        list(by_dose.values()),
        len(info),
        mhsip_positive(ids),
    )


def mhsip_positive(ids: object) -> list[tuple[str, int, int]]:
    """Percent positive per MHSIP domain over each person's latest completed survey."""
    try:
        inst = instrument("MHSIP")
    except KeyError:
        return []
    latest: dict[int, dict[str, dict[str, object]]] = {}
    for pid, scores in (
        Administration.objects.filter(
            person_id__in=ids, instrument="MHSIP", status=Status.COMPLETED
        )
        .order_by("person_id", "date", "pk")
        .values_list("person_id", "scores")
    ):
        latest[pid] = (scores or {}).get("domains", {})
    out = []
    for d in inst.domains:
        scored = [v[d.code] for v in latest.values() if v.get(d.code, {}).get("mean") is not None]
        out.append((d.label, sum(1 for s in scored if s.get("positive")), len(scored)))
    return out


def suppressed(count: int, value: str) -> str:
    """A cell for an export: the value, or a note that it is suppressed (under 11 people)."""
    return value if count >= SMALL_CELL else f"suppressed (fewer than {SMALL_CELL})"
