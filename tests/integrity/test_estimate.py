"""Extrapolation: worked examples (point estimate, standard error, lower limit) and the
property that the lower limit never exceeds the point estimate."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerpath.integrity.estimate import Stratum, estimate, t_cdf, t_quantile

# Student's t, 95th percentile, from the standard table (any statistics text's appendix).
T95 = {1: 6.313752, 2: 2.919986, 4: 2.131847, 9: 1.833113, 29: 1.699127, 99: 1.660391}


@pytest.mark.parametrize(("df", "value"), sorted(T95.items()))
def test_t_quantile_matches_the_table(df: int, value: float) -> None:
    assert t_quantile(0.95, df) == pytest.approx(value, abs=2e-6)
    assert t_cdf(value, df) == pytest.approx(0.95, abs=1e-6)


def test_t_approaches_the_normal() -> None:
    assert t_quantile(0.95, 1e7) == pytest.approx(1.644854, abs=1e-5)
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=2e-6)


def test_simple_random_sample_worked_example() -> None:
    # Worked by hand: 10 claims sampled from 1,000; overpayments found on review.
    values = (0, 0, 50, 0, 100, 0, 25, 0, 0, 75)
    # mean 25; squared deviations sum to 12,500, so s^2 = 12,500 / 9 = 1,388.89;
    # SE of the total = 1,000 * sqrt(0.99 * 1,388.89 / 10) = 1,000 * sqrt(137.5) = 11,726.04;
    # lower limit = 25,000 - 1.833113 * 11,726.04 = 25,000 - 21,495.15 = 3,504.85.
    e = estimate([Stratum("all", 1000, tuple(float(v) for v in values))])
    assert e.point == pytest.approx(25_000.0)
    assert e.standard_error == pytest.approx(1000 * math.sqrt(137.5))
    assert e.standard_error == pytest.approx(11_726.04, abs=0.01)
    assert e.degrees_of_freedom == 9
    assert e.lower == pytest.approx(3_504.85, abs=0.01)
    assert e.upper == pytest.approx(46_495.15, abs=0.01)


def test_stratified_worked_example() -> None:
    # Worked by hand: two strata by paid amount.
    # Low: N=400, sample (10, 20, 30, 40): mean 25, s^2 = 500/3, var = 400^2 * 0.99 * (500/3)/4
    #   = 6,600,000.
    # High: N=100, sample (100, 0, 200): mean 100, s^2 = 10,000,
    #   var = 100^2 * 0.97 * 10,000 / 3 = 32,333,333.33.
    # T = 400*25 + 100*100 = 20,000; SE = sqrt(38,933,333.33) = 6,239.66.
    # Satterthwaite df = 38,933,333.33^2 / (6,600,000^2/3 + 32,333,333.33^2/2)
    #   = 1.515804e15 / (1.452e13 + 5.227222e14) = 2.821.
    low = Stratum("low", 400, (10.0, 20.0, 30.0, 40.0))
    high = Stratum("high", 100, (100.0, 0.0, 200.0))
    e = estimate([low, high])
    assert e.point == pytest.approx(20_000.0)
    assert e.standard_error == pytest.approx(6_239.66, abs=0.01)
    assert e.degrees_of_freedom == pytest.approx(2.821, abs=0.001)
    assert e.lower == pytest.approx(e.point - e.t * e.standard_error)
    assert 2.353 < e.t < 2.92  # between t(0.95; 3) and t(0.95; 2)


def test_a_stratum_sampled_in_full_adds_no_variance() -> None:
    e = estimate([Stratum("certainty", 3, (500.0, 0.0, 250.0))])
    assert e.point == 750.0 and e.standard_error == 0.0 and e.lower == 750.0


def test_refuses_samples_it_cannot_use() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        estimate([Stratum("a", 10, (1.0,))])
    with pytest.raises(ValueError, match="frame of 2"):
        estimate([Stratum("a", 2, (1.0, 2.0, 3.0))])


amounts = st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False)


@st.composite
def strata(draw: st.DrawFn) -> list[Stratum]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        values = draw(st.lists(amounts, min_size=2, max_size=30))
        frame = draw(st.integers(len(values), 100_000))
        out.append(Stratum(f"s{i}", frame, tuple(values)))
    return out


@settings(max_examples=200, deadline=None)
@given(strata())
def test_lower_limit_never_exceeds_point_estimate(sample: list[Stratum]) -> None:
    e = estimate(sample)
    assert e.lower <= e.point + 1e-6 * max(1.0, abs(e.point))
    assert e.upper >= e.point - 1e-6 * max(1.0, abs(e.point))
    assert e.standard_error >= 0
