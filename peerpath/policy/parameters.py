"""Policy packs: effective-dated, cited parameters loaded from YAML.

Pure Python on purpose (no Django): the rules engine, the CLI and the tests read packs
without a database, and a payer contract's overrides are applied as a pure function.
The file format and the catalogue of keys are described in docs/parameters.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

import yaml

from .shapes import Shape, ShapeError, parse_shape

Confidence = Literal["seed", "official", "secondary", "assumed"]
CONFIDENCES: frozenset[str] = frozenset(get_args(Confidence))
UNITS: frozenset[str] = frozenset(
    {
        "count",
        "people",
        "minutes",
        "days",
        "months",
        "years",
        "hours",
        "units",
        "code",
        "list",
        "bool",
        "text",
        "ratio",
        "schedule",
    }
)
_WHOLE_NUMBER_UNITS = frozenset({"count", "people", "minutes", "days", "months", "years", "hours"})
DEFAULT_DIRECTORY = Path(__file__).parent / "packs"

CATALOGUE_FILE = DEFAULT_DIRECTORY / "catalogue.yaml"


@dataclass(frozen=True)
class Spec:
    """A catalogue entry: what the key means, its unit and the shape of its value."""

    key: str
    label: str
    unit: str
    shape: Shape
    nullable: bool = True

    def problem(self, value: object) -> str | None:
        """What is wrong with `value` for this key, or None when it fits."""
        if value is None:
            return None if self.nullable else f"null is not allowed ({self.shape.describe()})"
        found = self.shape.problem(value)
        return None if found is None else str(found)


class PolicyPackError(ValueError):
    """A pack file is malformed; the message names the file, parameter and field."""


class ParameterNotFound(LookupError):
    pass


class NoValueOnDate(LookupError):
    pass


class NoPackForDate(LookupError):
    pass


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    date: dt.date | None  # None only for standing code sets that have no single date
    kind: str
    ref: str


@dataclass(frozen=True)
class Alternative:
    """A value another source gives, kept visible but not enforced."""

    value: object
    source: Source
    section: str
    confidence: Confidence
    note: str = ""


@dataclass(frozen=True)
class ParameterValue:
    start: dt.date
    end: dt.date | None  # inclusive; None = open-ended
    value: object
    source: Source
    section: str
    confidence: Confidence
    note: str = ""
    alternatives: tuple[Alternative, ...] = ()
    origin: str = ""  # pack id that states it, or "override:<label>"
    replaces: ParameterValue | None = None  # the pack value an override displaced

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    values: tuple[ParameterValue, ...]

    def entry(self, on: dt.date) -> ParameterValue | None:
        return next((v for v in self.values if v.covers(on)), None)


@dataclass(frozen=True, kw_only=True)
class Override:
    """A payer contract's replacement for one parameter over one period."""

    key: str
    value: object
    start: dt.date
    end: dt.date | None
    source_title: str
    section: str
    confidence: Confidence
    note: str = ""
    label: str


@dataclass(frozen=True)
class Pack:
    id: str
    title: str
    jurisdiction: str
    start: dt.date
    end: dt.date | None
    extends: str | None
    sources: Mapping[str, Source]
    parameters: Mapping[str, Parameter]
    period_confidence: Confidence = "assumed"
    period_note: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def param(self, key: str) -> Parameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise ParameterNotFound(f"pack {self.id!r} has no parameter {key!r}") from None

    def entry(self, key: str, on: dt.date) -> ParameterValue:
        param = self.param(key)
        if not self.covers(on):
            raise NoValueOnDate(
                f"pack {self.id!r} is not in effect on {on.isoformat()} "
                f"({self.start.isoformat()}..{_iso(self.end)}); asked for {key!r}"
            )
        found = param.entry(on)
        if found is None:
            raise NoValueOnDate(f"pack {self.id!r} has no value for {key!r} on {on.isoformat()}")
        return found

    def value(self, key: str, on: dt.date) -> object:
        """The enforced value; None means the pack states no figure (not a lookup miss)."""
        return self.entry(key, on).value

    def is_inherited(self, key: str) -> bool:
        """True when an ancestor pack, not this pack's own file, states the parameter."""
        return any(
            v.origin != self.id and not v.origin.startswith("override:")
            for v in self.param(key).values
        )

    def missing_catalogue_keys(self) -> tuple[str, ...]:
        return tuple(k for k in CATALOGUE if k not in self.parameters)

    def with_overrides(self, overrides: Sequence[Override]) -> Pack:
        params = dict(self.parameters)
        for ov in overrides:
            if ov.key not in params:
                raise ParameterNotFound(f"override {ov.label!r}: {self.id!r} has no {ov.key!r}")
            check_value(ov.key, ov.value, f"override {ov.label!r} of {ov.key!r}")
            if ov.confidence not in CONFIDENCES:
                raise ValueError(f"override {ov.label!r} of {ov.key!r}: bad confidence")
            if ov.end is not None and ov.end < ov.start:
                raise ValueError(f"override {ov.label!r} of {ov.key!r}: ends before it starts")
            if ov.key not in params:
                raise ParameterNotFound(f"override {ov.label!r}: {self.id!r} has no {ov.key!r}")
            param = params[ov.key]
            params[ov.key] = replace(param, values=_apply_override(param.values, ov))
        return replace(self, parameters=MappingProxyType(params))


@dataclass(frozen=True)
class ParamDiff:
    key: str
    label: str
    unit: str
    a: ParameterValue | None  # None: pack a lacks the parameter
    b: ParameterValue | None
    only_in_a: tuple[object, ...] = ()  # list items (by code/id) found only in a
    only_in_b: tuple[object, ...] = ()


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "open"


def _apply_override(values: tuple[ParameterValue, ...], ov: Override) -> tuple[ParameterValue, ...]:
    source = Source(f"override:{ov.label}", ov.source_title, ov.start, "contract", ov.label)
    before_start = ov.start - dt.timedelta(days=1)
    out: list[ParameterValue] = []
    for v in values:
        if v.start < ov.start:
            out.append(replace(v, end=before_start if v.end is None else min(v.end, before_start)))
        lo = max(v.start, ov.start)
        hi = ov.end if v.end is None else (v.end if ov.end is None else min(v.end, ov.end))
        if hi is None or lo <= hi:
            new = ParameterValue(lo, hi, _freeze(ov.value), source, ov.section, ov.confidence)
            out.append(replace(new, note=ov.note, origin=source.key, replaces=v))
        if ov.end is not None and (v.end is None or v.end > ov.end):
            out.append(replace(v, start=max(v.start, ov.end + dt.timedelta(days=1))))
    return tuple(sorted(out, key=lambda pv: pv.start))


def _freeze(value: object) -> object:
    # Packs are cached and shared, so callers must not be able to mutate them.
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


# ----------------------------------------------------------------------------- loading


class _Loader(yaml.CSafeLoader):
    """Leaves dates as text so a bad date is reported with its file and field (libyaml's
    parser: the packs load several times faster)."""


_Loader.yaml_implicit_resolvers = {
    ch: [r for r in rs if r[0] != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_VALUE_FIELDS = {"from", "value", "source", "section", "confidence", "note", "alternatives"}
_ALT_FIELDS = {"value", "source", "section", "confidence", "note"}


def _fail(at: str, msg: str) -> PolicyPackError:
    return PolicyPackError(f"{at}: {msg}")


def _mapping(raw: object, at: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(at, "expected a mapping")
    return cast(dict[str, Any], raw)


def _text(raw: Mapping[str, Any], name: str, at: str, *, required: bool = True) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _fail(at, f"field {name!r} is missing or not text")
    return value


def _date(value: object, at: str, name: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(at, f"field {name!r} is not an ISO date (YYYY-MM-DD): {value!r}")


def _confidence(raw: Mapping[str, Any], at: str) -> Confidence:
    value = raw.get("confidence")
    if value not in CONFIDENCES:
        raise _fail(at, f"field 'confidence' must be one of {sorted(CONFIDENCES)}, got {value!r}")
    return cast(Confidence, value)


def _cited(
    raw: Mapping[str, Any], sources: Mapping[str, Source], at: str
) -> tuple[Source, str, Confidence, str]:
    """The citation every value and alternative must carry: source, section, confidence, note."""
    key = _text(raw, "source", at)
    if key not in sources:
        raise _fail(at, f"field 'source': unknown source key {key!r}")
    section, confidence = _text(raw, "section", at), _confidence(raw, at)
    return sources[key], section, confidence, _text(raw, "note", at, required=False)


def check_value(key: str, value: object, at: str = "") -> None:
    """Refuse a value that does not fit the catalogue's shape for `key`: the message names
    where (`at`: file, key, value number), the key, the value and what was expected."""
    spec = SPECS.get(key)
    if spec is None:
        raise _fail(at or key, f"{key!r} is not in the parameter catalogue")
    problem = spec.problem(value)
    if problem is not None:
        raise _fail(
            at or f"parameter {key!r}",
            f"field 'value' {value!r} does not fit {key!r}: {problem}",
        )


def _parse_parameter(
    key: str, raw_param: object, sources: Mapping[str, Source], origin: str, at: str
) -> Parameter:
    at = f"{at}: parameter {key!r}"
    raw = _mapping(raw_param, at)
    spec = SPECS.get(key)
    if spec is None:
        raise _fail(at, "not in the parameter catalogue (packs/catalogue.yaml); is it misspelt?")
    unknown_fields = set(raw) - {"label", "unit", "values"}
    if unknown_fields:
        raise _fail(at, f"unknown field(s) {sorted(unknown_fields)}")
    # The unit and label come from the catalogue; a pack may restate them (checked).
    unit = _text(raw, "unit", at) if "unit" in raw else spec.unit
    if unit != spec.unit:
        raise _fail(at, f"field 'unit': catalogue says {spec.unit!r}, file says {unit!r}")
    raw_values = raw.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        raise _fail(at, "field 'values' must be a non-empty list")
    starts: list[dt.date] = []
    entries: list[ParameterValue] = []
    for i, raw_entry in enumerate(raw_values, 1):
        where = f"{at} value #{i}"
        entry = _mapping(raw_entry, where)
        unknown = set(entry) - _VALUE_FIELDS
        if unknown:
            raise _fail(where, f"unknown field(s) {sorted(unknown)}")
        if "value" not in entry:
            raise _fail(where, "field 'value' is missing (write null for 'not stated')")
        start = _date(entry.get("from"), where, "from")
        if starts and start <= starts[-1]:
            raise _fail(where, f"field 'from': {start} is not after {starts[-1]} (date order)")
        check_value(key, entry["value"], where)
        alternatives = []
        for j, raw_alt in enumerate(entry.get("alternatives") or [], 1):
            alt_at = f"{where} alternative #{j}"
            alt = _mapping(raw_alt, alt_at)
            if set(alt) - _ALT_FIELDS:
                raise _fail(alt_at, f"unknown field(s) {sorted(set(alt) - _ALT_FIELDS)}")
            check_value(key, alt.get("value"), alt_at)
            alternatives.append(
                Alternative(_freeze(alt.get("value")), *_cited(alt, sources, alt_at))
            )
        starts.append(start)
        cited = _cited(entry, sources, where)
        value = ParameterValue(start, None, _freeze(entry["value"]), *cited)
        entries.append(replace(value, alternatives=tuple(alternatives), origin=origin))
    # A value runs until the day before the next one starts.
    for i in range(len(entries) - 1):
        entries[i] = replace(entries[i], end=starts[i + 1] - dt.timedelta(days=1))
    label = _text(raw, "label", at) if "label" in raw else spec.label
    return Parameter(key, label, unit, tuple(entries))


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _fail(str(path), f"not valid YAML: {exc}") from exc
    return _mapping(raw, str(path))


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, Spec]:
    """The catalogue of keys (data next to the packs), each with its unit and shape."""
    at = str(path)
    raw = _read(path)
    specs: dict[str, Spec] = {}
    for key, raw_spec in raw.items():
        where = f"{at}: key {key!r}"
        entry = _mapping(raw_spec, where)
        unknown = set(entry) - {"label", "unit", "shape", "nullable"}
        if unknown:
            raise _fail(where, f"unknown field(s) {sorted(unknown)}")
        unit = _text(entry, "unit", where)
        if unit not in UNITS:
            raise _fail(where, f"field 'unit': unknown unit {unit!r}")
        try:
            shape = parse_shape(entry.get("shape"), f"{where} shape")
        except ShapeError as exc:
            raise PolicyPackError(str(exc)) from exc
        nullable = entry.get("nullable", True)
        if not isinstance(nullable, bool):
            raise _fail(where, "field 'nullable' must be true or false")
        specs[str(key)] = Spec(str(key), _text(entry, "label", where), unit, shape, nullable)
    return specs


_Raws = Mapping[str, tuple[Path, dict[str, Any]]]


def _resolve(pack_id: str, raws: _Raws, done: dict[str, Pack], chain: tuple[str, ...]) -> Pack:
    if pack_id in done:
        return done[pack_id]
    path, raw = raws[pack_id]
    at = str(path)
    if pack_id in chain:
        raise _fail(at, f"'extends' forms a cycle: {' -> '.join((*chain, pack_id))}")
    extends = raw.get("extends")
    parent: Pack | None = None
    if extends is not None:
        if extends not in raws:
            raise _fail(at, f"field 'extends': unknown pack {extends!r}")
        parent = _resolve(extends, raws, done, (*chain, pack_id))
    effective = _mapping(raw.get("effective"), f"{at}: field 'effective'")
    start = _date(effective.get("start"), at, "effective.start")
    end = None if effective.get("end") is None else _date(effective["end"], at, "effective.end")
    if end is not None and end < start:
        raise _fail(at, "field 'effective': end is before start")
    sources = dict(parent.sources) if parent else {}
    for key, raw_src in _mapping(raw.get("sources") or {}, f"{at}: field 'sources'").items():
        src_at = f"{at}: source {key!r}"
        src = _mapping(raw_src, src_at)
        day = None if src.get("date") is None else _date(src["date"], src_at, "date")
        title, kind, ref = (_text(src, name, src_at) for name in ("title", "kind", "ref"))
        sources[key] = Source(key, title, day, kind, ref)
    params = dict(parent.parameters) if parent else {}
    own = _mapping(raw.get("parameters") or {}, f"{at}: field 'parameters'")
    for key, raw_param in own.items():
        params[key] = _parse_parameter(key, raw_param, sources, pack_id, at)
    for key, param in params.items():
        if param.values[0].start > start:
            raise _fail(at, f"parameter {key!r}: no value on the pack's start date {start}")
    title, jurisdiction = _text(raw, "title", at), _text(raw, "jurisdiction", at)
    pack = Pack(pack_id, title, jurisdiction, start, end, extends, sources, params)
    done[pack_id] = replace(
        pack,  # dicts are wrapped read-only because the default packs are shared via the cache
        sources=MappingProxyType(sources),
        parameters=MappingProxyType(params),
        period_confidence=_confidence({"confidence": "assumed", **effective}, f"{at}: effective"),
        period_note=_text(effective, "note", at, required=False),
    )
    return done[pack_id]


SPECS: Mapping[str, Spec] = MappingProxyType(load_catalogue())
# Every pack must define or inherit each of these keys; key -> unit.
CATALOGUE: Mapping[str, str] = MappingProxyType({k: s.unit for k, s in SPECS.items()})


def _load(directory: Path) -> dict[str, Pack]:
    raws: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*/pack.yaml")):
        raw = _read(path)
        pack_id = _text(raw, "id", str(path))
        if pack_id != path.parent.name:
            raise _fail(str(path), f"field 'id' {pack_id!r} differs from its folder name")
        raws[pack_id] = (path, raw)
    done: dict[str, Pack] = {}
    for pack_id in raws:
        _resolve(pack_id, raws, done, ())
    return done


@functools.cache
def _load_default() -> Mapping[str, Pack]:
    return MappingProxyType(_load(DEFAULT_DIRECTORY))


def load_packs(directory: Path | None = None) -> dict[str, Pack]:
    """All packs in `directory` (default: the shipped packs, loaded once per process)."""
    if directory is None:
        return dict(_load_default())
    return _load(Path(directory))


def select_pack(packs: Mapping[str, Pack], jurisdiction: str, on: dt.date) -> Pack:
    """The pack in effect for a jurisdiction on a day; the latest start wins an overlap."""
    wanted = jurisdiction.upper()
    found = [p for p in packs.values() if p.jurisdiction.upper() == wanted and p.covers(on)]
    if not found:
        known = ", ".join(
            f"{p.id} ({p.start.isoformat()}..{_iso(p.end)})"
            for p in sorted(packs.values(), key=lambda p: p.start)
            if p.jurisdiction.upper() == wanted
        )
        raise NoPackForDate(
            f"no {jurisdiction} pack in effect on {on.isoformat()}; known: {known or 'none'}"
        )
    return max(found, key=lambda p: (p.start, p.id))


def _item_ids(value: object) -> list[object] | None:
    if not isinstance(value, tuple):
        return None
    return [i.get("code", i.get("id", i)) if isinstance(i, Mapping) else i for i in value]


def diff_packs(
    a: Pack, b: Pack, on_a: dt.date | None = None, on_b: dt.date | None = None
) -> list[ParamDiff]:
    """Parameters whose values differ, each pack read on its start date unless told."""
    day_a, day_b = on_a or a.start, on_b or b.start
    extra = sorted((set(a.parameters) | set(b.parameters)) - set(CATALOGUE))
    diffs: list[ParamDiff] = []
    for key in [*CATALOGUE, *extra]:
        ea = a.entry(key, day_a) if key in a.parameters else None
        eb = b.entry(key, day_b) if key in b.parameters else None
        if ea is None and eb is None:
            continue
        if ea is not None and eb is not None and ea.value == eb.value:
            continue
        param = a.parameters.get(key) or b.parameters[key]
        ids_a = _item_ids(ea.value) if ea else None
        ids_b = _item_ids(eb.value) if eb else None
        only_a: tuple[object, ...] = ()
        only_b: tuple[object, ...] = ()
        if ids_a is not None and ids_b is not None:
            only_a = tuple(i for i in ids_a if i not in ids_b)
            only_b = tuple(i for i in ids_b if i not in ids_a)
        diffs.append(ParamDiff(key, param.label, param.unit, ea, eb, only_a, only_b))
    return diffs
