"""Read any X12 file into segments, and write segments back out.

X12 names its own delimiters: the ISA segment that opens every interchange is fixed-width,
its fourth character separates elements, ISA11 separates repeated elements, ISA16 separates
components and the character after ISA16 ends each segment. Nothing here knows about a
particular transaction (835, 837); it only splits text and keeps each segment's position so
that every later error can say where it is ("segment 14 (CLP)").

Positions count segments from the start of the file, ISA being segment 1.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ISA_LENGTH = 106  # ISA is fixed-width: 105 characters and its terminator
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, and where."""

    position: int | None  # segment number in the file (ISA is 1); None for the whole file
    segment_id: str
    reason: str

    def __str__(self) -> str:
        if self.position is None:
            return f"file: {self.reason}"
        return f"segment {self.position} ({self.segment_id or '?'}): {self.reason}"


class X12Error(ValueError):
    """A file that cannot be read or trusted. Carries every problem found, in file order;
    its message names each one's segment number, segment ID and reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("X12Error needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: p.position or 0))
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @classmethod
    def at(cls, segment: Segment | None, reason: str) -> X12Error:
        if segment is None:
            return cls([Problem(None, "", reason)])
        return cls([Problem(segment.position, segment.id, reason)])


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


@dataclass(frozen=True)
class Segment:
    """One segment: its ID and its elements (element 1 first), with its place in the file."""

    position: int
    id: str
    elements: tuple[str, ...]
    delimiters: Delimiters = Delimiters()

    def __str__(self) -> str:
        return f"segment {self.position} ({self.id})"

    def el(self, n: int) -> str:
        """Element n (1-based, as in CLP03 = el(3)); empty when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def components(self, n: int) -> tuple[str, ...]:
        """The components of composite element n (SVC01 = HC:H0038:HQ)."""
        value = self.el(n)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def problem(self, reason: str) -> Problem:
        return Problem(self.position, self.id, reason)

    def error(self, reason: str) -> X12Error:
        return X12Error([self.problem(reason)])

    # Typed element readers: each names the element in its error ("CLP03 'x' is not ...").

    def name_of(self, n: int) -> str:
        return f"{self.id}{n:02d}"

    def amount(self, n: int, problems: list[Problem], *, required: bool = True) -> Decimal:
        """Element n as money; a bad or missing value is recorded and read as zero."""
        value = self.optional_amount(n, problems)
        if value is None:
            if required:
                problems.append(self.problem(f"{self.name_of(n)} (an amount) is missing"))
            return Decimal("0")
        return value

    def optional_amount(self, n: int, problems: list[Problem]) -> Decimal | None:
        raw = self.el(n)
        if raw == "":
            return None
        if not _NUMBER.match(raw):
            problems.append(self.problem(f"{self.name_of(n)} '{raw}' is not a number"))
            return Decimal("0")
        try:
            return Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern above already refuses these
            problems.append(self.problem(f"{self.name_of(n)} '{raw}' is not a number"))
            return Decimal("0")

    def date(self, n: int, problems: list[Problem], *, required: bool = True) -> dt.date | None:
        """Element n as a CCYYMMDD date."""
        raw = self.el(n)
        if raw == "":
            if required:
                problems.append(self.problem(f"{self.name_of(n)} (a date) is missing"))
            return None
        return parse_date(raw, self, n, problems)


def parse_date(raw: str, segment: Segment, n: int, problems: list[Problem]) -> dt.date | None:
    if len(raw) == 8 and raw.isdigit():
        try:
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            pass
    problems.append(segment.problem(f"{segment.name_of(n)} '{raw}' is not a CCYYMMDD date"))
    return None


def read_delimiters(text: str) -> Delimiters:
    """The delimiters named by the ISA segment at the start of `text`."""
    if not text.startswith("ISA"):
        found = text[:3].strip() or "nothing"
        reason = f"an X12 file starts with ISA, this one with {found}"
        raise X12Error([Problem(1, text[:3], reason)])
    if len(text) < 4 or text[3].isalnum() or text[3].isspace():
        raise X12Error([Problem(1, "ISA", "the ISA segment is cut short (no element separator)")])
    element = text[3]
    # ISA16 follows the 16th element separator; the segment terminator follows ISA16.
    index = -1
    for _ in range(16):
        index = text.find(element, index + 1)
        if index == -1:
            raise X12Error(
                [Problem(1, "ISA", "the ISA segment is cut short: it has fewer than 16 elements")]
            )
    if len(text) < index + 3:
        raise X12Error([Problem(1, "ISA", "the ISA segment is cut short after ISA15")])
    component, segment = text[index + 1], text[index + 2]
    fields = text[:index].split(element)
    repetition = fields[11] if len(fields) > 11 else ""
    if len(repetition) != 1 or repetition.isalnum() or repetition.isspace():
        repetition = ""  # 4010 files put the standards identifier "U" there instead
    if len({element, component, segment}) < 3 or component.isalnum() or segment.isalnum():
        raise X12Error(
            [
                Problem(
                    1,
                    "ISA",
                    "the ISA segment's element, component and segment delimiters "
                    "must be three different non-alphanumeric characters",
                )
            ]
        )
    return Delimiters(element=element, component=component, repetition=repetition, segment=segment)


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    """Split an X12 file into segments.

    Line breaks after segment terminators are allowed (and ignored); text after the last
    terminator means the file was cut inside a segment, which is an error.
    """
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise X12Error([Problem(None, "", "the file is empty")])
    delimiters = read_delimiters(text)
    pieces = text.split(delimiters.segment)
    tail = pieces.pop().strip("\r\n \t")
    segments: list[Segment] = []
    problems: list[Problem] = []
    for raw in pieces:
        raw = raw.strip("\r\n")
        if not raw.strip():
            continue
        position = len(segments) + 1
        parts = raw.split(delimiters.element)
        seg_id = parts[0].strip()
        if not _SEGMENT_ID.match(seg_id):
            problems.append(Problem(position, seg_id[:3], f"'{seg_id[:10]}' is not a segment ID"))
        segments.append(Segment(position, seg_id, tuple(parts[1:]), delimiters))
    if tail:
        seg_id = tail.split(delimiters.element)[0][:3]
        problems.append(
            Problem(
                len(segments) + 1,
                seg_id,
                f"the file ends inside this segment (no '{delimiters.segment}' "
                "terminator): it was cut short",
            )
        )
    if problems:
        raise X12Error(problems)
    return delimiters, segments


# Writing ----------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    """An X12 amount: no trailing zeros beyond cents, no exponent, "0" for zero."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def amount_text(value: Decimal) -> str:
    """An amount as people read it in a message: always two decimals."""
    return f"{value.quantize(Decimal('0.01')):f}"


def quantity(value: Decimal | int) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text


def x12_date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def render(rows: Iterable[Sequence[str]], delimiters: Delimiters = Delimiters()) -> str:
    """Write segments (each a sequence: ID then elements) one per line.

    Trailing empty elements are dropped, as X12 requires; build composites with `composite`.
    """
    lines = []
    for row in rows:
        items = list(row)
        while len(items) > 1 and items[-1] == "":
            items.pop()
        lines.append(delimiters.element.join(items) + delimiters.segment)
    return "\n".join(lines) + "\n"


def composite(*parts: str, delimiters: Delimiters = Delimiters()) -> str:
    items = list(parts)
    while items and items[-1] == "":
        items.pop()
    return delimiters.component.join(items)
