"""Figures from the policy pack in force, with their citations, as the board reads them."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from peerpath.policy.engine import Citation, citation_for
from peerpath.policy.parameters import Pack, ParameterValue, load_packs, select_pack


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; a day the month lacks becomes its last day (as the
    rules count: six months after 31 August is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class PackCache:
    """The pack in force per state on one day, looked up once."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self._packs: dict[str, Pack | None] = {}

    def pack(self, state: str | None) -> Pack | None:
        key = (state or "").upper()
        if key not in self._packs:
            try:
                self._packs[key] = select_pack(load_packs(), key, self.on)
            except LookupError:
                self._packs[key] = None
        return self._packs[key]

    def figure(self, state: str | None, key: str) -> tuple[object, Citation] | None:
        """The parameter's value on the day and its citation; None when no pack is in force
        or the pack states no figure (value null)."""
        pack = self.pack(state)
        if pack is None:
            return None
        try:
            entry = pack.entry(key, self.on)
        except LookupError:
            return None
        if entry.value is None:
            return None
        return entry.value, citation_for(pack, key, self.on)


@dataclass(frozen=True)
class Figure:
    """A pack figure as the board shows it: the enforced value with its citation, and the
    values other sources give (shown, not enforced)."""

    key: str
    label: str
    value: int
    citation: Citation
    pack_id: str
    alternatives: tuple[tuple[object, str], ...] = ()  # (value, "source, section (confidence)")


def figure(pack: Pack | None, key: str, on: dt.date) -> Figure | None:
    if pack is None:
        return None
    try:
        entry: ParameterValue = pack.entry(key, on)
    except LookupError:
        return None
    if not isinstance(entry.value, int) or isinstance(entry.value, bool):
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


def limit_segments(
    state: str, key: str, lo: dt.date, hi: dt.date
) -> list[tuple[dt.date, dt.date, int | None]]:
    """The parameter's value over [lo, hi] as (first, last, value) stretches: the pack in
    force may change inside the period, and so may its value."""
    out: list[tuple[dt.date, dt.date, int | None]] = []
    packs = load_packs()
    day = lo
    while day <= hi:
        try:
            pack = select_pack(packs, state, day)
            entry = pack.entry(key, day)
        except LookupError:
            out.append((day, hi, None))
            break
        last = min(x for x in (hi, entry.end, pack.end) if x is not None)
        value = entry.value if isinstance(entry.value, int) else None
        out.append((day, last, value))
        day = last + dt.timedelta(days=1)
    return out
