"""Counting a caseload on every day of a period (the board's event sweep), and month steps."""

import datetime as dt

from peerpath.staff.figures import add_months, limit_segments
from peerpath.staff.selectors import headcount

D = dt.date
LO, HI = D(2026, 4, 1), D(2026, 4, 30)


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
    load = headcount([], [(LO, HI, 12)], LO, HI)
    assert (load.today, load.peak, load.days_over, load.peak_on) == (0, 0, 0, None)


def test_the_caseload_limit_changes_where_the_nc_packs_change():
    # nc-8g-2019 ends 2025-04-29; nc-8g-2025 inherits its 1:12 from the next day.
    segments = limit_segments("NC", "ratios.cpss_to_people", D(2019, 10, 1), D(2025, 5, 10))
    assert segments == [
        (D(2019, 10, 1), D(2019, 10, 31), 25),  # the 2018 draft
        (D(2019, 11, 1), D(2025, 4, 29), 12),
        (D(2025, 4, 30), D(2025, 5, 10), 12),
    ]
    assert limit_segments("ZZ", "ratios.cpss_to_people", LO, HI) == [(LO, HI, None)]


def test_months_are_added_as_the_rules_add_them():
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert add_months(D(2026, 1, 15), 12) == D(2027, 1, 15)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
