"""Write an ASC X12 837P (005010X222A1) professional claim file, and check it first.

Pure Python, no database: the billing services hand it plain records (`Interchange`,
`ClaimData`, `ServiceLine` ...) and get text back. `problems()` finds what an X12 validator
does not (a claim total that is not the sum of its lines, an NPI whose check digit is wrong,
a code that is not a billable ICD-10-CM code, a diagnosis pointer past the end of the list);
`write_837p()` refuses to write anything while one is found.

The file's shape, loop by loop:

    ISA GS ST BHT
      1000A submitter  NM1*41 PER      1000B receiver  NM1*40
      2000A HL*..20 billing provider    2010AA NM1*85 N3 N4 REF*EI
      2000B HL*..22 subscriber SBR      2010BA NM1*IL N3 N4 DMG   2010BB NM1*PR
        2300 claim  CLM [REF*F8] [REF*G1] HI
          2310B rendering provider NM1*82
          2400 line  LX SV1 DTP*472 [REF*G1] REF*6R   [2420A NM1*82]
    SE GE IEA

Every subscriber (person) is one 2000B loop with all of their claims in the file under it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from peerpath.core import codes as _codes

# The same few codes and NPIs recur on thousands of claims: check each once.
icd10_problem = functools.lru_cache(maxsize=8192)(_codes.icd10_problem)
npi_is_valid = functools.lru_cache(maxsize=65536)(_codes.npi_is_valid)
normalize_icd10 = functools.lru_cache(maxsize=8192)(_codes.normalize_icd10)

IMPLEMENTATION = "005010X222A1"
ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
SEGMENT = "~"
MAX_LINES = 50
MAX_DIAGNOSES = 12
MAX_POINTERS = 4
FREQUENCIES = {"1", "7", "8"}
# Characters a value may not carry: the delimiters themselves.
_DELIMITERS = re.compile(r"[*:~^\r\n]")


class Claim837Error(ValueError):
    """The data cannot make a valid 837P; `problems` lists each reason, naming where."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"The 837P was not written: {shown}{more}")


@dataclass(frozen=True)
class Party:
    """A submitter, receiver, billing provider or payer: a name and an identifier."""

    name: str
    id: str
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    contact_name: str = ""
    phone: str = ""
    tax_id: str = ""


@dataclass(frozen=True)
class Subscriber:
    """The person served, who is the Medicaid subscriber (patient = subscriber)."""

    key: int
    last_name: str
    first_name: str
    member_id: str
    date_of_birth: dt.date
    sex: str  # F, M or U
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class Rendering:
    last_name: str
    first_name: str
    npi: str


@dataclass(frozen=True)
class ServiceLine:
    control_number: str  # REF*6R: comes back on the 835 to find the line
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    pointers: tuple[int, ...]
    place_of_service: str = ""
    authorization_number: str = ""
    rendering: Rendering | None = None


@dataclass(frozen=True)
class ClaimData:
    patient_control_number: str
    subscriber: Subscriber
    total_charge: Decimal
    place_of_service: str
    diagnosis_codes: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency: str = "1"
    original_reference: str = ""  # REF*F8 for frequency 7 and 8
    authorization_number: str = ""
    rendering: Rendering | None = None
    note: str = ""  # NTE*ADD: e.g. the Part 2 redisclosure notice (at most 80 characters)


@dataclass(frozen=True)
class Interchange:
    sender_id: str
    receiver_id: str
    isa_control: int
    gs_control: int
    st_control: str
    created: dt.datetime
    submitter: Party
    receiver: Party
    billing_provider: Party
    payer: Party
    claims: tuple[ClaimData, ...]
    usage: str = "P"  # P production, T test
    reference: str = ""  # BHT03: the originator's batch reference
    line_break: bool = True  # a newline after each segment terminator, for people reading it


@dataclass
class _Segments:
    """Segments as they are written; `count` is what SE01 needs."""

    out: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, *elements: str | Sequence[str] | None) -> None:
        values: list[str] = [
            _composite(e) if isinstance(e, list | tuple) else str(e or "") for e in elements
        ]
        while values and values[-1] == "":
            values.pop()
        self.out.append(ELEMENT.join(values))
        self.count += 1


def _composite(parts: Sequence[str]) -> str:
    values = list(parts)
    while values and values[-1] == "":
        values.pop()
    return COMPONENT.join(values)


def clean(value: object, limit: int | None = None) -> str:
    """A value safe inside an element: no delimiters, single spaces, upper case, cut to fit."""
    text = " ".join(_DELIMITERS.sub(" ", str(value)).split()).upper()
    return text[:limit] if limit else text


def money(value: Decimal) -> str:
    """X12 decimal: no trailing zeros after the point, no point when whole (23.90 -> 23.9)."""
    q = value.quantize(Decimal("0.01"))
    text = format(q, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def icd(code: str) -> str:
    """ICD-10-CM as X12 carries it: no dot."""
    return normalize_icd10(code).replace(".", "")


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# ---------------------------------------------------------------- checks


def problems(ic: Interchange) -> list[str]:
    """Everything wrong with the data that a validator would miss or a payer would reject;
    empty when the file may be written. Each problem names the claim and line."""
    found: list[str] = []
    if not 1 <= ic.isa_control <= 999_999_999:
        found.append("ISA13: the interchange control number must be 1 to 999999999")
    if not 1 <= ic.gs_control <= 999_999_999:
        found.append("GS06: the group control number must be 1 to 999999999")
    if not re.fullmatch(r"\d{4,9}", ic.st_control):
        found.append("ST02: the transaction control number must be 4 to 9 digits")
    if ic.usage not in ("P", "T"):
        found.append("ISA15: usage must be P (production) or T (test)")
    for what, value in (("ISA06 sender", ic.sender_id), ("ISA08 receiver", ic.receiver_id)):
        if not clean(value) or len(clean(value)) > 15:
            found.append(f"{what} id must be 1 to 15 characters")
    if not clean(ic.submitter.name) or not clean(ic.submitter.id):
        found.append("1000A: the submitter needs a name and an id")
    if not clean(ic.receiver.name) or not clean(ic.receiver.id):
        found.append("1000B: the receiver needs a name and an id")
    bp = ic.billing_provider
    if not npi_is_valid(bp.id):
        found.append("2010AA: the billing provider NPI is not 10 digits with a valid check digit")
    if not re.fullmatch(r"\d{9}", digits(bp.tax_id)):
        found.append("2010AA REF*EI: the billing provider's EIN must be 9 digits")
    if not (clean(bp.address) and clean(bp.city) and re.fullmatch(r"[A-Z]{2}", bp.state or "")):
        found.append("2010AA N3/N4: the billing provider needs a street address, city and state")
    if not re.fullmatch(r"\d{9}", digits(bp.postal_code)):
        found.append("2010AA N403: the billing provider's ZIP code must be all nine digits (ZIP+4)")
    if not clean(ic.payer.name) or not clean(ic.payer.id):
        found.append("2010BB: the payer needs a name and a payer id")
    if not ic.claims:
        found.append("the file has no claims")
    seen: set[str] = set()
    for claim in ic.claims:
        found += claim_problems(claim)
        if claim.patient_control_number in seen:
            found.append(f"claim {claim.patient_control_number}: CLM01 is used twice in the file")
        seen.add(claim.patient_control_number)
    return found


def claim_problems(claim: ClaimData) -> list[str]:
    where = f"claim {claim.patient_control_number or '(no number)'}"
    found: list[str] = []
    if not claim.patient_control_number or len(claim.patient_control_number) > 20:
        found.append(f"{where}: CLM01 must be 1 to 20 characters")
    if claim.frequency not in FREQUENCIES:
        found.append(f"{where}: frequency must be 1, 7 or 8, not {claim.frequency!r}")
    if claim.frequency in ("7", "8") and not clean(claim.original_reference):
        found.append(
            f"{where}: a replacement or void claim needs the payer's claim number of the "
            "claim it corrects (REF*F8)"
        )
    if len(clean(claim.note)) > 80:
        found.append(f"{where}: the claim note (NTE02) is longer than 80 characters")
    if claim.frequency == "1" and claim.original_reference:
        found.append(f"{where}: an original claim corrects nothing; REF*F8 must be empty")
    s = claim.subscriber
    if not clean(s.member_id):
        found.append(f"{where}: the person has no Medicaid ID (2010BA NM109)")
    if not clean(s.last_name):
        found.append(f"{where}: the person has no last name (2010BA NM103)")
    if s.sex not in ("F", "M", "U"):
        found.append(f"{where}: DMG03 sex must be F, M or U")
    if not re.fullmatch(r"\d{2}", claim.place_of_service or ""):
        found.append(f"{where}: CLM05-1 place of service must be a two-digit code")
    dx = list(claim.diagnosis_codes)
    if not dx:
        found.append(f"{where}: a claim needs at least one diagnosis (HI)")
    if len(dx) > MAX_DIAGNOSES:
        found.append(f"{where}: {len(dx)} diagnoses; HI carries at most {MAX_DIAGNOSES}")
    for code in dx:
        problem = icd10_problem(code)
        if problem:
            found.append(f"{where}: {problem}")
    if len({icd(c) for c in dx}) != len(dx):
        found.append(f"{where}: a diagnosis is listed twice")
    if claim.rendering is not None and not npi_is_valid(claim.rendering.npi):
        found.append(f"{where}: the rendering provider's NPI has a wrong check digit or shape")
    if not claim.lines:
        found.append(f"{where}: a claim needs at least one service line")
    if len(claim.lines) > MAX_LINES:
        found.append(f"{where}: {len(claim.lines)} lines; a claim carries at most {MAX_LINES}")
    total = sum((line.charge for line in claim.lines), Decimal("0"))
    if total.quantize(Decimal("0.01")) != claim.total_charge.quantize(Decimal("0.01")):
        found.append(
            f"{where}: the claim total {money(claim.total_charge)} is not the sum of its lines "
            f"({money(total)})"
        )
    for n, line in enumerate(claim.lines, start=1):
        at = f"{where} line {n}"
        if not re.fullmatch(r"[A-Z]\d{4}", line.procedure_code or ""):
            found.append(f"{at}: procedure code {line.procedure_code!r} is not a HCPCS code")
        if len(line.modifiers) > 4 or any(
            not re.fullmatch(r"[A-Z0-9]{2}", m) for m in line.modifiers
        ):
            found.append(f"{at}: modifiers must be up to four two-character codes")
        if line.units < 1:
            found.append(f"{at}: units must be at least 1")
        if line.charge < 0:
            found.append(f"{at}: the charge cannot be negative")
        if not line.pointers:
            found.append(f"{at}: a line must point to at least one diagnosis")
        if len(line.pointers) > MAX_POINTERS:
            found.append(f"{at}: a line points to at most {MAX_POINTERS} diagnoses")
        for p in line.pointers:
            if not 1 <= p <= len(dx):
                found.append(
                    f"{at}: diagnosis pointer {p} is out of range (the claim has {len(dx)})"
                )
        if len(set(line.pointers)) != len(line.pointers):
            found.append(f"{at}: a diagnosis pointer is repeated")
        if line.place_of_service and not re.fullmatch(r"\d{2}", line.place_of_service):
            found.append(f"{at}: place of service must be a two-digit code")
        if line.rendering is not None and not npi_is_valid(line.rendering.npi):
            found.append(f"{at}: the rendering provider's NPI has a wrong check digit or shape")
        if claim.rendering is None and line.rendering is None:
            found.append(f"{at}: no rendering provider (2310B or 2420A)")
        if not clean(line.control_number) or len(clean(line.control_number)) > 50:
            found.append(f"{at}: the line control number (REF*6R) must be 1 to 50 characters")
    return found


# ---------------------------------------------------------------- writing


def write_837p(ic: Interchange) -> str:
    """The 837P text of the interchange. Raises Claim837Error, writing nothing, when
    `problems()` finds anything."""
    found = problems(ic)
    if found:
        raise Claim837Error(found)
    seg = _Segments()
    stamp = ic.created
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        clean(ic.sender_id).ljust(15),
        "ZZ",
        clean(ic.receiver_id).ljust(15),
        stamp.strftime("%y%m%d"),
        stamp.strftime("%H%M"),
        REPETITION,
        "00501",
        f"{ic.isa_control:09d}",
        "0",
        ic.usage,
        COMPONENT,
    ]
    # ISA is fixed width and ends with the component separator: not trimmed like the rest.
    head = [ELEMENT.join(isa)]
    seg.add(
        "GS",
        "HC",
        clean(ic.sender_id),
        clean(ic.receiver_id),
        stamp.strftime("%Y%m%d"),
        stamp.strftime("%H%M"),
        str(ic.gs_control),
        "X",
        IMPLEMENTATION,
    )
    st_start = seg.count
    seg.add("ST", "837", ic.st_control, IMPLEMENTATION)
    seg.add(
        "BHT",
        "0019",
        "00",
        clean(ic.reference or f"{ic.isa_control}", 30),
        stamp.strftime("%Y%m%d"),
        stamp.strftime("%H%M"),
        "CH",
    )
    sub = ic.submitter
    seg.add("NM1", "41", "2", clean(sub.name, 60), "", "", "", "", "46", clean(sub.id, 80))
    per = ["PER", "IC", clean(sub.contact_name or sub.name, 60)]
    phone = digits(sub.phone)
    per += ["TE", phone] if phone else ["EM", "NONE"]
    seg.add(*per)
    rec = ic.receiver
    seg.add("NM1", "40", "2", clean(rec.name, 60), "", "", "", "", "46", clean(rec.id, 80))

    hl = 1
    seg.add("HL", str(hl), "", "20", "1")
    bp = ic.billing_provider
    seg.add("NM1", "85", "2", clean(bp.name, 60), "", "", "", "", "XX", bp.id)
    seg.add("N3", clean(bp.address, 55))
    seg.add("N4", clean(bp.city, 30), bp.state, digits(bp.postal_code))
    seg.add("REF", "EI", digits(bp.tax_id))

    by_person: dict[int, list[ClaimData]] = {}
    for claim in ic.claims:
        by_person.setdefault(claim.subscriber.key, []).append(claim)
    for claims in by_person.values():
        hl += 1
        s = claims[0].subscriber
        seg.add("HL", str(hl), "1", "22", "0")
        # P: Medicaid is the primary payer; 18: the person is the subscriber; MC: Medicaid.
        seg.add("SBR", "P", "18", "", "", "", "", "", "", "MC")
        seg.add(
            "NM1",
            "IL",
            "1",
            clean(s.last_name, 60),
            clean(s.first_name, 35),
            "",
            "",
            "",
            "MI",
            clean(s.member_id, 80),
        )
        if clean(s.address):
            seg.add("N3", clean(s.address, 55))
            seg.add("N4", clean(s.city, 30), s.state, digits(s.postal_code))
        seg.add("DMG", "D8", s.date_of_birth.strftime("%Y%m%d"), s.sex)
        seg.add(
            "NM1", "PR", "2", clean(ic.payer.name, 60), "", "", "", "", "PI", clean(ic.payer.id)
        )
        for claim in claims:
            _claim(seg, claim)

    seg.add("SE", str(seg.count - st_start + 1), ic.st_control)
    seg.add("GE", "1", str(ic.gs_control))
    seg.add("IEA", "1", f"{ic.isa_control:09d}")
    sep = SEGMENT + ("\n" if ic.line_break else "")
    return sep.join(head + seg.out) + sep


def _rendering(seg: _Segments, r: Rendering) -> None:
    seg.add(
        "NM1", "82", "1", clean(r.last_name, 60), clean(r.first_name, 35), "", "", "", "XX", r.npi
    )


def _claim(seg: _Segments, claim: ClaimData) -> None:
    seg.add(
        "CLM",
        claim.patient_control_number,
        money(claim.total_charge),
        "",
        "",
        (claim.place_of_service, "B", claim.frequency),
        "Y",  # provider signature on file
        "A",  # assignment accepted
        "Y",  # benefits assigned
        "Y",  # release of information on file
    )
    # 2300 REF order in the guide: prior authorization (G1) before the payer claim number (F8).
    if claim.authorization_number:
        seg.add("REF", "G1", clean(claim.authorization_number, 50))
    if claim.frequency in ("7", "8"):
        seg.add("REF", "F8", clean(claim.original_reference, 50))
    if claim.note:
        seg.add("NTE", "ADD", clean(claim.note))
    hi: list[tuple[str, ...]] = []
    for i, code in enumerate(claim.diagnosis_codes):
        hi.append(("ABK" if i == 0 else "ABF", icd(code)))
    seg.add("HI", *(COMPONENT.join(h) for h in hi))
    if claim.rendering is not None:
        _rendering(seg, claim.rendering)
    for n, line in enumerate(claim.lines, start=1):
        seg.add("LX", str(n))
        seg.add(
            "SV1",
            ("HC", line.procedure_code, *line.modifiers),
            money(line.charge),
            "UN",
            str(line.units),
            line.place_of_service if line.place_of_service != claim.place_of_service else "",
            "",
            tuple(str(p) for p in line.pointers),
        )
        seg.add("DTP", "472", "D8", line.service_date.strftime("%Y%m%d"))
        if line.authorization_number and line.authorization_number != claim.authorization_number:
            seg.add("REF", "G1", clean(line.authorization_number, 50))
        seg.add("REF", "6R", clean(line.control_number, 50))
        if line.rendering is not None and line.rendering != claim.rendering:
            _rendering(seg, line.rendering)


def segments(text: str) -> list[list[str]]:
    """A written file back as segments of elements (for tests and the CLI)."""
    return [s.strip().split(ELEMENT) for s in text.replace("\n", "").split(SEGMENT) if s.strip()]


def join_lines(lines: Iterable[ServiceLine]) -> Decimal:
    return sum((line.charge for line in lines), Decimal("0"))


# ---------------------------------------------------------------- validating


@dataclass(frozen=True)
class Validation:
    """pyx12's verdict on a file: valid, and every error it reported (with its line)."""

    valid: bool
    errors: tuple[str, ...]


def _errors_in(node: object, out: list[str], line: object = None) -> None:
    if isinstance(node, dict):
        here = node.get("cur_line", line)
        for err in node.get("errors") or []:
            if isinstance(err, dict):
                out.append(f"line {here}: {err.get('err_str') or err.get('err_cde')}")
        for value in node.values():
            if isinstance(value, list):
                for item in value:
                    _errors_in(item, out, here)
    elif isinstance(node, list):
        for item in node:
            _errors_in(item, out, line)


def validate_837(text: str) -> Validation:
    """Validate an 837P with pyx12 (its Python API: the map of 005010X222A1, the code sets,
    the envelope counts). pyx12's own log is silenced while it runs: its messages quote the
    data, which holds people's information."""
    import io
    import json
    import logging

    import pyx12.params
    import pyx12.x12n_document

    log = logging.getLogger("pyx12")  # the parent of every pyx12 logger
    was_level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        report = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, fd_json=report
        )
    except Exception as exc:  # pyx12 raises on input it cannot walk at all
        return Validation(False, (f"pyx12 could not read the file: {type(exc).__name__}",))
    finally:
        log.setLevel(was_level)
    errors: list[str] = []
    try:
        _errors_in(json.loads(report.getvalue() or "{}"), errors)
    except ValueError:
        errors.append("pyx12 gave no readable report")
    if not ok and not errors:
        errors.append("pyx12 found the file invalid")
    return Validation(bool(ok) and not errors, tuple(errors))
