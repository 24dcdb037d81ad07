"""Outcome instruments as data: one YAML file per instrument in `instruments/`.

Each file gives the instrument's code, titles, source (citation, licence, confidence), its
items (numbers and short labels: wording that is not free to reproduce is never shipped, and
`wording_shipped: false` says so), the response options, and how it is scored:

- `method: sum` adds the item values (BARC-10). `range: [low, high]` is the total's range;
  `max_missing` items may be unanswered (the total is then prorated); `threshold` names a cut
  point (BARC-10: 47 or more).
- `method: domain_mean` averages each domain's items (MHSIP). An option with `value: null`
  ("does not apply") counts as missing; a domain with more than
  `drop_domain_when_missing_over` of its items missing is dropped; a domain mean counts as
  positive below `positive_cut` when `agree_is: low` (the federal layout, 1 = strongly
  agree), and above the mirrored cut, (low + high) - positive_cut, when `agree_is: high`.

A new instrument is a new file: no code. A file that does not fit is refused with an
`InstrumentError` naming the file and the key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

DIRECTORY = Path(__file__).resolve().parent / "instruments"
METHODS = ("sum", "domain_mean")


class InstrumentError(ValueError):
    """An instrument file that does not fit: the message names the file and the key."""


@dataclass(frozen=True)
class Option:
    value: int | None
    label: str
    code: str = ""

    @property
    def key(self) -> str:
        """How the option travels in a form: its value, or its code for "does not apply"."""
        return str(self.value) if self.value is not None else (self.code or "NA")


@dataclass(frozen=True)
class Item:
    number: int
    label: str


@dataclass(frozen=True)
class Domain:
    code: str
    label: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class Threshold:
    value: float
    at_least: bool
    label: str
    source: str = ""

    def reached(self, total: float) -> bool:
        return total >= self.value if self.at_least else total <= self.value


@dataclass(frozen=True)
class Instrument:
    code: str
    title: str
    plain_title: str
    fhir_code: str
    citation: str
    licence: str
    confidence: str
    wording_shipped: bool
    wording_note: str
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    method: str
    low: int
    high: int
    max_missing: int = 0
    threshold: Threshold | None = None
    domains: tuple[Domain, ...] = ()
    drop_when_missing_over: Fraction = Fraction(1, 3)
    agree_is: str = "low"
    positive_cut: float | None = None
    path: str = field(default="", compare=False)

    @property
    def item_numbers(self) -> tuple[int, ...]:
        return tuple(i.number for i in self.items)

    @property
    def answer_values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options if o.value is not None)

    @property
    def total_range(self) -> tuple[int, int]:
        """The range of the total (sum) or of a domain mean (domain_mean)."""
        if self.method == "sum":
            return self.low, self.high
        return min(self.answer_values), max(self.answer_values)

    def item(self, number: int) -> Item:
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(number)

    def option(self, key: str) -> Option | None:
        for o in self.options:
            if o.key == key:
                return o
        return None

    def option_label(self, value: int | None) -> str:
        for o in self.options:
            if o.value == value:
                return o.label
        return ""


def _fail(path: Path | str, key: str, problem: str) -> InstrumentError:
    return InstrumentError(f"{Path(path).name}: {key}: {problem}")


def _text(raw: Mapping[str, Any], key: str, path: Path, where: str = "") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{where}{key}", "missing or not text")
    return value.strip()


def _int(value: object, path: Path, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(path, key, f"{value!r} is not a whole number")
    return value


def parse(raw: object, path: Path) -> Instrument:
    """An `Instrument` from a file's parsed YAML; `InstrumentError` names file and key."""
    if not isinstance(raw, Mapping):
        raise _fail(path, "(file)", "not a mapping of keys")
    known = {
        "code", "title", "plain_title", "fhir_code", "source", "wording_shipped",
        "wording_note", "response_options", "items", "domains", "scoring",
    }  # fmt: skip
    for key in raw:
        if key not in known:
            raise _fail(path, str(key), f"unknown key (known: {', '.join(sorted(known))})")
    code = _text(raw, "code", path)
    source = raw.get("source")
    if not isinstance(source, Mapping):
        raise _fail(path, "source", "missing (citation, licence, confidence)")
    confidence = _text(source, "confidence", path, "source.")
    if confidence not in ("seed", "official", "secondary", "assumed"):
        raise _fail(
            path, "source.confidence", f"{confidence!r} is not seed/official/secondary/assumed"
        )
    shipped = raw.get("wording_shipped")
    if not isinstance(shipped, bool):
        raise _fail(path, "wording_shipped", "missing or not true/false")

    options_raw = raw.get("response_options")
    if not isinstance(options_raw, list) or not options_raw:
        raise _fail(path, "response_options", "missing or empty")
    options: list[Option] = []
    for n, o in enumerate(options_raw):
        at = f"response_options[{n}]"
        if not isinstance(o, Mapping) or "value" not in o:
            raise _fail(path, at, "needs value and label")
        value = None if o["value"] is None else _int(o["value"], path, f"{at}.value")
        options.append(Option(value, _text(o, "label", path, f"{at}."), str(o.get("code", ""))))
    keys = [o.key for o in options]
    if len(set(keys)) != len(keys):
        raise _fail(path, "response_options", "two options share a value")

    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise _fail(path, "items", "missing or empty")
    items: list[Item] = []
    for n, i in enumerate(items_raw):
        at = f"items[{n}]"
        if not isinstance(i, Mapping):
            raise _fail(path, at, "needs number and label")
        items.append(
            Item(_int(i.get("number"), path, f"{at}.number"), _text(i, "label", path, f"{at}."))
        )
    numbers = [i.number for i in items]
    if len(set(numbers)) != len(numbers):
        raise _fail(path, "items", "two items share a number")

    scoring = raw.get("scoring")
    if not isinstance(scoring, Mapping):
        raise _fail(path, "scoring", "missing")
    method = scoring.get("method")
    if method not in METHODS:
        raise _fail(path, "scoring.method", f"{method!r} is not one of {', '.join(METHODS)}")
    rng = scoring.get("range")
    if not isinstance(rng, list) or len(rng) != 2:
        raise _fail(path, "scoring.range", "must be [low, high]")
    low, high = _int(rng[0], path, "scoring.range[0]"), _int(rng[1], path, "scoring.range[1]")
    values = sorted(o.value for o in options if o.value is not None)
    if not values:
        raise _fail(path, "response_options", "no option carries a number")
    if method == "sum" and (low, high) != (values[0] * len(items), values[-1] * len(items)):
        raise _fail(
            path,
            "scoring.range",
            f"[{low}, {high}] does not match {len(items)} items scored {values[0]} to {values[-1]}",
        )
    if method == "domain_mean" and (low, high) != (values[0], values[-1]):
        raise _fail(path, "scoring.range", f"[{low}, {high}] is not the options' range")

    threshold = None
    if scoring.get("threshold") is not None:
        t = scoring["threshold"]
        if not isinstance(t, Mapping) or not isinstance(t.get("value"), int | float):
            raise _fail(path, "scoring.threshold", "needs a numeric value and a label")
        if not low <= t["value"] <= high:
            raise _fail(path, "scoring.threshold.value", f"{t['value']} is outside [{low}, {high}]")
        threshold = Threshold(
            float(t["value"]),
            bool(t.get("at_least", True)),
            _text(t, "label", path, "scoring.threshold."),
            str(t.get("source", "")),
        )

    domains: list[Domain] = []
    if method == "domain_mean":
        domains_raw = raw.get("domains")
        if not isinstance(domains_raw, list) or not domains_raw:
            raise _fail(path, "domains", "a domain_mean instrument needs domains")
        for n, d in enumerate(domains_raw):
            at = f"domains[{n}]"
            if not isinstance(d, Mapping) or not isinstance(d.get("items"), list) or not d["items"]:
                raise _fail(path, at, "needs code, label and items")
            members = tuple(_int(x, path, f"{at}.items") for x in d["items"])
            unknown = [x for x in members if x not in numbers]
            if unknown:
                raise _fail(path, f"{at}.items", f"no item numbered {unknown[0]}")
            domains.append(
                Domain(_text(d, "code", path, f"{at}."), _text(d, "label", path, f"{at}."), members)
            )
    agree_is = str(scoring.get("agree_is", "low"))
    if agree_is not in ("low", "high"):
        raise _fail(path, "scoring.agree_is", f"{agree_is!r} is not low or high")
    cut = scoring.get("positive_cut")
    if cut is not None and not isinstance(cut, int | float):
        raise _fail(path, "scoring.positive_cut", f"{cut!r} is not a number")
    over_raw = scoring.get("drop_domain_when_missing_over", "1/3")
    try:
        over = Fraction(str(over_raw))
    except (ValueError, ZeroDivisionError):
        over = Fraction(-1)
    if isinstance(over_raw, bool) or not 0 <= over < 1:
        raise _fail(
            path, "scoring.drop_domain_when_missing_over", f"{over_raw!r} is not a share below 1"
        )
    max_missing = _int(scoring.get("max_missing", 0), path, "scoring.max_missing")
    if not 0 <= max_missing < len(items):
        raise _fail(path, "scoring.max_missing", f"{max_missing} is not below the item count")

    return Instrument(
        code=code,
        title=_text(raw, "title", path),
        plain_title=str(raw.get("plain_title") or raw["title"]),
        fhir_code=str(raw.get("fhir_code") or code.lower()),
        citation=_text(source, "citation", path, "source."),
        licence=_text(source, "licence", path, "source."),
        confidence=confidence,
        wording_shipped=shipped,
        wording_note=str(raw.get("wording_note", "")).strip(),
        options=tuple(options),
        items=tuple(items),
        method=str(method),
        low=low,
        high=high,
        max_missing=max_missing,
        threshold=threshold,
        domains=tuple(domains),
        drop_when_missing_over=over,
        agree_is=agree_is,
        positive_cut=float(cut) if cut is not None else None,
        path=str(path),
    )


def load_file(path: Path) -> Instrument:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(path, "(file)", f"not valid YAML ({exc})") from exc
    return parse(raw, path)


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Every instrument in `directory`, by code; two files with one code are refused."""
    found: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.yaml")):
        instrument = load_file(path)
        if instrument.code in found:
            raise _fail(
                path,
                "code",
                f"{instrument.code!r} is also defined in {Path(found[instrument.code].path).name}",
            )
        found[instrument.code] = instrument
    return found


@functools.cache
def instruments() -> Mapping[str, Instrument]:
    """The instruments PeerPath ships, by code (loaded once)."""
    return load_directory(DIRECTORY)


def instrument(code: str) -> Instrument:
    """One instrument by code; KeyError names the known ones."""
    found = instruments().get(code)
    if found is None:
        raise KeyError(f"No instrument {code!r}; known: {', '.join(sorted(instruments()))}.")
    return found


def known(codes: Sequence[str]) -> list[Instrument]:
    """The instruments among `codes` that have a definition (a pack may name one, like a
    satisfaction survey of the agency's own, that PeerPath does not define)."""
    all_ = instruments()
    return [all_[c] for c in codes if c in all_]
