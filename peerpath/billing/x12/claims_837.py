"""Read the claims out of any 837P (005010X222A1) file: enough to answer it with an 835.

This is a reader for PeerPath's own needs (the remittance builder and matching remittances
to what was sent), not a validator: it reads the segments it needs (NM1*85 billing provider,
NM1*PR payer, SBR, NM1*IL/NM1*QC the person, CLM, REF*G1, NM1*82, LX, SV1, DTP*472, REF*6R)
and skips the rest. The envelope is checked like any X12 file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from peerpath.billing.x12.envelope import read_envelope
from peerpath.billing.x12.tokens import Problem, Segment, X12Error, parse_date, tokenize


@dataclass(frozen=True)
class SubmittedLine:
    number: int  # LX01
    qualifier: str
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    service_date: dt.date | None
    service_date_end: dt.date | None = None
    line_control_number: str = ""  # REF*6R
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SubmittedClaim:
    patient_control_number: str  # CLM01
    charge: Decimal
    facility_code: str
    frequency: str
    filing_indicator: str  # SBR09
    last_name: str
    first_name: str
    member_id: str
    authorization: str = ""
    rendering_npi: str = ""
    lines: tuple[SubmittedLine, ...] = ()
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Submitted837:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    usage: str
    control_number: str  # ISA13
    billing_provider_name: str
    billing_provider_npi: str
    billing_provider_address: tuple[str, ...]
    billing_provider_city: str
    billing_provider_state: str
    billing_provider_zip: str
    payer_name: str
    payer_id: str
    claims: tuple[SubmittedClaim, ...]


def parse_837_claims(text: str) -> Submitted837:
    """The claims of an 837P file, or X12Error naming where it broke."""
    _, segments = tokenize(text)
    envelope = read_envelope(
        segments, transaction_set="837", functional_id="HC", version_prefix="005010X222"
    )
    problems: list[Problem] = []
    provider = _Provider()
    payer: tuple[str, str] = ("", "")
    claims: list[SubmittedClaim] = []
    for group in envelope.groups:
        for span in group.transactions:
            r = _Reader(problems)
            for seg in span.body:
                r.feed(seg)
            r.finish()
            claims.extend(r.claims)
            provider = provider if provider.name else r.provider
            payer = payer if payer[0] else r.payer
    if problems:
        raise X12Error(problems)
    isa = envelope.isa
    return Submitted837(
        sender_qualifier=isa.el(5).strip(),
        sender_id=isa.el(6).strip(),
        receiver_qualifier=isa.el(7).strip(),
        receiver_id=isa.el(8).strip(),
        usage=isa.el(15),
        control_number=isa.el(13).strip(),
        billing_provider_name=provider.name,
        billing_provider_npi=provider.npi,
        billing_provider_address=provider.address,
        billing_provider_city=provider.city,
        billing_provider_state=provider.state,
        billing_provider_zip=provider.postal_code,
        payer_name=payer[0],
        payer_id=payer[1],
        claims=tuple(claims),
    )


@dataclass
class _LineDraft:
    number: int
    qualifier: str = ""
    procedure: str = ""
    modifiers: tuple[str, ...] = ()
    charge: Decimal = Decimal("0")
    units: Decimal = Decimal("1")
    service_date: dt.date | None = None
    service_date_end: dt.date | None = None
    line_control_number: str = ""
    position: int = 0


@dataclass
class _ClaimDraft:
    patient_control_number: str
    charge: Decimal
    facility_code: str
    frequency: str
    position: int
    authorization: str = ""
    rendering_npi: str = ""
    lines: list[SubmittedLine] = field(default_factory=list)


@dataclass
class _Provider:
    name: str = ""
    npi: str = ""
    address: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""


class _Reader:
    """Walks one 837P transaction, keeping the HL context (billing provider, subscriber,
    patient) that each claim inherits."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.provider = _Provider()
        self.payer: tuple[str, str] = ("", "")
        self.claims: list[SubmittedClaim] = []
        self.level = ""  # HL03: 20 billing provider, 22 subscriber, 23 patient
        self.last_nm1 = ""
        self.filing = ""
        self.person: tuple[str, str, str] = ("", "", "")
        self.claim: _ClaimDraft | None = None
        self.line: _LineDraft | None = None

    def feed(self, seg: Segment) -> None:
        handler = getattr(self, f"_{seg.id.lower()}", None)
        if handler is not None:
            handler(seg)

    def _hl(self, seg: Segment) -> None:
        self._close_claim()
        self.level = seg.el(3)

    def _sbr(self, seg: Segment) -> None:
        self.filing = seg.el(9)

    def _nm1(self, seg: Segment) -> None:
        self.last_nm1 = seg.el(1)
        if seg.el(1) == "85":
            self.provider = _Provider(name=seg.el(3), npi=seg.el(9))
        elif seg.el(1) == "PR" and not self.payer[0]:
            self.payer = (seg.el(3), seg.el(9))
        elif seg.el(1) == "IL" or (seg.el(1) == "QC" and self.level == "23"):
            self.person = (seg.el(3), seg.el(4), seg.el(9) or self.person[2])
        elif seg.el(1) == "82" and self.claim is not None:
            self.claim.rendering_npi = seg.el(9)

    def _n3(self, seg: Segment) -> None:
        if self.last_nm1 == "85" and not self.provider.address:
            self.provider.address = tuple(x for x in (seg.el(1), seg.el(2)) if x)

    def _n4(self, seg: Segment) -> None:
        if self.last_nm1 == "85" and not self.provider.city:
            self.provider.city, self.provider.state = seg.el(1), seg.el(2)
            self.provider.postal_code = seg.el(3)

    def _clm(self, seg: Segment) -> None:
        self._close_claim()
        facility = seg.components(5)
        self.claim = _ClaimDraft(
            patient_control_number=seg.el(1),
            charge=seg.amount(2, self.problems),
            facility_code=facility[0] if facility else "",
            frequency=facility[2] if len(facility) > 2 else "",
            position=seg.position,
        )
        if not seg.el(1):
            self.problems.append(seg.problem("CLM01 (the patient control number) is missing"))

    def _ref(self, seg: Segment) -> None:
        if seg.el(1) == "6R" and self.line is not None:
            self.line.line_control_number = seg.el(2)
        elif seg.el(1) == "G1" and self.claim is not None and self.line is None:
            self.claim.authorization = seg.el(2)

    def _lx(self, seg: Segment) -> None:
        self._close_line()
        if self.claim is None:
            self.problems.append(seg.problem("LX (a service line) comes before any CLM"))
            return
        number = seg.el(1)
        self.line = _LineDraft(
            number=int(number) if number.isdigit() else len(self.claim.lines) + 1
        )

    def _sv1(self, seg: Segment) -> None:
        if self.line is None:
            self.problems.append(seg.problem("SV1 comes without an LX (service line number)"))
            return
        parts = seg.components(1)
        if len(parts) < 2 or not parts[1]:
            self.problems.append(seg.problem("SV101 needs a qualifier and a procedure code"))
            parts = (*parts, "", "")
        units = seg.optional_amount(4, self.problems)
        line = self.line
        line.qualifier, line.procedure = parts[0], parts[1]
        line.modifiers = tuple(m for m in parts[2:6] if m)
        line.charge = seg.amount(2, self.problems)
        line.units = units if units is not None else Decimal("1")
        line.position = seg.position

    def _dtp(self, seg: Segment) -> None:
        if seg.el(1) != "472" or self.line is None:
            return
        if seg.el(2) == "RD8":
            start, _, end = seg.el(3).partition("-")
            self.line.service_date = parse_date(start, seg, 3, self.problems)
            self.line.service_date_end = parse_date(end, seg, 3, self.problems)
        else:
            self.line.service_date = parse_date(seg.el(3), seg, 3, self.problems)

    def _close_line(self) -> None:
        line, self.line = self.line, None
        if line is None or self.claim is None:
            return
        if not line.procedure:
            return  # an LX without SV1 was already reported, or SV1 was unreadable
        self.claim.lines.append(
            SubmittedLine(
                number=line.number,
                qualifier=line.qualifier,
                procedure=line.procedure,
                modifiers=line.modifiers,
                charge=line.charge,
                units=line.units,
                service_date=line.service_date,
                service_date_end=line.service_date_end,
                line_control_number=line.line_control_number,
                position=line.position,
            )
        )

    def _close_claim(self) -> None:
        self._close_line()
        c, self.claim = self.claim, None
        if c is None:
            return
        self.claims.append(
            SubmittedClaim(
                patient_control_number=c.patient_control_number,
                charge=c.charge,
                facility_code=c.facility_code,
                frequency=c.frequency,
                filing_indicator=self.filing,
                last_name=self.person[0],
                first_name=self.person[1],
                member_id=self.person[2],
                authorization=c.authorization,
                rendering_npi=c.rendering_npi,
                lines=tuple(c.lines),
                position=c.position,
            )
        )

    def finish(self) -> None:
        self._close_claim()
