"""Overpayment estimates from a reviewed sample, as program-integrity auditors make them.

Variables appraisal by the mean-per-unit estimator:

- simple (unrestricted) random sample of n items from a frame of N:
  point estimate  T = N * ybar,
  standard error  SE = N * sqrt((1 - n/N) * s^2 / n),    s^2 with n - 1 in the divisor,
  and the two-sided 90% confidence interval T -/+ t(0.95; n - 1) * SE;
- stratified sample: T = sum_h N_h * ybar_h, SE = sqrt(sum_h N_h^2 (1 - n_h/N_h) s_h^2 / n_h),
  with Satterthwaite's degrees of freedom for t (a stratum sampled in full adds no
  variance).

HHS-OIG demands repayment of the lower limit of the two-sided 90% interval (the point
estimate less t * SE), which leaves the provider a 95% chance that the true overpayment is
at least that much. The t quantile is computed here (regularized incomplete beta by
continued fraction, then bisection), so no statistics package is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t with df degrees of freedom (0.5 < p < 1)."""
    if not 0.5 <= p < 1.0:
        raise ValueError("p must be in [0.5, 1)")
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class Stratum:
    name: str
    frame_size: int  # N_h
    values: tuple[float, ...]  # the overpayment found on each sampled item


@dataclass(frozen=True)
class Estimate:
    frame_size: int
    sample_size: int
    point: float
    standard_error: float
    degrees_of_freedom: float
    t: float
    lower: float
    upper: float
    confidence: float
    by_stratum: tuple[Mapping[str, float], ...] = ()

    @property
    def precision(self) -> float:
        """Half the interval as a share of the point estimate (auditors aim under 25%)."""
        return (self.point - self.lower) / self.point if self.point else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "frame_size": self.frame_size,
            "sample_size": self.sample_size,
            "point_estimate": round(self.point, 2),
            "standard_error": round(self.standard_error, 2),
            "degrees_of_freedom": round(self.degrees_of_freedom, 2),
            "t": round(self.t, 6),
            "confidence": self.confidence,
            "lower_limit": round(self.lower, 2),
            "upper_limit": round(self.upper, 2),
            "precision": round(self.precision, 4),
            "strata": [dict(s) for s in self.by_stratum],
        }


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, var


def estimate(strata: Sequence[Stratum], *, confidence: float = 0.90) -> Estimate:
    """The overpayment estimate over the frame (one stratum: a simple random sample)."""
    if not strata:
        raise ValueError("no strata")
    point = 0.0
    variance = 0.0
    parts: list[tuple[float, float]] = []  # (variance contribution, its degrees of freedom)
    rows: list[Mapping[str, float]] = []
    for s in strata:
        n, big_n = len(s.values), s.frame_size
        if n == 0:
            raise ValueError(f"stratum {s.name}: no sampled items")
        if n > big_n:
            raise ValueError(f"stratum {s.name}: {n} items sampled from a frame of {big_n}")
        if n < 2 and n < big_n:
            raise ValueError(f"stratum {s.name}: at least 2 items are needed for a variance")
        mean, var = _mean_var(s.values)
        contribution = big_n**2 * (1.0 - n / big_n) * var / n
        point += big_n * mean
        variance += contribution
        if n < big_n:
            parts.append((contribution, n - 1))
        rows.append(
            {
                "stratum": float(len(rows) + 1),
                "frame_size": float(big_n),
                "sample_size": float(n),
                "mean": mean,
                "point_estimate": big_n * mean,
            }
        )
    se = math.sqrt(variance)
    if len(strata) == 1:
        df = float(max(len(strata[0].values) - 1, 1))
    else:
        denominator = math.fsum(c * c / d for c, d in parts if d > 0)
        df = (
            (variance**2 / denominator)
            if denominator > 0
            else float(max(sum(len(s.values) for s in strata) - len(strata), 1))
        )
    t = t_quantile(0.5 + confidence / 2.0, df)
    return Estimate(
        frame_size=sum(s.frame_size for s in strata),
        sample_size=sum(len(s.values) for s in strata),
        point=point,
        standard_error=se,
        degrees_of_freedom=df,
        t=t,
        lower=point - t * se,
        upper=point + t * se,
        confidence=confidence,
        by_stratum=tuple(rows),
    )
