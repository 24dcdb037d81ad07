"""X12 835 (005010X221A1) health care claim payment and remittance advice: read and write.

`parse_835(text)` reads a remittance into typed records and refuses it, with every problem's
segment number, segment ID and reason, when it cannot be trusted:

- cut short (no SE, GE or IEA; a segment with no terminator);
- the envelope's counts or control numbers disagree (SE01, SE02, GE01, GE02, IEA01, IEA02);
- money does not balance: a line's charge less its paid amount is not its adjustments; a
  claim's paid amount is not its lines' paid amounts less its own adjustments, or its charge
  less its paid amount is not all its adjustments; the payment (BPR02) is not the claims'
  paid amounts less provider-level adjustments (PLB);
- a reason code (CARC), remark code (RARC) or group code PeerPath does not know
  (reason_codes.yaml), so nothing is posted under a reason nobody can read.

`format_835(remittance)` writes the records back out; `remit_builder.build_835_from_837`
makes a remittance that answers an 837P (tests and the demo).

Loop names follow the 835 implementation guide: 1000A payer, 1000B payee, 2000 header
number (LX), 2100 claim payment (CLP), 2110 service payment (SVC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from peerpath.billing.x12.envelope import Envelope, TransactionSpan, read_envelope
from peerpath.billing.x12.reason_codes import ReasonCodes, reason_codes
from peerpath.billing.x12.tokens import (
    Delimiters,
    Problem,
    Segment,
    X12Error,
    amount_text,
    composite,
    money,
    quantity,
    render,
    tokenize,
    x12_date,
)

IMPLEMENTATION = "005010X221A1"
ZERO = Decimal("0")

CLAIM_STATUS = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to another payer",
    "20": "Processed as secondary, forwarded to another payer",
    "21": "Processed as tertiary, forwarded to another payer",
    "22": "Reversal of an earlier payment",
    "23": "Not this payer's claim, forwarded",
    "25": "Priced only, not paid (predetermination)",
}
DENIED = "4"
REVERSAL = "22"


@dataclass(frozen=True)
class Adjustment:
    """One CAS reason: group code (who carries it), CARC, amount (positive lowers payment)."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Contact:
    """PER: a payer contact (BL technical, CX business)."""

    function: str
    name: str
    channels: tuple[tuple[str, str], ...]  # (TE/EM/UR/FX, number or address)


@dataclass(frozen=True)
class Party:
    """N1 loop: the payer (PR) or the payee (PE)."""

    entity: str
    name: str
    id_qualifier: str = ""
    identifier: str = ""
    address: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    references: tuple[tuple[str, str], ...] = ()
    contacts: tuple[Contact, ...] = ()
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Payment:
    """BPR: the money itself."""

    handling: str  # C payment with advice, I advice only, H notification only, ...
    amount: Decimal  # signed: a debit (BPR03 D) is negative
    method: str  # ACH, CHK, FWT, BOP, NON
    date: dt.date | None
    format: str = ""
    bank_details: tuple[str, ...] = ()  # BPR06-BPR15 as sent, less trailing empties
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Trace:
    """TRN: the check or EFT trace number that identifies this payment."""

    reference: str
    originator: str
    type_code: str = "1"
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ServiceLine:
    """2110: what the payer did with one billed line."""

    procedure: str
    charge: Decimal
    paid: Decimal
    qualifier: str = "HC"
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal("1")  # SVC05; one when absent, as the guide says
    original_units: Decimal | None = None  # SVC07, when the payer paid other units
    service_date: dt.date | None = None
    service_date_end: dt.date | None = None
    line_control_number: str = ""  # REF*6R, echoed from the 837P line
    authorization: str = ""  # REF*G1
    allowed: Decimal | None = None  # AMT*B6
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE: RARCs
    remark_segments: tuple[tuple[int, str], ...] = field(default=(), compare=False)
    position: int = field(default=0, compare=False)

    @property
    def billed_units(self) -> Decimal:
        return self.original_units if self.original_units is not None else self.units

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


@dataclass(frozen=True)
class ClaimPayment:
    """2100: what the payer did with one claim."""

    patient_control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None = None
    filing_indicator: str = ""
    payer_claim_number: str = ""
    facility_code: str = ""
    frequency: str = ""
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    rendering_npi: str = ""
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # MOA/MIA remark codes
    remark_segments: tuple[tuple[int, str], ...] = field(default=(), compare=False)
    lines: tuple[ServiceLine, ...] = ()
    position: int = field(default=0, compare=False)

    @property
    def status_label(self) -> str:
        return CLAIM_STATUS.get(self.status, f"status {self.status}")

    @property
    def is_denied(self) -> bool:
        return self.status == DENIED

    @property
    def is_reversal(self) -> bool:
        return self.status == REVERSAL

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


@dataclass(frozen=True)
class ProviderAdjustment:
    """PLB: money the payer adds or takes back outside any claim (positive lowers payment)."""

    provider_id: str
    fiscal_period_end: dt.date | None
    reason: str
    reference: str
    amount: Decimal
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction set (ST to SE): one payment to one payee."""

    control_number: str
    payment: Payment
    trace: Trace
    payer: Party
    payee: Party
    claims: tuple[ClaimPayment, ...]
    production_date: dt.date | None = None
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    implementation: str = ""
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id: str
    sender: str
    receiver: str
    date: dt.date | None
    time: str
    control_number: str
    version: str
    transactions: tuple[Remittance, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Interchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: dt.date | None
    time: str
    control_number: str
    usage: str  # P production, T test
    version: str = "00501"


@dataclass(frozen=True)
class Remittance835:
    """A whole 835 file: one interchange, its groups and their remittances."""

    interchange: Interchange
    groups: tuple[FunctionalGroup, ...]
    delimiters: Delimiters = field(default=Delimiters(), compare=False)

    @property
    def remittances(self) -> tuple[Remittance, ...]:
        return tuple(t for g in self.groups for t in g.transactions)

    @property
    def claims(self) -> tuple[ClaimPayment, ...]:
        return tuple(c for r in self.remittances for c in r.claims)


# Reading -----------------------------------------------------------------------------------


class _Cursor:
    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments
        self.i = 0

    def peek(self) -> Segment | None:
        return self.segments[self.i] if self.i < len(self.segments) else None

    def next_id(self) -> str:
        seg = self.peek()
        return seg.id if seg else ""

    def take(self) -> Segment:
        seg = self.segments[self.i]
        self.i += 1
        return seg


_HEADER = frozenset({"TRN", "CUR", "REF", "DTM"})
_PARTY = frozenset({"N3", "N4", "REF", "PER", "RDM"})
_CLAIM = frozenset({"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"})
_LINE = frozenset({"DTM", "CAS", "REF", "AMT", "QTY", "LQ"})


# The longest value the 835 standard (005010X221A1) allows in each element PeerPath reads
# or keeps, by segment and element number. A longer value is refused by name (and before any
# database column could be overrun). Composite elements (SVC01, SVC06, PLB03) are measured
# whole against the sum of their parts.
MAX_LENGTHS: dict[str, dict[int, int]] = {
    "ST": {1: 3, 2: 9, 3: 35},
    "SE": {1: 10, 2: 9},
    "BPR": {1: 2, 2: 18, 3: 1, 4: 3, 5: 10, 6: 2, 7: 12, 8: 3, 9: 35, 10: 10, 11: 9, 12: 2,
            13: 12, 14: 3, 15: 35, 16: 8},
    "TRN": {1: 2, 2: 50, 3: 10, 4: 50},
    "CUR": {1: 3, 2: 3},
    "REF": {1: 3, 2: 50, 3: 80},
    "DTM": {1: 3, 2: 8, 3: 8},
    "N1": {1: 3, 2: 60, 3: 2, 4: 80},
    "N3": {1: 55, 2: 55},
    "N4": {1: 30, 2: 2, 3: 15, 4: 3, 7: 3},
    "PER": {1: 2, 2: 60, 3: 2, 4: 256, 5: 2, 6: 256, 7: 2, 8: 256},
    "RDM": {1: 2, 2: 60, 3: 256},
    "LX": {1: 6},
    "CLP": {1: 38, 2: 2, 3: 18, 4: 18, 5: 18, 6: 2, 7: 50, 8: 2, 9: 1, 11: 30, 12: 15,
            13: 10, 14: 1},
    "CAS": {1: 2, **{n: w for r in range(2, 20, 3) for n, w in ((r, 5), (r + 1, 18), (r + 2, 15))}},
    "NM1": {1: 3, 2: 1, 3: 60, 4: 35, 5: 25, 6: 10, 7: 10, 8: 2, 9: 80},
    "MIA": {n: 50 for n in range(1, 25)},
    "MOA": {1: 10, 2: 18, 3: 50, 4: 50, 5: 50, 6: 50, 7: 50, 8: 18, 9: 18},
    "AMT": {1: 3, 2: 18},
    "QTY": {1: 2, 2: 15},
    "SVC": {1: 2 + 48 + 4 * 2 + 80 + 6, 2: 18, 3: 18, 4: 48, 5: 15, 6: 2 + 48 + 4 * 2 + 80 + 6,
            7: 15},
    "LQ": {1: 3, 2: 30},
    "PLB": {1: 50, 2: 8,
            **{n: w for r in range(3, 15, 2) for n, w in ((r, 2 + 50 + 1), (r + 1, 18))}},
}  # fmt: skip


def _over_long(segments: Sequence[Segment]) -> list[Problem]:
    """Every element longer than the standard allows, named (CLP07) with its length."""
    problems = []
    for seg in segments:
        widths = MAX_LENGTHS.get(seg.id)
        if not widths:
            continue
        for n, value in enumerate(seg.elements, start=1):
            most = widths.get(n)
            if most is not None and len(value) > most:
                problems.append(
                    seg.problem(
                        f"{seg.name_of(n)} is {len(value)} characters long; the 835 standard "
                        f"allows at most {most}"
                    )
                )
    return problems


def decode_835(data: bytes) -> str:
    """An uploaded 835 as text: X12 files are plain ASCII, so the first other byte is
    refused by its offset."""
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise X12Error(
            [
                Problem(
                    None,
                    "",
                    "an X12 file is plain ASCII text; byte "
                    f"{exc.start + 1} (0x{data[exc.start]:02x}) is not",
                )
            ]
        ) from None


def parse_835(text: str, *, codes: ReasonCodes | None = None) -> Remittance835:
    """Read an 835 file, or raise X12Error naming each problem's segment and reason."""
    delimiters, segments = tokenize(text)
    too_long = _over_long(segments)
    if too_long:
        raise X12Error(too_long)
    envelope = read_envelope(
        segments, transaction_set="835", functional_id="HP", version_prefix="005010X221"
    )
    problems: list[Problem] = []
    remittance = _read(envelope, delimiters, problems)
    problems.extend(check_835(remittance, codes=codes))
    if problems:
        raise X12Error(problems)
    return remittance


def _read(envelope: Envelope, delimiters: Delimiters, problems: list[Problem]) -> Remittance835:
    isa = envelope.isa
    interchange = Interchange(
        sender_qualifier=isa.el(5).strip(),
        sender_id=isa.el(6).strip(),
        receiver_qualifier=isa.el(7).strip(),
        receiver_id=isa.el(8).strip(),
        date=_isa_date(isa, problems),
        time=isa.el(10),
        control_number=isa.el(13).strip(),
        usage=isa.el(15),
        version=isa.el(12),
    )
    groups = []
    for span in envelope.groups:
        gs = span.gs
        groups.append(
            FunctionalGroup(
                functional_id=gs.el(1),
                sender=gs.el(2),
                receiver=gs.el(3),
                date=gs.date(4, problems),
                time=gs.el(5),
                control_number=gs.el(6),
                version=gs.el(8),
                transactions=tuple(_read_transaction(t, problems) for t in span.transactions),
                position=gs.position,
            )
        )
    return Remittance835(interchange=interchange, groups=tuple(groups), delimiters=delimiters)


def _isa_date(isa: Segment, problems: list[Problem]) -> dt.date | None:
    raw = isa.el(9)
    if len(raw) == 6 and raw.isdigit():
        try:
            return dt.date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
        except ValueError:
            pass
    problems.append(isa.problem(f"ISA09 '{raw}' is not a YYMMDD date"))
    return None


def _unexpected(seg: Segment, where: str) -> X12Error:
    return seg.error(f"{seg.id} is not expected {where}")


def _read_transaction(span: TransactionSpan, problems: list[Problem]) -> Remittance:
    cur = _Cursor(span.body)
    first = cur.peek()
    if first is None or first.id != "BPR":
        at = first or span.se
        raise at.error("an 835 begins with BPR (the payment) right after ST")
    payment = _read_bpr(cur.take(), problems)
    trace: Trace | None = None
    production_date: dt.date | None = None
    while cur.next_id() in _HEADER:
        seg = cur.take()
        if seg.id == "TRN":
            if trace is not None:
                problems.append(seg.problem("a second TRN: one remittance has one trace number"))
            trace = Trace(seg.el(2), seg.el(3), seg.el(1), seg.position)
            if not seg.el(2):
                problems.append(seg.problem("TRN02 (the check or EFT trace number) is missing"))
        elif seg.id == "DTM" and seg.el(1) == "405":
            production_date = seg.date(2, problems)
    if trace is None:
        raise (cur.peek() or span.se).error("the 835 header has no TRN (trace number)")
    payer = _read_party(cur, "PR", "the payer (N1*PR)", span)
    payee = _read_party(cur, "PE", "the payee (N1*PE)", span)
    claims: list[ClaimPayment] = []
    plbs: list[ProviderAdjustment] = []
    while (nxt := cur.peek()) is not None:
        if nxt.id == "LX":
            cur.take()
            while cur.next_id() in ("TS3", "TS2"):
                cur.take()
        elif nxt.id == "CLP":
            claims.append(_read_claim(cur, problems))
        elif nxt.id == "PLB":
            plbs.extend(_read_plb(cur.take(), problems))
        else:
            where = "after the payee" if not claims else "between claims"
            raise _unexpected(nxt, where)
    return Remittance(
        control_number=span.st.el(2),
        implementation=span.st.el(3),
        payment=payment,
        trace=trace,
        production_date=production_date,
        payer=payer,
        payee=payee,
        claims=tuple(claims),
        provider_adjustments=tuple(plbs),
        position=span.st.position,
    )


def _read_bpr(seg: Segment, problems: list[Problem]) -> Payment:
    amount = seg.amount(2, problems)
    if seg.el(3) == "D":
        amount = -amount
    elif seg.el(3) != "C":
        problems.append(seg.problem(f"BPR03 '{seg.el(3)}' must be C (credit) or D (debit)"))
    if seg.el(4) not in ("ACH", "BOP", "CHK", "FWT", "NON"):
        problems.append(seg.problem(f"BPR04 payment method '{seg.el(4)}' is not a known one"))
    bank = [seg.el(n) for n in range(6, 16)]
    while bank and not bank[-1]:
        bank.pop()
    return Payment(
        handling=seg.el(1),
        amount=amount,
        method=seg.el(4),
        format=seg.el(5),
        bank_details=tuple(bank),
        date=seg.date(16, problems),
        position=seg.position,
    )


def _read_party(cur: _Cursor, entity: str, what: str, span: TransactionSpan) -> Party:
    seg = cur.peek()
    if seg is None or seg.id != "N1" or seg.el(1) != entity:
        raise (seg or span.se).error(f"expected {what} here")
    cur.take()
    address: tuple[str, ...] = ()
    city = state = postal = ""
    refs: list[tuple[str, str]] = []
    contacts: list[Contact] = []
    while cur.next_id() in _PARTY:
        s = cur.take()
        if s.id == "N3":
            address = tuple(x for x in (s.el(1), s.el(2)) if x)
        elif s.id == "N4":
            city, state, postal = s.el(1), s.el(2), s.el(3)
        elif s.id == "REF":
            refs.append((s.el(1), s.el(2)))
        elif s.id == "PER":
            channels = tuple((s.el(n), s.el(n + 1)) for n in (3, 5, 7) if s.el(n) and s.el(n + 1))
            contacts.append(Contact(s.el(1), s.el(2), channels))
    return Party(
        entity=entity,
        name=seg.el(2),
        id_qualifier=seg.el(3),
        identifier=seg.el(4),
        address=address,
        city=city,
        state=state,
        postal_code=postal,
        references=tuple(refs),
        contacts=tuple(contacts),
        position=seg.position,
    )


def _read_cas(seg: Segment, problems: list[Problem]) -> list[Adjustment]:
    """CAS: a group code, then up to six (reason, amount, quantity) triples."""
    out = []
    if not seg.el(1):
        problems.append(seg.problem("CAS01 (the group code) is missing"))
    for n in range(2, 20, 3):
        reason = seg.el(n)
        if not reason:
            if seg.el(n + 1):
                problems.append(seg.problem(f"{seg.name_of(n + 1)} has an amount but no reason"))
            continue
        out.append(
            Adjustment(
                group=seg.el(1),
                reason=reason,
                amount=seg.amount(n + 1, problems),
                quantity=seg.optional_amount(n + 2, problems),
                position=seg.position,
            )
        )
    if not out:
        problems.append(seg.problem("CAS carries no reason code"))
    return out


def _read_claim(cur: _Cursor, problems: list[Problem]) -> ClaimPayment:
    clp = cur.take()
    if not clp.el(1):
        problems.append(clp.problem("CLP01 (the patient control number) is missing"))
    if clp.el(2) not in CLAIM_STATUS:
        problems.append(clp.problem(f"CLP02 claim status '{clp.el(2)}' is not a known one"))
    frequency = clp.el(9)
    adjustments: list[Adjustment] = []
    remarks: list[tuple[str, int, str]] = []
    names: dict[str, Segment] = {}
    dates: dict[str, dt.date | None] = {}
    while cur.next_id() in _CLAIM:
        s = cur.take()
        if s.id == "CAS":
            adjustments.extend(_read_cas(s, problems))
        elif s.id == "NM1":
            names.setdefault(s.el(1), s)
        elif s.id == "MOA":
            remarks.extend((s.el(n), s.position, s.id) for n in range(3, 8) if s.el(n))
        elif s.id == "MIA":
            remarks.extend((s.el(n), s.position, s.id) for n in (5, 20, 21, 22, 23) if s.el(n))
        elif s.id == "DTM" and s.el(1) in ("232", "233"):
            dates[s.el(1)] = s.date(2, problems)
    if "QC" not in names:
        problems.append(clp.problem("the claim has no NM1*QC (the person served)"))
    lines: list[ServiceLine] = []
    while cur.next_id() == "SVC":
        lines.append(_read_line(cur, problems))
    person = names.get("QC")
    rendering = names.get("82")
    return ClaimPayment(
        patient_control_number=clp.el(1),
        status=clp.el(2),
        charge=clp.amount(3, problems),
        paid=clp.amount(4, problems),
        patient_responsibility=clp.optional_amount(5, problems),
        filing_indicator=clp.el(6),
        payer_claim_number=clp.el(7),
        facility_code=clp.el(8),
        frequency=frequency,
        patient_last_name=person.el(3) if person else "",
        patient_first_name=person.el(4) if person else "",
        member_id=person.el(9) if person else "",
        rendering_npi=rendering.el(9) if rendering else "",
        statement_from=dates.get("232"),
        statement_to=dates.get("233"),
        adjustments=tuple(adjustments),
        remarks=tuple(code for code, _, _ in remarks),
        remark_segments=tuple((pos, seg_id) for _, pos, seg_id in remarks),
        lines=tuple(lines),
        position=clp.position,
    )


def _read_line(cur: _Cursor, problems: list[Problem]) -> ServiceLine:
    svc = cur.take()
    parts = svc.components(1)
    if len(parts) < 2 or not parts[1]:
        problems.append(svc.problem("SVC01 needs a qualifier and a procedure code (HC:H0038)"))
        parts = (*parts, "", "")
    units = svc.optional_amount(5, problems)
    adjustments: list[Adjustment] = []
    remarks: list[tuple[str, int, str]] = []
    refs: dict[str, str] = {}
    allowed: Decimal | None = None
    dates: dict[str, dt.date | None] = {}
    while cur.next_id() in _LINE:
        s = cur.take()
        if s.id == "CAS":
            adjustments.extend(_read_cas(s, problems))
        elif s.id == "LQ":
            if s.el(1) == "HE":
                remarks.append((s.el(2), s.position, s.id))
        elif s.id == "REF":
            refs.setdefault(s.el(1), s.el(2))
        elif s.id == "AMT" and s.el(1) == "B6":
            allowed = s.amount(2, problems)
        elif s.id == "DTM" and s.el(1) in ("472", "150", "151"):
            dates[s.el(1)] = s.date(2, problems)
    return ServiceLine(
        qualifier=parts[0],
        procedure=parts[1],
        modifiers=tuple(m for m in parts[2:6] if m),
        charge=svc.amount(2, problems),
        paid=svc.amount(3, problems),
        units=units if units is not None else Decimal("1"),
        original_units=svc.optional_amount(7, problems),
        service_date=dates.get("472") or dates.get("150"),
        service_date_end=dates.get("151"),
        line_control_number=refs.get("6R", ""),
        authorization=refs.get("G1", ""),
        allowed=allowed,
        adjustments=tuple(adjustments),
        remarks=tuple(code for code, _, _ in remarks),
        remark_segments=tuple((pos, seg_id) for _, pos, seg_id in remarks),
        position=svc.position,
    )


def _read_plb(seg: Segment, problems: list[Problem]) -> list[ProviderAdjustment]:
    out = []
    period_end = seg.date(2, problems)
    for n in range(3, 15, 2):
        if not seg.el(n):
            continue
        reason, _, reference = seg.el(n).partition(seg.delimiters.component)
        out.append(
            ProviderAdjustment(
                provider_id=seg.el(1),
                fiscal_period_end=period_end,
                reason=reason,
                reference=reference,
                amount=seg.amount(n + 1, problems),
                position=seg.position,
            )
        )
    return out


# Checks ------------------------------------------------------------------------------------


def _amt(value: Decimal) -> str:
    return amount_text(value)


def check_835(remittance: Remittance835, *, codes: ReasonCodes | None = None) -> list[Problem]:
    """Every balancing and code problem in a read 835, in file order."""
    table = codes or reason_codes()
    problems: list[Problem] = []
    for r in remittance.remittances:
        for claim in r.claims:
            problems.extend(_check_claim(claim, table))
        claims_paid = sum((c.paid for c in r.claims), ZERO)
        plb = sum((p.amount for p in r.provider_adjustments), ZERO)
        if r.payment.amount != claims_paid - plb:
            reason = (
                f"BPR02 pays {_amt(r.payment.amount)}, but the claims' paid amounts (CLP04) "
                f"add up to {_amt(claims_paid)}"
            )
            if r.provider_adjustments:
                reason += (
                    f", less provider adjustments (PLB) of {_amt(plb)}: {_amt(claims_paid - plb)}"
                )
            problems.append(Problem(r.payment.position, "BPR", reason))
    return problems


def _check_codes(
    adjustments: Sequence[Adjustment],
    remarks: Sequence[str],
    remark_segments: Sequence[tuple[int, str]],
    fallback: tuple[int, str],
    table: ReasonCodes,
) -> list[Problem]:
    """Unknown group codes, CARCs and RARCs. A remark without a recorded position (records
    made in code) is reported at `fallback`, its claim or line."""
    problems = []
    for a in adjustments:
        if a.group not in table.groups:
            problems.append(
                Problem(a.position, "CAS", f"CAS01 group code '{a.group}' is not a known one")
            )
        if a.reason not in table.carc:
            problems.append(
                Problem(
                    a.position,
                    "CAS",
                    f"CARC '{a.reason}' is not in PeerPath's reason code table; add it to "
                    "reason_codes.yaml with its meaning before posting",
                )
            )
    for n, code in enumerate(remarks):
        if code not in table.rarc:
            at, seg_id = remark_segments[n] if n < len(remark_segments) else fallback
            problems.append(
                Problem(
                    at,
                    seg_id,
                    f"RARC '{code}' is not in PeerPath's reason code table; add it to "
                    "reason_codes.yaml with its meaning before posting",
                )
            )
    return problems


def _check_claim(claim: ClaimPayment, table: ReasonCodes) -> list[Problem]:
    problems = _check_codes(
        claim.adjustments, claim.remarks, claim.remark_segments, (claim.position, "CLP"), table
    )
    line_adjusted = ZERO
    for line in claim.lines:
        problems.extend(
            _check_codes(
                line.adjustments,
                line.remarks,
                line.remark_segments,
                (line.position, "SVC"),
                table,
            )
        )
        if line.charge - line.paid != line.adjusted:
            problems.append(
                Problem(
                    line.position,
                    "SVC",
                    f"the line does not balance: charge {_amt(line.charge)} less paid "
                    f"{_amt(line.paid)} is {_amt(line.charge - line.paid)}, but its "
                    f"adjustments (CAS) add up to {_amt(line.adjusted)}",
                )
            )
        line_adjusted += line.adjusted
    if claim.lines:
        lines_paid = sum((line.paid for line in claim.lines), ZERO)
        if claim.paid != lines_paid - claim.adjusted:
            problems.append(
                Problem(
                    claim.position,
                    "CLP",
                    f"CLP04 pays {_amt(claim.paid)}, but the service lines pay (SVC03) "
                    f"{_amt(lines_paid)} less claim-level adjustments {_amt(claim.adjusted)}"
                    f" = {_amt(lines_paid - claim.adjusted)}",
                )
            )
    if claim.charge - claim.paid != claim.adjusted + line_adjusted:
        problems.append(
            Problem(
                claim.position,
                "CLP",
                f"the claim does not balance: charge {_amt(claim.charge)} less paid "
                f"{_amt(claim.paid)} is {_amt(claim.charge - claim.paid)}, but its "
                f"adjustments (CAS, claim and lines) add up to "
                f"{_amt(claim.adjusted + line_adjusted)}",
            )
        )
    return problems


# Writing -----------------------------------------------------------------------------------


def _isa(ic: Interchange, d: Delimiters) -> list[str]:
    day = ic.date or dt.date.today()
    return [
        "ISA", "00", " " * 10, "00", " " * 10,
        ic.sender_qualifier.ljust(2), ic.sender_id.ljust(15)[:15],
        ic.receiver_qualifier.ljust(2), ic.receiver_id.ljust(15)[:15],
        day.strftime("%y%m%d"), ic.time.rjust(4, "0")[:4], d.repetition or "^",
        ic.version, ic.control_number.rjust(9, "0")[:9], "0", ic.usage, d.component,
    ]  # fmt: skip


def _party_rows(p: Party) -> list[list[str]]:
    rows = [["N1", p.entity, p.name, p.id_qualifier, p.identifier]]
    if p.address:
        rows.append(["N3", *p.address])
    if p.city or p.state or p.postal_code:
        rows.append(["N4", p.city, p.state, p.postal_code])
    rows.extend(["REF", q, v] for q, v in p.references)
    for c in p.contacts:
        rows.append(["PER", c.function, c.name, *(x for pair in c.channels for x in pair)])
    return rows


def _cas_rows(adjustments: Sequence[Adjustment]) -> list[list[str]]:
    """One CAS per group code, up to six reasons each, in first-seen order."""
    rows: list[list[str]] = []
    by_group: dict[str, list[Adjustment]] = {}
    for a in adjustments:
        by_group.setdefault(a.group, []).append(a)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            row = ["CAS", group]
            for a in items[start : start + 6]:
                row += [a.reason, money(a.amount), quantity(a.quantity) if a.quantity else ""]
            rows.append(row)
    return rows


def _claim_rows(c: ClaimPayment, d: Delimiters) -> list[list[str]]:
    responsibility = "" if c.patient_responsibility is None else money(c.patient_responsibility)
    rows = [[
        "CLP", c.patient_control_number, c.status, money(c.charge), money(c.paid),
        responsibility, c.filing_indicator, c.payer_claim_number, c.facility_code, c.frequency,
    ]]  # fmt: skip
    rows += _cas_rows(c.adjustments)
    rows.append(
        ["NM1", "QC", "1", c.patient_last_name, c.patient_first_name, "", "", "",
         "MI" if c.member_id else "", c.member_id]
    )  # fmt: skip
    if c.rendering_npi:
        rows.append(["NM1", "82", "2", "", "", "", "", "", "XX", c.rendering_npi])
    if c.remarks:
        rows.append(["MOA", "", "", *c.remarks[:5]])
    if c.statement_from:
        rows.append(["DTM", "232", x12_date(c.statement_from)])
    if c.statement_to:
        rows.append(["DTM", "233", x12_date(c.statement_to)])
    for line in c.lines:
        units = "" if line.units == 1 else quantity(line.units)
        original = "" if line.original_units is None else quantity(line.original_units)
        rows.append([
            "SVC", composite(line.qualifier, line.procedure, *line.modifiers, delimiters=d),
            money(line.charge), money(line.paid), "", units, "", original,
        ])  # fmt: skip
        if line.service_date:
            if line.service_date_end and line.service_date_end != line.service_date:
                rows.append(["DTM", "150", x12_date(line.service_date)])
                rows.append(["DTM", "151", x12_date(line.service_date_end)])
            else:
                rows.append(["DTM", "472", x12_date(line.service_date)])
        rows += _cas_rows(line.adjustments)
        if line.line_control_number:
            rows.append(["REF", "6R", line.line_control_number])
        if line.authorization:
            rows.append(["REF", "G1", line.authorization])
        if line.allowed is not None:
            rows.append(["AMT", "B6", money(line.allowed)])
        rows.extend(["LQ", "HE", code] for code in line.remarks)
    return rows


def _plb_rows(adjustments: Sequence[ProviderAdjustment], d: Delimiters) -> list[list[str]]:
    """One PLB per provider and fiscal period, up to six adjustments each."""
    by_key: dict[tuple[str, dt.date | None], list[ProviderAdjustment]] = {}
    for adj in adjustments:
        by_key.setdefault((adj.provider_id, adj.fiscal_period_end), []).append(adj)
    rows = []
    for (provider, period_end), items in by_key.items():
        for start in range(0, len(items), 6):
            row = ["PLB", provider, x12_date(period_end) if period_end else ""]
            for adj in items[start : start + 6]:
                row += [composite(adj.reason, adj.reference, delimiters=d), money(adj.amount)]
            rows.append(row)
    return rows


def _transaction_rows(r: Remittance, d: Delimiters) -> list[list[str]]:
    p = r.payment
    credit = "C" if p.amount >= 0 else "D"
    bank = list(p.bank_details) + [""] * (10 - len(p.bank_details))
    rows: list[list[str]] = [
        ["ST", "835", r.control_number, *([r.implementation] if r.implementation else [])],
        ["BPR", p.handling, money(abs(p.amount)), credit, p.method, p.format, *bank,
         x12_date(p.date) if p.date else ""],
        ["TRN", r.trace.type_code, r.trace.reference, r.trace.originator],
    ]  # fmt: skip
    if r.production_date:
        rows.append(["DTM", "405", x12_date(r.production_date)])
    rows += _party_rows(r.payer)
    rows += _party_rows(r.payee)
    for number, claim in enumerate(r.claims, start=1):
        if number == 1:
            rows.append(["LX", "1"])
        rows += _claim_rows(claim, d)
    rows += _plb_rows(r.provider_adjustments, d)
    rows.append(["SE", str(len(rows) + 1), r.control_number])
    return rows


def format_835(remittance: Remittance835, delimiters: Delimiters | None = None) -> str:
    """Write an 835 file from its records (one segment a line)."""
    d = delimiters or Delimiters()
    ic = remittance.interchange
    rows: list[list[str]] = [_isa(ic, d)]
    for g in remittance.groups:
        rows.append([
            "GS", g.functional_id, g.sender, g.receiver,
            x12_date(g.date) if g.date else "", g.time, g.control_number, "X", g.version,
        ])  # fmt: skip
        for r in g.transactions:
            rows += _transaction_rows(r, d)
        rows.append(["GE", str(len(g.transactions)), g.control_number])
    rows.append(["IEA", str(len(remittance.groups)), ic.control_number.rjust(9, "0")[:9]])
    return render(rows, d)
