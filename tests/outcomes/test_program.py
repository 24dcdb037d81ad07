"""The program view's statistics on worked examples."""

from __future__ import annotations

import pytest

from peerpath.outcomes.program import Group, changes, dose_band, mean_ci, t95, wilson


def test_mean_change_with_a_t_interval() -> None:
    mean, low, high = mean_ci([2.0, 4.0, 6.0, 8.0])
    # mean 5, sd 2.582, t(3) = 3.182: half-width 4.108
    assert mean == 5.0
    assert low == pytest.approx(0.892, abs=1e-3) and high == pytest.approx(9.108, abs=1e-3)
    assert mean_ci([3.0]) == (3.0, None, None)
    assert t95(200) == 1.96 and t95(35) == 2.042


def test_wilson_interval_of_a_share() -> None:
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.490, abs=1e-3) and high == pytest.approx(0.943, abs=1e-3)
    assert wilson(0, 0) == (None, None)


def test_first_and_latest_are_paired_per_person_and_units_summed_between() -> None:
    rows = [
        (1, 30.0, False, 0), (1, 40.0, False, 20), (1, 50.0, True, 35),
        (2, 45.0, False, 0),
        (3, None, None, 0), (3, 20.0, False, 12), (3, 26.0, False, 9),
    ]  # fmt: skip
    found = {c.person_id: c for c in changes(rows)}
    assert (found[1].change, found[1].units, found[1].paired) == (20.0, 55, True)
    assert found[2].paired is False
    assert (found[3].first, found[3].units) == (20.0, 9)
    group = Group("all", list(found.values()))
    assert group.n == 3 and group.n_paired == 2 and group.small
    assert group.reached_first == 0 and group.reached_latest == 1
    mean, low, high = group.change
    assert mean == pytest.approx(13.0) and low is not None and high is not None
    assert (low, high) == pytest.approx(mean_ci([20.0, 6.0])[1:])
    assert dose_band(55) == "50 to 99 units" and dose_band(0) == "under 25 units"
