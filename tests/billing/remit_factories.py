"""Claims as they stand once an 837P went out, and that 837P, for the remittance tests.

`sent_claims` makes a ClaimBatch with claims and submitted lines for signed-note stand-ins,
and writes the file with PeerPath's own 837P writer, so the 835s in the tests answer a
generated 837P.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from peerpath.billing.models import Claim, ClaimBatch, ClaimLine, LineStatus
from peerpath.billing.x12 import claim837 as x837
from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Person
from tests.factories import NoteFactory, StaffFactory

RATE = Decimal("11.97")


@dataclass(frozen=True)
class LineSpec:
    day: dt.date
    units: int
    modifiers: tuple[str, ...] = ()


def sent_claims(
    agency: Agency,
    payer: Payer,
    claims: Sequence[tuple[Person, Sequence[LineSpec]]],
    *,
    isa_control: int = 501,
    submitted_on: dt.datetime = dt.datetime(2026, 4, 20, 9, 30, tzinfo=dt.UTC),
) -> tuple[ClaimBatch, str]:
    """A batch of submitted claims (one per entry) and the 837P that carried them."""
    staff = StaffFactory(agency=agency)
    batch = ClaimBatch.objects.create(
        agency=agency, payer=payer, isa_control=isa_control, gs_control=isa_control,
        st_control="0001", created_at=submitted_on,
    )  # fmt: skip
    data = []
    for n, (person, specs) in enumerate(claims, start=1):
        days = [s.day for s in specs]
        claim = Claim.objects.create(
            batch=batch, person=person, payer=payer,
            patient_control_number=f"PP{isa_control}-{n}",
            diagnosis_codes=["F33.1"],
            total_charge=sum((RATE * s.units for s in specs), Decimal("0")),
            first_service_date=min(days), last_service_date=max(days),
            rendering_npi=staff.npi, created_at=submitted_on,
        )  # fmt: skip
        lines = []
        for number, spec in enumerate(specs, start=1):
            note = NoteFactory(
                person=person,
                staff=staff,
                date=spec.day,
                status="signed",
                signed_at=submitted_on,
                signed_by=staff,
            )
            lines.append(
                ClaimLine.objects.create(
                    note=note, person=person, payer=payer, claim=claim, line_number=number,
                    service_date=spec.day, procedure_code="H0038",
                    modifiers=list(spec.modifiers), units=spec.units,
                    charge=RATE * spec.units, diagnosis_pointers=[1], place_of_service="11",
                    rendering_npi=staff.npi, status=LineStatus.SUBMITTED,
                )
            )  # fmt: skip
        data.append(_claim_data(person, claim, lines, staff))
    text = x837.write_837p(
        x837.Interchange(
            sender_id="PEERPATH01",
            receiver_id=payer.payer_id,
            isa_control=isa_control,
            gs_control=isa_control,
            st_control="0001",
            created=submitted_on,
            submitter=x837.Party(name=agency.name, id="PEERPATH01", phone="9195550100"),
            receiver=x837.Party(name=payer.name, id=payer.payer_id),
            billing_provider=x837.Party(
                name=agency.name,
                id=agency.npi,
                address="100 MAIN STREET",
                city="RALEIGH",
                state="NC",
                postal_code="276011234",
                tax_id=agency.tax_id,
            ),
            payer=x837.Party(name=payer.name, id=payer.payer_id),
            claims=tuple(data),
            usage="T",
        )
    )
    batch.file_text = text
    batch.claim_count = len(data)
    batch.save()
    return batch, text


def _claim_data(
    person: Person, claim: Claim, lines: list[ClaimLine], staff: object
) -> x837.ClaimData:
    rendering = x837.Rendering(last_name="RIVERA", first_name="SAM", npi=claim.rendering_npi)
    return x837.ClaimData(
        patient_control_number=claim.patient_control_number,
        subscriber=x837.Subscriber(
            key=person.pk,
            last_name=person.last_name,
            first_name=person.first_name,
            member_id=person.medicaid_id,
            date_of_birth=person.date_of_birth,
            sex="U",
        ),
        total_charge=claim.total_charge,
        place_of_service="11",
        diagnosis_codes=("F33.1",),
        lines=tuple(
            x837.ServiceLine(
                control_number=str(line.pk),
                service_date=line.service_date,
                procedure_code="H0038",
                modifiers=tuple(line.modifiers),
                charge=line.charge,
                units=line.units,
                pointers=(1,),
            )
            for line in lines
        ),
        rendering=rendering,
    )
