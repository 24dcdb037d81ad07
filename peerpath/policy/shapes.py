"""The shapes a parameter's value may take, as the catalogue declares them.

A shape is written in the catalogue as a name (`integer`, `number`, `bool`, `text`, `date`)
or a one-key mapping (`{integer: {min: 0}}`, `{mode: [a, b]}`, `{code: "^[A-Z][0-9]{4}$"}`,
`{list: SHAPE}`, `{map: {keys: SHAPE, values: SHAPE}}`, `{record: {field: SHAPE,
"optional?": SHAPE}}`). `parse_shape` turns that into a `Shape`, whose `problem(value)` says
what is wrong with a value (where inside it, and what was expected), or None.

Pure Python, no Django: packs are checked without a database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast


class ShapeError(ValueError):
    """A catalogue entry declares a shape this module does not know."""


@dataclass(frozen=True)
class Problem:
    """What is wrong with a value: `path` inside it (e.g. "[2].due.every_months"), the
    offending part, and what was expected there."""

    path: str
    found: object
    expected: str

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.found!r}{where} is not {self.expected}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Shape:
    """One declared shape. `describe()` is what an error message says was expected."""

    def describe(self) -> str:
        raise NotImplementedError

    def problem(self, value: object, path: str = "") -> Problem | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Shape):
    min: int | None = None
    max: int | None = None

    def describe(self) -> str:
        return "a whole number" + _bounds(self.min, self.max)

    def problem(self, value: object, path: str = "") -> Problem | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return Problem(path, value, self.describe())
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            return Problem(path, value, self.describe())
        return None


@dataclass(frozen=True)
class Number(Shape):
    min: float | None = None
    max: float | None = None

    def describe(self) -> str:
        return "a number" + _bounds(self.min, self.max)

    def problem(self, value: object, path: str = "") -> Problem | None:
        if not _is_number(value):
            return Problem(path, value, self.describe())
        number = cast(float, value)
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            return Problem(path, value, self.describe())
        return None


def _bounds(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo:g} to {hi:g}"
    if lo is not None:
        return f" of at least {lo:g}"
    if hi is not None:
        return f" of at most {hi:g}"
    return ""


@dataclass(frozen=True)
class Bool(Shape):
    def describe(self) -> str:
        return "true or false"

    def problem(self, value: object, path: str = "") -> Problem | None:
        return None if isinstance(value, bool) else Problem(path, value, self.describe())


@dataclass(frozen=True)
class Text(Shape):
    def describe(self) -> str:
        return "text"

    def problem(self, value: object, path: str = "") -> Problem | None:
        if isinstance(value, str) and value.strip():
            return None
        return Problem(path, value, self.describe())


@dataclass(frozen=True)
class Date(Shape):
    def describe(self) -> str:
        return "an ISO date (YYYY-MM-DD)"

    def problem(self, value: object, path: str = "") -> Problem | None:
        if isinstance(value, dt.date):
            return None
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
                return None
            except ValueError:
                pass
        return Problem(path, value, self.describe())


@dataclass(frozen=True)
class Mode(Shape):
    """One of an enumerated set of words (a window kind, a rule's mode...)."""

    choices: tuple[str, ...]

    def describe(self) -> str:
        return "one of: " + ", ".join(self.choices)

    def problem(self, value: object, path: str = "") -> Problem | None:
        return None if value in self.choices else Problem(path, value, self.describe())


@dataclass(frozen=True)
class Code(Shape):
    """A code written to a pattern (HCPCS, a modifier, a place-of-service code)."""

    pattern: str

    def describe(self) -> str:
        return f"a code matching {self.pattern}"

    def problem(self, value: object, path: str = "") -> Problem | None:
        if isinstance(value, str) and re.fullmatch(self.pattern, value):
            return None
        return Problem(path, value, self.describe())


@dataclass(frozen=True)
class ListOf(Shape):
    item: Shape

    def describe(self) -> str:
        return f"a list of {self.item.describe()}"

    def problem(self, value: object, path: str = "") -> Problem | None:
        if not isinstance(value, list | tuple):
            return Problem(path, value, self.describe())
        for i, item in enumerate(value):
            found = self.item.problem(item, f"{path}[{i}]")
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class MapOf(Shape):
    keys: Shape
    values: Shape

    def describe(self) -> str:
        return f"a mapping from {self.keys.describe()} to {self.values.describe()}"

    def problem(self, value: object, path: str = "") -> Problem | None:
        if not isinstance(value, Mapping):
            return Problem(path, value, self.describe())
        for key, item in value.items():
            found = self.keys.problem(key, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
            found = self.values.problem(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class Record(Shape):
    """A mapping with named fields; `optional` fields may be left out."""

    fields: tuple[tuple[str, Shape], ...]
    optional: frozenset[str] = frozenset()

    def describe(self) -> str:
        names = [f"{n}?" if n in self.optional else n for n, _ in self.fields]
        return "a mapping with fields " + ", ".join(names)

    def problem(self, value: object, path: str = "") -> Problem | None:
        if not isinstance(value, Mapping):
            return Problem(path, value, self.describe())
        known = {name for name, _ in self.fields}
        for key in value:
            if key not in known:
                at = f"{path}.{key}" if path else str(key)
                return Problem(at, key, f"a known field ({', '.join(sorted(known))})")
        for name, shape in self.fields:
            at = f"{path}.{name}" if path else name
            if name not in value:
                if name in self.optional:
                    continue
                return Problem(at, None, f"present ({shape.describe()})")
            found = shape.problem(value[name], at)
            if found is not None:
                return found
        return None


_SCALARS: Mapping[str, Shape] = {
    "integer": Integer(),
    "number": Number(),
    "bool": Bool(),
    "text": Text(),
    "date": Date(),
}


def parse_shape(raw: object, at: str = "shape") -> Shape:
    """A `Shape` from its catalogue spelling; `ShapeError` names `at` when it is not one."""
    if isinstance(raw, str):
        if raw in _SCALARS:
            return _SCALARS[raw]
        raise ShapeError(f"{at}: unknown shape {raw!r}; known: {', '.join(_KINDS)}")
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ShapeError(f"{at}: a shape is a name or a mapping with one key, got {raw!r}")
    kind, arg = next(iter(raw.items()))
    if kind in ("integer", "number"):
        opts = _options(arg, at, {"min", "max"})
        for bound in ("min", "max"):
            if opts.get(bound) is not None and not _is_number(opts[bound]):
                raise ShapeError(f"{at}: {kind} {bound} must be a number, got {opts[bound]!r}")
        if kind == "integer":
            return Integer(_opt_int(opts.get("min")), _opt_int(opts.get("max")))
        return Number(_opt_float(opts.get("min")), _opt_float(opts.get("max")))
    if kind == "mode":
        if not isinstance(arg, list) or not arg or not all(isinstance(c, str) for c in arg):
            raise ShapeError(f"{at}: mode needs a non-empty list of words, got {arg!r}")
        return Mode(tuple(arg))
    if kind == "code":
        if not isinstance(arg, str):
            raise ShapeError(f"{at}: code needs a regular expression, got {arg!r}")
        try:
            re.compile(arg)
        except re.error as exc:
            raise ShapeError(f"{at}: code pattern {arg!r} is not valid: {exc}") from exc
        return Code(arg)
    if kind == "list":
        return ListOf(parse_shape(arg, f"{at}.list"))
    if kind == "map":
        opts = _options(arg, at, {"keys", "values"})
        if set(opts) != {"keys", "values"}:
            raise ShapeError(f"{at}: map needs 'keys' and 'values'")
        return MapOf(parse_shape(opts["keys"], f"{at}.keys"), parse_shape(opts["values"], at))
    if kind == "record":
        if not isinstance(arg, Mapping) or not arg:
            raise ShapeError(f"{at}: record needs a mapping of fields, got {arg!r}")
        fields: list[tuple[str, Shape]] = []
        optional: set[str] = set()
        for name, sub in arg.items():
            plain = str(name).rstrip("?")
            if str(name).endswith("?"):
                optional.add(plain)
            fields.append((plain, parse_shape(sub, f"{at}.{plain}")))
        return Record(tuple(fields), frozenset(optional))
    raise ShapeError(f"{at}: unknown shape {kind!r}; known: {', '.join(_KINDS)}")


_KINDS: Sequence[str] = (*_SCALARS, "mode", "code", "list", "map", "record")


def _options(arg: object, at: str, allowed: set[str]) -> dict[str, object]:
    if arg is None:
        return {}
    if not isinstance(arg, Mapping):
        raise ShapeError(f"{at}: expected options {sorted(allowed)}, got {arg!r}")
    unknown = set(arg) - allowed
    if unknown:
        raise ShapeError(f"{at}: unknown option(s) {sorted(unknown)}")
    return {str(k): v for k, v in arg.items()}


def _opt_int(value: object) -> int | None:
    return None if value is None else int(cast(float, value))


def _opt_float(value: object) -> float | None:
    return None if value is None else float(cast(float, value))
