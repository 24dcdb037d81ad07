"""Reads for the outcome pages: a person's measures with the services received between
them, and what is due. Units come from the policy engine (peerpath.policy.api)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from peerpath.people.models import Episode, Person
from peerpath.policy.api import MeasureDue, measures_due, signed_units
from peerpath.services.models import NoteStatus, ServiceNote

from .instruments import Instrument, instruments
from .models import Administration, Status


@dataclass(frozen=True)
class Point:
    administration: Administration
    units_since: int  # units signed since the previous point (or admission)
    groups_since: int


@dataclass(frozen=True)
class Month:
    month: dt.date
    units: int
    groups: int


@dataclass
class PersonOutcomes:
    person: Person
    on: dt.date
    admitted: dt.date | None
    by_instrument: dict[str, list[Administration]] = field(default_factory=dict)
    points: dict[str, list[Point]] = field(default_factory=dict)
    months: list[Month] = field(default_factory=list)
    due: list[MeasureDue] = field(default_factory=list)

    def instrument(self, code: str) -> Instrument:
        return instruments()[code]

    @property
    def barc(self) -> list[Point]:
        return self.points.get("BARC-10", [])

    @property
    def mhsip(self) -> list[Point]:
        return self.points.get("MHSIP", [])

    @property
    def declined(self) -> list[Administration]:
        return [
            a
            for rows in self.by_instrument.values()
            for a in rows
            if a.status in (Status.REFUSED, Status.SKIPPED)
        ]

    @property
    def mhsip_domains(self) -> list[tuple[str, list[tuple[Administration, object]]]]:
        """Each MHSIP domain with its mean at each completed survey (None when dropped)."""
        inst = instruments().get("MHSIP")
        if inst is None:
            return []
        out = []
        for d in inst.domains:
            row = []
            for p in self.mhsip:
                found = p.administration.scores.get("domains", {}).get(d.code, {})
                row.append((p.administration, found))
            out.append((d.label, row))
        return out


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def person_outcomes(person: Person, *, on: dt.date) -> PersonOutcomes:
    """A person's measures, the units and groups received between them (by the policy
    engine's unit count) and by month, and the measures due now."""
    admitted = (
        Episode.objects.filter(person=person, start__lte=on)
        .order_by("-start")
        .values_list("start", flat=True)
        .first()
    )
    result = PersonOutcomes(person, on, admitted)
    for a in Administration.objects.filter(person=person).exclude(status=Status.IN_PROGRESS):
        result.by_instrument.setdefault(a.instrument, []).append(a)
    first_day = min(
        [admitted or on] + [a.date for rows in result.by_instrument.values() for a in rows]
    )
    units = signed_units([person.pk], first_day, on).get(person.pk, [])
    groups = list(
        ServiceNote.objects.filter(
            person=person, kind="group", status=NoteStatus.SIGNED, date__gte=first_day
        ).values_list("date", flat=True)
    )
    by_month: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for day, n in units:
        by_month[_month(day)][0] += n
    for day in groups:
        by_month[_month(day)][1] += 1
    result.months = [Month(m, u, g) for m, (u, g) in sorted(by_month.items())]
    for code, rows in result.by_instrument.items():
        done = [a for a in rows if a.status == Status.COMPLETED]
        points: list[Point] = []
        since = admitted or first_day
        for a in done:
            u = sum(n for day, n in units if since <= day < a.date)
            g = sum(1 for day in groups if since <= day < a.date)
            points.append(Point(a, u, g))
            since = a.date
        result.points[code] = points
    result.due = measures_due([person], on=on)
    return result
