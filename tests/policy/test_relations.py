"""The engine's named relations: head-counts by day (the event sweep in SQL the ratio rules
also read) and the limits of the pack in force on each day, and month steps."""

import datetime as dt

import pytest

from peerpath.policy.engine import EVALUATOR
from peerpath.policy.relations import _limit_segments, _summarize, add_months
from peerpath.policy.rules.staffing import caseload_spans, headcount_stretches
from peerpath.policy.tables import OPEN_END, rows_to_table

D = dt.date
LO, HI = D(2026, 4, 1), D(2026, 4, 30)


def headcount(spans, limits, lo, hi):
    """The engine's relation over caseload rows of one peer specialist (id 1)."""
    data = {
        "staff": rows_to_table("staff", [{"staff_id": 1, "role": "cpss", "state": "NC"}]),
        "caseloads": rows_to_table(
            "caseloads",
            [
                {"assignment_id": i, "staff_id": 1, "person_id": p, "start": s, "end": e}
                for i, (p, s, e) in enumerate(spans, 1)
            ],
        ),
    }
    table = EVALUATOR.relation(
        "headcount.test", lambda t: headcount_stretches(caseload_spans(t)), data, as_of=hi
    )
    stretches = [(r["day"], r["last"], int(r["count"])) for r in table.to_pylist()]
    return _summarize(stretches, limits, lo, hi)


def test_headcount_finds_today_the_peak_and_the_days_over_the_limit():
    spans = [
        (1, D(2026, 1, 1), None),
        (2, D(2026, 1, 1), None),
        (3, D(2026, 4, 10), D(2026, 4, 19)),  # a third person for ten days
    ]
    load = headcount(spans, [(LO, HI, 2)], LO, HI)
    assert (load.today, load.peak, load.peak_on) == (2, 3, D(2026, 4, 10))
    assert (load.days_over, load.first_over, load.limit_today) == (10, D(2026, 4, 10), 2)
    assert not load.over_today and load.room == 0
    assert [load.on(D(2026, 4, d)) for d in (9, 10, 19, 20)] == [2, 3, 3, 2]


def test_a_person_listed_twice_counts_once_and_spans_outside_the_period_do_not_count():
    spans = [
        (1, D(2026, 1, 1), D(2026, 4, 15)),
        (1, D(2026, 4, 10), None),  # overlapping spans of the same person
        (2, D(2026, 1, 1), D(2026, 3, 31)),  # ended before the period
        (3, D(2026, 5, 1), None),  # starts after it
    ]
    load = headcount(spans, [(LO, HI, 1)], LO, HI)
    assert (load.today, load.peak, load.days_over) == (1, 1, 0)


def test_days_over_follow_the_limit_in_force_on_each_day():
    spans = [(n, D(2026, 1, 1), None) for n in range(13)]
    limits = [(LO, D(2026, 4, 19), 15), (D(2026, 4, 20), HI, 12)]
    load = headcount(spans, limits, LO, HI)
    assert (load.days_over, load.first_over, load.limit_today) == (11, D(2026, 4, 20), 12)
    assert load.over_today


def test_an_empty_caseload_counts_zero():
    load = _summarize([], [(LO, HI, 12)], LO, HI)
    assert (load.today, load.peak, load.days_over, load.peak_on) == (0, 0, 0, None)


def test_the_caseload_limit_changes_where_the_nc_packs_change():
    # nc-8g-2019 ends 2025-04-29; nc-8g-2025 inherits its 1:12 from the next day.
    open_end = D.fromisoformat(OPEN_END)
    spans = [
        {"start": D(2018, 9, 10), "end": D(2019, 10, 31), "pack_id": "nc-pss-2018"},
        {"start": D(2019, 11, 1), "end": D(2025, 4, 29), "pack_id": "nc-8g-2019"},
        {"start": D(2025, 4, 30), "end": open_end, "pack_id": "nc-8g-2025"},
    ]
    segments = _limit_segments(spans, "ratios.cpss_to_people", D(2019, 10, 1), D(2025, 5, 10))
    assert segments == [
        (D(2019, 10, 1), D(2019, 10, 31), 25),  # the 2018 draft
        (D(2019, 11, 1), D(2025, 4, 29), 12),
        (D(2025, 4, 30), D(2025, 5, 10), 12),
    ]


def test_months_are_added_as_the_rules_add_them():
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)


@pytest.mark.parametrize(("minutes", "units"), [(7, 0), (8, 1), (22, 1), (23, 2), (45, 3)])
def test_units_from_minutes_follow_the_pack(minutes, units):
    from peerpath.policy.api import units_counter

    assert units_counter("NC", D(2026, 4, 1))(minutes) == units
