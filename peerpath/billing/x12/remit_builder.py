"""Answer an 837P with an 835: pay, partly pay or deny each claim and line, as a payer would.

For tests and the demo. `build_835_from_837(text_837, outcomes)` reads the claims of any
837P and writes a balanced 835 (005010X221A1) for them:

    outcomes = {
        "PP1001": ClaimOutcome(lines={2: LineOutcome.deny("119", remarks=("N362",))}),
        "PP1002": LineOutcome.part(Decimal("20.00"), reason="45"),   # every line
        "PP1003": None,                                             # left out of this 835
    }

A claim not named in `outcomes` is paid in full. A line paid less than its charge carries one
CAS with the given group code and CARC for the difference, and its remarks as LQ*HE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from peerpath.billing.x12.claims_837 import SubmittedClaim, SubmittedLine, parse_837_claims
from peerpath.billing.x12.remit import (
    DENIED,
    IMPLEMENTATION,
    ZERO,
    Adjustment,
    ClaimPayment,
    Contact,
    FunctionalGroup,
    Interchange,
    Party,
    Payment,
    Remittance,
    Remittance835,
    ServiceLine,
    Trace,
    format_835,
)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineOutcome:
    """What the payer does with a line. `paid=None` pays the full charge."""

    paid: Decimal | None = None
    reason: str = "45"  # CARC for the unpaid part
    group: str = "CO"
    remarks: tuple[str, ...] = ()
    units_paid: Decimal | None = None

    @classmethod
    def pay(cls) -> LineOutcome:
        return cls()

    @classmethod
    def deny(cls, reason: str, *, group: str = "CO", remarks: tuple[str, ...] = ()) -> LineOutcome:
        return cls(paid=ZERO, reason=reason, group=group, remarks=remarks, units_paid=ZERO)

    @classmethod
    def part(
        cls, paid: Decimal, *, reason: str = "45", group: str = "CO",
        remarks: tuple[str, ...] = (), units_paid: Decimal | None = None,
    ) -> LineOutcome:  # fmt: skip
        return cls(paid=paid, reason=reason, group=group, remarks=remarks, units_paid=units_paid)


@dataclass(frozen=True)
class ClaimOutcome:
    """Per-line outcomes of a claim, by line number (LX01); other lines get `default`."""

    lines: Mapping[int, LineOutcome] = field(default_factory=dict)
    default: LineOutcome = LineOutcome()


@dataclass(frozen=True)
class PayerInfo:
    """Who pays. The defaults are a made-up test payer."""

    name: str = ""  # defaults to the 837P's payer name
    identifier: str = ""  # TRN03 and N1*PR; defaults to "1" + a made-up tax id
    address: tuple[str, ...] = ("PO BOX 1000",)
    city: str = "RALEIGH"
    state: str = "NC"
    postal_code: str = "27601"
    contact_phone: str = "9195550199"


def _line_payment(line: SubmittedLine, outcome: LineOutcome) -> ServiceLine:
    paid = line.charge if outcome.paid is None else outcome.paid.quantize(CENT)
    if paid > line.charge:
        raise ValueError(f"line {line.number}: paid {paid} is more than its charge {line.charge}")
    units = outcome.units_paid
    if units is None:
        units = line.units if paid > 0 else ZERO
    adjustments: tuple[Adjustment, ...] = ()
    if paid != line.charge:
        adjustments = (Adjustment(outcome.group, outcome.reason, line.charge - paid),)
    return ServiceLine(
        qualifier=line.qualifier,
        procedure=line.procedure,
        modifiers=line.modifiers,
        charge=line.charge,
        paid=paid,
        units=units,
        original_units=None if units == line.units else line.units,
        service_date=line.service_date,
        service_date_end=line.service_date_end,
        line_control_number=line.line_control_number,
        allowed=paid if paid > 0 else None,
        adjustments=adjustments,
        remarks=outcome.remarks,
    )


def _claim_payment(
    claim: SubmittedClaim, outcome: ClaimOutcome | LineOutcome, payer_claim_number: str
) -> ClaimPayment:
    plan = outcome if isinstance(outcome, ClaimOutcome) else ClaimOutcome(default=outcome)
    lines = tuple(
        _line_payment(line, plan.lines.get(line.number, plan.default)) for line in claim.lines
    )
    unknown = set(plan.lines) - {line.number for line in claim.lines}
    if unknown:
        raise ValueError(
            f"claim {claim.patient_control_number} has no line number {sorted(unknown)}"
        )
    charge = sum((line.charge for line in lines), ZERO)
    paid = sum((line.paid for line in lines), ZERO)
    person_share = sum(
        (a.amount for line in lines for a in line.adjustments if a.group == "PR"), ZERO
    )
    dates = [d for line in claim.lines for d in (line.service_date, line.service_date_end) if d]
    return ClaimPayment(
        patient_control_number=claim.patient_control_number,
        status=DENIED if paid == 0 and charge > 0 else "1",
        charge=charge,
        paid=paid,
        patient_responsibility=person_share if person_share else None,
        filing_indicator=claim.filing_indicator or "MC",
        payer_claim_number=payer_claim_number,
        facility_code=claim.facility_code,
        frequency=claim.frequency,
        patient_last_name=claim.last_name,
        patient_first_name=claim.first_name,
        member_id=claim.member_id,
        statement_from=min(dates) if dates else None,
        statement_to=max(dates) if dates else None,
        lines=lines,
    )


def build_835_from_837(
    text_837: str,
    outcomes: Mapping[str, ClaimOutcome | LineOutcome | None] | None = None,
    *,
    paid_on: dt.date = dt.date(2025, 3, 20),
    trace_number: str = "",
    control_number: int = 1,
    method: str = "CHK",
    payer: PayerInfo | None = None,
) -> str:
    """An 835 paying, partly paying or denying the claims of `text_837` (see module doc)."""
    return format_835(
        remittance_from_837(
            text_837, outcomes, paid_on=paid_on, trace_number=trace_number,
            control_number=control_number, method=method, payer=payer,
        )
    )  # fmt: skip


def remittance_from_837(
    text_837: str,
    outcomes: Mapping[str, ClaimOutcome | LineOutcome | None] | None = None,
    *,
    paid_on: dt.date = dt.date(2025, 3, 20),
    trace_number: str = "",
    control_number: int = 1,
    method: str = "CHK",
    payer: PayerInfo | None = None,
) -> Remittance835:
    """The records `build_835_from_837` writes."""
    submitted = parse_837_claims(text_837)
    outcomes = outcomes or {}
    unknown = set(outcomes) - {c.patient_control_number for c in submitted.claims}
    if unknown:
        raise ValueError(f"no claim with patient control number {sorted(unknown)} in the 837P")
    info = payer or PayerInfo()
    payer_id = info.identifier or "1999999999"
    claims = []
    for n, claim in enumerate(submitted.claims, start=1):
        outcome = outcomes.get(claim.patient_control_number, LineOutcome())
        if outcome is None:
            continue
        claims.append(_claim_payment(claim, outcome, f"{control_number:04d}{n:05d}"))
    total = sum((c.paid for c in claims), ZERO)
    if method not in ("CHK", "ACH"):
        raise ValueError("method is CHK or ACH")
    bank: tuple[str, ...] = ()
    if total == 0:
        method = "NON"
    elif method == "ACH":
        # BPR06-BPR15: made-up routing and account numbers of sender and receiver.
        bank = ("01", "999999992", "DA", "123456", payer_id, "", "01", "999988880", "DA", "98765")
    remittance = Remittance(
        control_number="0001",
        payment=Payment(
            handling="I" if total > 0 else "H",
            amount=total,
            method=method,
            format="CCP" if method == "ACH" else "",
            bank_details=bank,
            date=paid_on,
        ),
        trace=Trace(reference=trace_number or f"{control_number:09d}", originator=payer_id),
        production_date=paid_on,
        payer=Party(
            entity="PR",
            name=info.name or submitted.payer_name or "TEST PAYER",
            address=info.address,
            city=info.city,
            state=info.state,
            postal_code=info.postal_code,
            contacts=(Contact("BL", "PROVIDER SERVICES", (("TE", info.contact_phone),)),),
        ),
        payee=Party(
            entity="PE",
            name=submitted.billing_provider_name,
            id_qualifier="XX",
            identifier=submitted.billing_provider_npi,
        ),
        claims=tuple(claims),
    )
    group = FunctionalGroup(
        functional_id="HP",
        sender=submitted.receiver_id,
        receiver=submitted.sender_id,
        date=paid_on,
        time="1200",
        control_number=str(control_number),
        version=IMPLEMENTATION,
        transactions=(remittance,),
    )
    interchange = Interchange(
        sender_qualifier=submitted.receiver_qualifier,
        sender_id=submitted.receiver_id,
        receiver_qualifier=submitted.sender_qualifier,
        receiver_id=submitted.sender_id,
        date=paid_on,
        time="1200",
        control_number=f"{control_number:09d}",
        usage=submitted.usage or "P",
    )
    return Remittance835(interchange=interchange, groups=(group,))
