"""The demo agency has measures for most people, tied to the services they received."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from peerpath.demo.generator import generate
from peerpath.outcomes.models import Administration, Answer
from peerpath.outcomes.program import program_view
from peerpath.people.models import Person
from peerpath.policy.api import measures_due

END = dt.date(2026, 9, 30)


@pytest.mark.django_db
def test_demo_measures_most_people_with_change_tied_to_units() -> None:
    report = generate(people=120, months=8, seed=4, end=END, defect_rate=0)
    assert report.counts["outcomes.Administration"] > 120
    people = Person.objects.count()
    measured = Administration.objects.filter(status="completed").values("person").distinct().count()
    assert 0.75 * people <= measured < people  # most, not all
    assert (
        Administration.objects.filter(status__in=("refused", "skipped")).exclude(reason="").exists()
    )
    # Every completed measure's answers add up to its stored total (or were prorated).
    for record in Administration.objects.filter(status="completed")[:50]:
        values = list(Answer.objects.filter(administration=record).values_list("value", flat=True))
        assert (len(values) == 10 and record.total == sum(values)) or record.scores["prorated"]
    view = program_view(Person.objects.all())
    paired = view.overall.paired
    assert len(paired) >= 40
    by_units = sorted(paired, key=lambda c: c.units)
    half = len(by_units) // 2
    low = statistics.fmean(c.change for c in by_units[:half])
    high = statistics.fmean(c.change for c in by_units[half:])
    assert high > low + 2  # more peer support, more change
    assert view.overall.change[0] is not None and view.overall.change[0] > 0
    # The demo is alive: measures are due the day after it ends.
    assert measures_due(list(Person.objects.all()), on=END + dt.timedelta(days=1))
