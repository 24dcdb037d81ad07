"""Outcome measures for the demo agency (called by peerpath.demo.generator per team).

A plausible pattern, not real data: each person starts with a BARC-10 total around the low
thirties; it rises with the units of peer support they received since admission (about one
point per eight units, levelling off), plus noise. Measures follow the packs' schedule (at
admission, then about every 90 days, at discharge). About one person in eight has none; some
occasions are refused or skipped with a reason, and some follow-ups are simply late, so peers
have measures due today. Its own random stream (from the seed and the team), so the rest of
the demo is the same with or without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .instruments import instrument
from .scoring import score

DAY = dt.timedelta(days=1)
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
    """What the generator knows of a person: the record, their dates, who served them, and
    their signed notes as (day, units)."""

    person: Any
    admission: dt.date
    discharge: dt.date | None
    staff: Callable[[dt.date], Any]
    signed: Sequence[tuple[dt.date, int]]


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


def _occasions(p: DemoPerson, end: dt.date, rng: random.Random) -> list[tuple[dt.date, str]]:
    start = max(p.admission, p.admission + DAY * rng.randint(0, 20))
    days: list[tuple[dt.date, str]] = [(start, "admission")] if start <= end else []
    last = p.discharge or end
    day = start + DAY * rng.randint(84, 96)
    while day <= last and day <= end:
        days.append((day, "follow_up"))
        day += DAY * rng.randint(84, 100)
    if (
        p.discharge is not None
        and p.discharge <= end
        and (not days or days[-1][0] < p.discharge - 30 * DAY)
    ):
        days.append((p.discharge, "discharge"))
    if days and days[-1][1] == "follow_up" and rng.random() < 0.2:
        days.pop()  # a follow-up not done yet: due (or overdue) on the peer's day
    return days


def add_measures(
    new: Callable[..., Any], people: Sequence[DemoPerson], *, end: dt.date, seed: int
) -> int:
    """Create the measures (administrations and answers) of these people with `new(Model,
    **values)`; return how many administrations were made."""
    from .models import Administration, Answer

    barc = instrument("BARC-10")
    rng = random.Random(seed)
    made = 0
    for p in people:
        if rng.random() < 0.12:
            continue  # never measured
        base = min(50, max(12, round(rng.gauss(32, 6))))
        gain_per_unit = max(0.0, rng.gauss(0.12, 0.05))
        previous = p.admission
        for day, occasion in _occasions(p, end, rng):
            staff = p.staff(day)
            stamp = dt.datetime.combine(day, dt.time(11, 0), tzinfo=dt.UTC)
            mode = "phone" if rng.random() < 0.8 else "paper"
            common = dict(
                person=p.person, instrument=barc.code, occasion=occasion, date=day, staff=staff,
                started_at=stamp, completed_at=stamp, mode=mode,
            )  # fmt: skip
            roll = rng.random()
            if occasion != "admission" and roll < 0.07:
                status = "refused" if roll < 0.04 else "skipped"
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
    return made
