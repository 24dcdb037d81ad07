"""Outcome measures for the demo agency (called by peerpath.demo.generator per team).

A plausible pattern, not real data: each person starts with a BARC-10 total around the low
thirties; it rises with the units of peer support they received since admission (about one
point per eight units, levelling off), plus noise.

Measures keep the schedule the policy engine gives (`next_occasion` over the pack's
`outcomes.schedule`, the same relation the board's due list runs): each occasion is met on
or a little before its last day, so nothing is overdue the day after the demo ends but the
occasions left undone on purpose (`plant`), which the generator records as planted defects.
Occasions whose last day is still ahead may be left for the peer's day (due soon). About one
person in ten declines every measure (refused with a reason, which closes the occasion), some
follow-ups are refused or skipped with a reason, some items left unanswered. Its own random
stream (from the seed and the team), so the rest of the demo is the same with or without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peerpath.policy.api import next_occasion

from .instruments import instrument
from .scoring import score

DAY = dt.timedelta(days=1)
EARLY = 14  # days before an occasion's last day a follow-up may be done
LATE_DONE = 20  # ... and how far into the admission window the first one may fall
REASONS = {
    "refused": (
        "Did not want to answer questions today.",
        "Said the questions felt too personal this time.",
        "Preferred to talk about the job interview instead.",
    ),
    "skipped": (
        "Visit cut short: the person had a medical appointment.",
        "Met by phone with a poor line; will try next visit.",
        "Person was in crisis; we focused on safety.",
    ),
}


@dataclass(frozen=True)
class DemoPerson:
    """What the generator knows of a person: the record, their dates, who served them, their
    signed notes as (day, units), and whether an overdue measure may be planted on them (a
    person with no other defect, on a caseload the day after the demo ends)."""

    person: Any
    admission: dt.date
    discharge: dt.date | None
    staff: Callable[[dt.date], Any]
    signed: Sequence[tuple[dt.date, int]]
    may_plant: bool = False


@dataclass(frozen=True)
class Overdue:
    """A measure left undone on purpose: its occasion's last day was `due` (before the day
    after the demo ends), so the board shows it overdue."""

    person: DemoPerson
    instrument: str
    due: dt.date
    what: str


@dataclass
class Measures:
    made: int
    overdue: list[Overdue]


def _answers(rng: random.Random, total: int, items: int = 10) -> list[int]:
    """Ten answers from 1 to 6 adding up to `total` (10 to 60)."""
    values = [1] * items
    left = total - items
    while left > 0:
        i = rng.randrange(items)
        if values[i] < 6:
            values[i] += 1
            left -= 1
    return values


def _occasions(
    p: DemoPerson, schedule: Mapping[str, object], end: dt.date, rng: random.Random
) -> list[tuple[dt.date, str, dt.date, str]]:
    """The days measures are taken on, as (day, occasion, last day, what): each occasion the
    engine names next is met on or before its last day, until the next one falls after
    `end` (or after the discharge); then the discharge measure, if the schedule asks one."""
    out: list[tuple[dt.date, str, dt.date, str]] = []
    done: list[dt.date] = []
    last = min(p.discharge, end) if p.discharge is not None else end
    while True:
        found = next_occasion(schedule, admitted=p.admission, discharged=None, done=done)
        if found is None:
            break
        after = done[-1] + DAY if done else p.admission
        if found.occasion == "admission":
            lo = p.admission
            hi = min(found.due, p.admission + LATE_DONE * DAY)
        else:
            lo, hi = max(after, found.due - EARLY * DAY), found.due
        hi = max(lo, hi)
        day = lo + DAY * rng.randint(0, (hi - lo).days)
        if day > last:
            break
        out.append((day, found.occasion, found.due, found.what))
        done.append(day)
    if p.discharge is not None and p.discharge <= end:
        closing = next_occasion(schedule, admitted=p.admission, discharged=p.discharge, done=done)
        if closing is not None:
            day = max(p.admission, p.discharge - DAY * rng.randint(0, 10))
            out.append((day, "discharge", closing.due, closing.what))
    return out


def _plant(
    chosen: list[tuple[dt.date, str, dt.date, str]], end: dt.date
) -> tuple[list[tuple[dt.date, str, dt.date, str]], tuple[dt.date, str] | None]:
    """Leave the last follow-up whose last day is at least a week before the day after `end`
    undone (and none after it): the occasions kept, and the one left undone."""
    for i in range(len(chosen) - 1, -1, -1):
        _, occasion, due, what = chosen[i]
        if occasion == "follow_up" and due <= end - 7 * DAY:
            return chosen[:i], (due, what)
    return chosen, None


def add_measures(
    new: Callable[..., Any],
    people: Sequence[DemoPerson],
    *,
    end: dt.date,
    seed: int,
    schedule: Mapping[str, object],
    plant: int = 0,
) -> Measures:
    """Create the BARC-10 measures (administrations and answers) of these people with
    `new(Model, **values)` on the engine's `schedule`, leaving `plant` people (of those who
    `may_plant`) with one follow-up overdue the day after `end`; say what was made."""
    from .models import Administration, Answer

    barc = instrument("BARC-10")
    rng = random.Random(seed)
    planned = [(p, _occasions(p, schedule, end, rng)) for p in people]
    # Planted on people who have a follow-up that can be left overdue.
    candidates = [i for i, (p, days) in enumerate(planned) if p.may_plant and _plant(days, end)[1]]
    planted_on = set(rng.sample(candidates, min(plant, len(candidates))))
    made = 0
    overdue: list[Overdue] = []
    for i, (p, days) in enumerate(planned):
        declines = rng.random() < 0.10  # declines every measure, each time with a reason
        base = min(50, max(12, round(rng.gauss(32, 6))))
        gain_per_unit = max(0.0, rng.gauss(0.12, 0.05))
        previous = p.admission
        if i in planted_on:
            days, left = _plant(days, end)
            if left is not None:  # always, as the candidates were chosen
                overdue.append(Overdue(p, barc.code, *left))
        for day, occasion, _, _ in days:
            staff = p.staff(day)
            stamp = dt.datetime.combine(day, dt.time(11, 0), tzinfo=dt.UTC)
            mode = "phone" if rng.random() < 0.8 else "paper"
            common = dict(
                person=p.person, instrument=barc.code, occasion=occasion, date=day, staff=staff,
                started_at=stamp, completed_at=stamp, mode=mode,
            )  # fmt: skip
            roll = rng.random()
            if declines or (occasion != "admission" and roll < 0.07):
                status = "refused" if declines or roll < 0.04 else "skipped"
                new(Administration, status=status, reason=rng.choice(REASONS[status]), **common)
                made += 1
                continue
            units_so_far = sum(u for d, u in p.signed if d < day)
            between = sum(u for d, u in p.signed if previous <= d < day)
            gain = min(20.0, gain_per_unit * units_so_far)
            total = min(60, max(10, round(base + gain + rng.gauss(0, 3))))
            values = _answers(rng, total)
            answers: dict[int, int | None] = dict(zip(barc.item_numbers, values, strict=True))
            if rng.random() < 0.05:
                answers[rng.choice(barc.item_numbers)] = None  # one item left unanswered
            result = score(barc, answers)
            record = new(
                Administration,
                status="completed",
                total=result.total,
                reached=result.reached,
                scores=result.as_dict(),
                units_before=between,
                **common,
            )
            for item, value in answers.items():
                if value is not None:
                    new(Answer, administration=record, item=item, value=value)
            previous = day
            made += 1
    return Measures(made, overdue)
