"""The engine's answers remembered for the length of one request that changes nothing.

A page about a person asks the engine the same question from several places (the chart,
its banner, the note form's side panel: which pack judges the person today, how many
units are left on each authorization). Within a GET request nothing those answers depend
on is written, so each is computed once: `memo.active()` (a context manager, entered by
`peerpath.policy.middleware`) gives the request a fresh memory; outside one (jobs, the
CLI, services that write) every call computes afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

_MEMORY: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "peerpath_policy_memo", default=None
)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def active() -> Iterator[None]:
    token = _MEMORY.set({})
    try:
        yield
    finally:
        _MEMORY.reset(token)


def _frozen(value: object) -> object:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(_frozen(v) for v in value)
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else items
    return value


def remembered(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, answered from the request's memory when it was asked the same before. Its
    arguments must be ids, dates or sequences of them (not iterators), and its answer a
    mapping (each caller gets its own copy of it)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        memory = _MEMORY.get()
        if memory is None:
            return fn(*args, **kwargs)
        key = (fn.__qualname__, _frozen(args), tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return fn(*args, **kwargs)
        if key not in memory:
            memory[key] = fn(*args, **kwargs)
        answer: R = memory[key]
        if isinstance(answer, dict):
            return cast(R, answer.copy())
        return answer

    return wrapper
