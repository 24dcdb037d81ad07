"""Posting an 835: payments and reasons land on the claims and lines they answer; a file
that is broken, mismatched or already posted is refused whole, saying where, and changes
nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from peerpath.audit.models import ChangeRecord
from peerpath.billing.models import (
    Adjustment,
    Claim,
    ClaimLine,
    ClaimPayment,
    LinePayment,
    Payment,
    RemittanceFile,
)
from peerpath.billing.remittance import post_remittance
from peerpath.billing.x12.remit import Adjustment as Adjustment835
from peerpath.billing.x12.remit import format_835
from peerpath.billing.x12.remit_builder import (
    ClaimOutcome,
    LineOutcome,
    build_835_from_837,
    remittance_from_837,
)
from peerpath.billing.x12.tokens import X12Error
from peerpath.core import formatting as fmt
from tests.access.factories import StaffUserFactory
from tests.billing.remit_factories import LineSpec, sent_claims
from tests.billing.x12_support import pyx12_problems
from tests.factories import PayerFactory, PersonFactory

D = dt.date


@pytest.fixture
def sent(db):
    billing = StaffUserFactory(role="billing")
    agency = billing.agency
    payer = PayerFactory()
    one = PersonFactory(agency=agency, payer=payer)
    two = PersonFactory(agency=agency, payer=payer)
    batch, text = sent_claims(
        agency,
        payer,
        [
            (one, [LineSpec(D(2026, 4, 6), 4), LineSpec(D(2026, 4, 8), 6),
                   LineSpec(D(2026, 4, 9), 4)]),
            (two, [LineSpec(D(2026, 4, 7), 8, ("HQ",)), LineSpec(D(2026, 4, 10), 4)]),
            (two, [LineSpec(D(2026, 4, 14), 4)]),
        ],
    )  # fmt: skip
    return billing.user, batch, text


OUTCOMES = {
    "PP501-1": ClaimOutcome(
        lines={
            2: LineOutcome.deny("119", remarks=("N362",)),
            3: LineOutcome.part(Decimal("30.00"), reason="151"),
        }
    ),
    "PP501-2": ClaimOutcome(lines={1: LineOutcome.part(Decimal("20.00"), reason="45")}),
    "PP501-3": LineOutcome.deny("197", remarks=("N54",)),
}


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (RemittanceFile, Payment, ClaimPayment, LinePayment, Adjustment, ChangeRecord)
    }


def statuses() -> list[tuple[str, str, Decimal | None]]:
    return [(x.claim.patient_control_number, x.status, x.paid_amount)
            for x in ClaimLine.objects.select_related("claim").order_by("pk")]  # fmt: skip


def test_the_generated_837p_is_valid_for_pyx12(sent) -> None:
    _, _, text = sent
    assert pyx12_problems(text) == []


def test_an_835_answering_a_generated_837p_posts_paid_partly_paid_and_denied_lines(sent) -> None:
    actor, batch, text = sent
    remit = build_835_from_837(text, OUTCOMES, trace_number="EFT1001", method="ACH")
    assert pyx12_problems(remit) == []

    file = post_remittance(actor=actor, text=remit, file_name="era.835")

    assert (file.claim_count, file.line_count, file.posted_by) == (3, 6, actor)
    payment = Payment.objects.get()
    assert (payment.trace_number, payment.method, payment.payer_id) == (
        "EFT1001",
        "ACH",
        batch.payer_id,
    )
    assert payment.amount == Decimal("47.88") + Decimal("30.00") + Decimal("20.00") + Decimal(
        "47.88"
    )
    lines = list(ClaimLine.objects.order_by("pk"))
    assert [(x.status, x.paid_amount) for x in lines] == [
        ("paid", Decimal("47.88")),
        ("denied", Decimal("0.00")),
        ("partly_paid", Decimal("30.00")),
        ("paid", Decimal("20.00")),  # cut to the fee schedule (CARC 45): paid, not refused
        ("paid", Decimal("47.88")),
        ("denied", Decimal("0.00")),
    ]
    claims = {c.patient_control_number: c for c in Claim.objects.all()}
    assert {k: c.status for k, c in claims.items()} == {
        "PP501-1": "partly_paid",
        "PP501-2": "paid",
        "PP501-3": "denied",
    }
    assert claims["PP501-2"].payer_claim_number
    denied = LinePayment.objects.get(line=lines[1])
    assert (denied.denial_group, denied.denial_reason, denied.remarks) == ("CO", "119", ["N362"])
    assert LinePayment.objects.get(line=lines[3]).denial_reason == ""
    adjustment = Adjustment.objects.get(line_payment__line=lines[2])
    assert (adjustment.group, adjustment.reason, adjustment.amount) == (
        "CO",
        "151",
        Decimal("17.88"),
    )
    assert [c.is_clean for c in ClaimPayment.objects.order_by("claim__patient_control_number")] == [
        False,
        True,
        False,
    ]


def test_the_same_835_twice_is_refused_and_changes_nothing(sent) -> None:
    actor, _, text = sent
    remit = build_835_from_837(text, OUTCOMES)
    post_remittance(actor=actor, text=remit)
    before, lines = counts(), statuses()
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=remit)
    assert "this file was already posted on" in str(caught.value)
    assert (counts(), statuses()) == (before, lines)


def test_the_same_payment_in_another_file_is_refused_at_its_trn(sent) -> None:
    actor, _, text = sent
    post_remittance(actor=actor, text=build_835_from_837(text, {"PP501-2": None, "PP501-3": None}))
    again = build_835_from_837(text, {"PP501-1": None}, paid_on=D(2026, 5, 1))
    before = counts()
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=again)
    problem = caught.value.first
    assert (problem.position, problem.segment_id) == (5, "TRN")
    assert problem.reason == "payment 000000001 from payer 1999999999 was already posted on " + (
        fmt.day(RemittanceFile.objects.get().posted_at)
    )
    assert counts() == before


def test_a_truncated_835_changes_nothing_and_says_where_it_broke(sent) -> None:
    actor, _, text = sent
    remit = build_835_from_837(text, OUTCOMES)
    cut = "\n".join(remit.splitlines()[:20]) + "\n"
    before, lines = counts(), statuses()
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=cut)
    problem = caught.value.first
    assert problem.position == 20
    assert "without the SE that closes transaction set 0001" in problem.reason
    assert (counts(), statuses()) == (before, lines)


def test_one_unmatched_claim_refuses_the_whole_file(sent) -> None:
    actor, _, text = sent
    remit = build_835_from_837(text, OUTCOMES).replace("CLP*PP501-3*", "CLP*PP999-3*")
    before, lines = counts(), statuses()
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=remit)
    (problem,) = caught.value.problems
    assert problem.segment_id == "CLP"
    assert problem.reason == "no claim PP999-3 was sent by this agency"
    position = next(n for n, line in enumerate(remit.splitlines(), 1) if "PP999-3" in line)
    assert problem.position == position
    assert (counts(), statuses()) == (before, lines)


def test_a_line_the_agency_did_not_send_is_refused_at_its_svc(sent) -> None:
    actor, _, text = sent
    built = remittance_from_837(text, OUTCOMES)
    (group,) = built.groups
    (r,) = group.transactions
    first = r.claims[0]
    wrong = replace(first.lines[0], line_control_number="999999")
    r = replace(r, claims=(replace(first, lines=(wrong, *first.lines[1:])), *r.claims[1:]))
    remit = format_835(replace(built, groups=(replace(group, transactions=(r,)),)))
    before = counts()
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=remit)
    (problem,) = caught.value.problems
    assert problem.segment_id == "SVC"
    assert problem.reason == "no line of claim PP501-1 matches (line control number 999999)"
    assert counts() == before


def test_lines_without_a_control_number_match_by_procedure_and_date(sent) -> None:
    actor, _, text = sent
    built = remittance_from_837(text, OUTCOMES)
    (group,) = built.groups
    (r,) = group.transactions
    claims = tuple(
        replace(c, lines=tuple(replace(x, line_control_number="") for x in c.lines))
        for c in r.claims
    )
    remit = format_835(
        replace(built, groups=(replace(group, transactions=(replace(r, claims=claims),)),))
    )
    post_remittance(actor=actor, text=remit)
    assert [x.status for x in ClaimLine.objects.order_by("pk")] == [
        "paid", "denied", "partly_paid", "paid", "paid", "denied",
    ]  # fmt: skip


def test_a_charge_other_than_billed_is_refused(sent) -> None:
    actor, _, text = sent
    built = remittance_from_837(text)
    (group,) = built.groups
    (r,) = group.transactions
    last = r.claims[2]
    (line,) = last.lines
    extra = Decimal("2.12")
    line = replace(
        line, charge=line.charge + extra, adjustments=(Adjustment835("CO", "45", extra),)
    )
    last = replace(last, charge=last.charge + extra, lines=(line,))
    r = replace(r, claims=(*r.claims[:2], last))
    remit = format_835(replace(built, groups=(replace(group, transactions=(r,)),)))
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=remit)
    assert [p.reason for p in caught.value.problems] == [
        "CLP03 charge 50.00 differs from the 47.88 billed on claim PP501-3",
        "SVC02 charge 50.00 differs from the 47.88 billed on the line (line control number "
        f"{ClaimLine.objects.get(claim__patient_control_number='PP501-3').pk})",
    ]


def test_another_agency_cannot_post_against_these_claims(sent) -> None:
    _, _, text = sent
    outsider = StaffUserFactory(role="billing")
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=outsider.user, text=build_835_from_837(text))
    assert [p.reason for p in caught.value.problems] == [
        f"no claim PP501-{n} was sent by this agency" for n in (1, 2, 3)
    ]


def test_a_claim_already_answered_is_not_posted_again(sent) -> None:
    actor, _, text = sent
    post_remittance(actor=actor, text=build_835_from_837(text, {"PP501-3": None}))
    second = build_835_from_837(text, {"PP501-3": None}, trace_number="CHK2", control_number=2)
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=second)
    assert [p.reason for p in caught.value.problems] == [
        "claim PP501-1 is paid, not awaiting payment",
        "claim PP501-2 is paid, not awaiting payment",
    ]
