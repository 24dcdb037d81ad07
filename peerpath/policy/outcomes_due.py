"""Outcome measures due, a named engine relation: which instruments the pack (and contract
variant) judging each person names (`outcomes.instruments`), and when it says they are due
(`outcomes.schedule`: at admission, every N days, at fixed months after admission as in the
SAMHSA intake / 6 months / discharge pattern, at discharge). An agency sets its own schedule
through a contract override of `outcomes.schedule`, without code.

An occasion is met by any administration on record (completed, or refused or skipped with a
reason): a person's choice not to answer closes the occasion.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from peerpath.core import formatting as fmt
from peerpath.people.models import Episode, Person

from .engine import Citation
from .relations import add_months

READS: dict[str, tuple[str, ...]] = {
    "due.outcome": ("outcomes.instruments", "outcomes.schedule"),
}
# Administrations this many days before admission still count as the admission measure
# (a measure taken at intake, a few days before the episode was opened).
EARLY_DAYS = 14
DEFAULT_WINDOW = 30


@dataclass(frozen=True)
class Occasion:
    """The next occasion an instrument is due for a person: `occasion` is admission,
    follow_up or discharge; `due` the last day it may be done on."""

    occasion: str
    due: dt.date
    what: str


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def next_occasion(
    schedule: Mapping[str, object],
    *,
    admitted: dt.date,
    discharged: dt.date | None,
    done: Sequence[dt.date],
) -> Occasion | None:
    """The next occasion due under `schedule` for an episode from `admitted` (to
    `discharged`, if known), given the dates of administrations on record. Pure: no database."""
    window = _int(schedule.get("admission_within_days"))
    window = DEFAULT_WINDOW if window is None else window
    since = sorted(d for d in done if d >= admitted - dt.timedelta(days=EARLY_DAYS))
    if discharged is not None:
        if not schedule.get("discharge"):
            return None
        if any(d >= discharged - dt.timedelta(days=window) for d in since):
            return None
        return Occasion("discharge", discharged, f"At discharge ({fmt.day(discharged)})")
    if schedule.get("admission") and not since:
        return Occasion(
            "admission",
            admitted + dt.timedelta(days=window),
            f"At admission (admitted {fmt.day(admitted)})",
        )
    found: list[Occasion] = []
    every = _int(schedule.get("every_days"))
    if every:
        last = since[-1] if since else admitted
        what = f"Every {every} days (last one {fmt.day(last)})" if since else f"Every {every} days"
        found.append(Occasion("follow_up", last + dt.timedelta(days=every), what))
    months = schedule.get("at_months")
    if isinstance(months, list | tuple):
        for m in sorted(x for x in months if _int(x)):
            target = add_months(admitted, int(m))
            if not any(d >= target - dt.timedelta(days=window) for d in since):
                found.append(Occasion("follow_up", target, f"{m} months after admission"))
                break
    return min(found, key=lambda o: o.due) if found else None


@dataclass(frozen=True)
class MeasureDue:
    person: Person
    instrument: str
    occasion: Occasion
    citation: Citation


def measures_due(
    people: Mapping[int, Person] | Iterable[Person], *, on: dt.date, soon_days: int = 14
) -> list[MeasureDue]:
    """The measures due (or overdue) within `soon_days` for these people on `on`, by the pack
    judging each of them that day. Three queries and one run of the assignment relation."""
    from peerpath.outcomes.instruments import instruments
    from peerpath.outcomes.models import DONE_STATUSES, Administration

    from .due import PackCache

    by_id = dict(people) if isinstance(people, Mapping) else {p.pk: p for p in people}
    if not by_id:
        return []
    packs = PackCache(on, sorted(by_id))
    known = instruments()
    episodes: dict[int, tuple[dt.date, dt.date | None]] = {}
    rows: Iterable[tuple[int, dt.date, dt.date | None, dt.date | None]] = (
        Episode.objects.filter(person_id__in=list(by_id), start__lte=on)
        .order_by("person_id", "start")
        .values_list("person_id", "start", "end", "discharge__date")
    )
    for pid, start, end, discharged in rows:
        episodes[pid] = (start, discharged or end)  # the latest episode begun by `on`
    done: dict[tuple[int, str], list[dt.date]] = defaultdict(list)
    for pid, code, day in Administration.objects.filter(
        person_id__in=list(by_id), status__in=DONE_STATUSES
    ).values_list("person_id", "instrument", "date"):
        done[(pid, code)].append(day)
    out: list[MeasureDue] = []
    for pid, person in by_id.items():
        episode = episodes.get(pid)
        named = packs.person(pid, "outcomes.instruments")
        schedule = packs.person(pid, "outcomes.schedule")
        if episode is None or named is None or schedule is None:
            continue
        if not isinstance(named[0], list | tuple) or not isinstance(schedule[0], Mapping):
            continue
        admitted, discharged = episode
        if discharged is not None and discharged < on - dt.timedelta(days=DEFAULT_WINDOW):
            continue  # discharged long ago: nothing more is asked
        for code in (str(c) for c in named[0] if str(c) in known):
            found = next_occasion(
                schedule[0], admitted=admitted, discharged=discharged, done=done[(pid, code)]
            )
            if found is not None and found.due <= on + dt.timedelta(days=soon_days):
                out.append(MeasureDue(person, code, found, schedule[1]))
    out.sort(key=lambda m: (m.occasion.due, m.person.last_name, m.instrument))
    return out
