"""Scoring an administration from its answers, as the instrument file says.

Answers are a mapping item number -> value; None (or a missing key) is a missing answer,
which is also what "does not apply" is. Pure functions, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from .instruments import Domain, Instrument


@dataclass(frozen=True)
class DomainScore:
    code: str
    label: str
    answered: int
    items: int
    mean: float | None  # None: dropped (too many items missing)
    positive: bool | None

    @property
    def dropped(self) -> bool:
        return self.mean is None


@dataclass(frozen=True)
class Score:
    """The result: `total` for a summed instrument (None when too many items are missing),
    `domains` for a domain-mean one; `reached` says whether the threshold is met."""

    instrument: str
    answered: int
    missing: int
    total: float | None = None
    prorated: bool = False
    reached: bool | None = None
    domains: tuple[DomainScore, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "prorated": self.prorated,
            "reached": self.reached,
            "answered": self.answered,
            "missing": self.missing,
            "domains": {
                d.code: {
                    "mean": None if d.mean is None else round(d.mean, 3),
                    "positive": d.positive,
                    "answered": d.answered,
                }
                for d in self.domains
            },
        }


class AnswerError(ValueError):
    """An answer that the instrument does not allow (names the item and the value)."""


def clean_answers(
    instrument: Instrument, answers: Mapping[int, int | None]
) -> dict[int, int | None]:
    """The answers checked against the instrument: every item known, every value an option."""
    allowed = instrument.answer_values
    numbers = set(instrument.item_numbers)
    out: dict[int, int | None] = {}
    for number, value in answers.items():
        if number not in numbers:
            raise AnswerError(f"{instrument.code} has no item {number}.")
        if value is not None and value not in allowed:
            raise AnswerError(
                f"{instrument.code} item {number}: {value!r} is not one of "
                f"{', '.join(str(v) for v in sorted(allowed))}."
            )
        out[number] = value
    return out


def positive(instrument: Instrument, mean: float) -> bool | None:
    """Whether a domain mean counts as positive (agreement), by the scale direction."""
    if instrument.positive_cut is None:
        return None
    low, high = instrument.total_range
    if instrument.agree_is == "low":
        return mean < instrument.positive_cut
    return mean > (low + high) - instrument.positive_cut


def _domain(
    instrument: Instrument, domain: Domain, answers: Mapping[int, int | None]
) -> DomainScore:
    values = [answers[n] for n in domain.items if answers.get(n) is not None]
    answered = len(values)
    missing = len(domain.items) - answered
    if answered == 0 or Fraction(missing, len(domain.items)) > instrument.drop_when_missing_over:
        return DomainScore(domain.code, domain.label, answered, len(domain.items), None, None)
    mean = sum(v for v in values if v is not None) / answered
    return DomainScore(
        domain.code, domain.label, answered, len(domain.items), mean, positive(instrument, mean)
    )


def score(instrument: Instrument, answers: Mapping[int, int | None]) -> Score:
    """Score one administration's answers."""
    given = clean_answers(instrument, answers)
    values = [v for n in instrument.item_numbers if (v := given.get(n)) is not None]
    answered = len(values)
    missing = len(instrument.items) - answered
    if instrument.method == "sum":
        total: float | None = None
        if answered and missing <= instrument.max_missing:
            # Prorated: the mean of the answered items times the item count, rounded to a
            # whole number, so it stays within the range like a full total.
            exact = sum(values)
            total = float(exact if not missing else round(exact * len(instrument.items) / answered))
        reached = (
            instrument.threshold.reached(total)
            if total is not None and instrument.threshold
            else None
        )
        return Score(
            instrument.code, answered, missing, total, bool(missing and total is not None), reached
        )
    domains = tuple(_domain(instrument, d, given) for d in instrument.domains)
    return Score(instrument.code, answered, missing, domains=domains)
