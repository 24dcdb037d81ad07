"""Named exceptions: the places where a policy says "not covered ... except when ...".

An exception is declared here once, with what in a pack declares it (a parameter and the
shape of its value), so its citation is that value's source and section; and with the
structured record field that shows it applies (a goal's social-skill tick box, the end of
an ACT or CST span), never a guess from the words of a note. A rule that honours an
exception names it (`@rule(exceptions=(...))`) and asks `declared(...)` with its parameter
values; a pack that does not declare the exception gets the plain rule.

Tests (tests/policy/test_exceptions.py) keep this registry, the rules and the packs in step:
every exception a pack writes is declared here and honoured by a rule, and each one has
cases that pass and fail at its boundary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .findings import Citation
from .parameters import Pack


@dataclass(frozen=True)
class NamedException:
    id: str
    title: str
    parameter: str  # the pack parameter whose value declares the exception (its citation)
    backed_by: tuple[str, ...]  # the record fields (table.column) that show it applies
    explanation: str
    declared_in: Callable[[object], bool]  # does a value of `parameter` declare it?


def _listed_exception(activity: str, code: str) -> Callable[[object], bool]:
    """True when a not-covered list names `activity` with the exception `code`."""

    def check(value: object) -> bool:
        if not isinstance(value, list | tuple):
            return False
        for item in value:
            if not isinstance(item, Mapping) or item.get("code") != activity:
                continue
            for exc in item.get("exceptions") or ():
                if isinstance(exc, Mapping) and exc.get("code") == code:
                    return True
        return False

    return check


def _positive_days(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


SOCIAL_SKILL_GOAL = "planned_social_skill_goal"
TRANSITION_WINDOW = "act_cst_transition"
# The programs whose last days may overlap peer support (the window's own words in the NC
# packs: "the last days of an ACTT or CST authorization").
TRANSITION_PROGRAMS = ("ACTT", "CST")

EXCEPTIONS: Mapping[str, NamedException] = MappingProxyType(
    {
        SOCIAL_SKILL_GOAL: NamedException(
            id=SOCIAL_SKILL_GOAL,
            title="Recreation that serves a planned social-skill or support-network goal",
            parameter="not_covered.activities",
            backed_by=("notes.goal_id", "goals.social_skill"),
            explanation="Time in recreational activities is not covered, except when the "
            "note is tied to a goal of the person's plan that builds social skills or a "
            "support network (the goal's tick box in the plan builder).",
            declared_in=_listed_exception("recreation", SOCIAL_SKILL_GOAL),
        ),
        TRANSITION_WINDOW: NamedException(
            id=TRANSITION_WINDOW,
            title="The move from ACT or Community Support Team to peer support",
            parameter="concurrency.transition_window_days",
            backed_by=("enrollments.program", "enrollments.end"),
            explanation="Peer support may not be given while the person is in ACT or CST, "
            "except in the last days of that authorization (the pack's window) to help the "
            "move to peer support.",
            declared_in=_positive_days,
        ),
    }
)


def declared(exception_id: str, params: Mapping[str, object]) -> bool:
    """Whether the parameter values a rule was given declare the exception."""
    exc = EXCEPTIONS[exception_id]
    return exc.parameter in params and exc.declared_in(params[exc.parameter])


def citation(exception_id: str, pack: Pack, on: dt.date) -> Citation | None:
    """The source and section of the pack value that declares the exception on `on`, or
    None when the pack does not declare it then."""
    exc = EXCEPTIONS[exception_id]
    try:
        entry = pack.entry(exc.parameter, on)
    except LookupError:
        return None
    if not exc.declared_in(entry.value):
        return None
    return Citation(
        parameter=exc.parameter,
        value=entry.value,
        source=entry.source.title,
        ref=entry.source.ref,
        section=entry.section,
        confidence=entry.confidence,
        origin=entry.origin,
        note=entry.note,
    )


def in_force(pack: Pack, on: dt.date) -> list[tuple[NamedException, Citation]]:
    """The named exceptions a pack declares on `on`, each with its citation."""
    out: list[tuple[NamedException, Citation]] = []
    for exc_id, exc in EXCEPTIONS.items():
        cited = citation(exc_id, pack, on)
        if cited is not None:
            out.append((exc, cited))
    return out
