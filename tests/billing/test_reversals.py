"""Reversals (CLP02 = 22) are posted, not refused: the payer takes back an earlier payment,
the claim and its lines await an answer again, and the corrected answer that follows in the
same file is posted on them. A reversal with nothing to take back is refused by segment."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from peerpath.billing.models import Claim, ClaimLine, ClaimPayment, LinePayment
from peerpath.billing.remittance import post_remittance, refusal_sentence
from peerpath.billing.x12.remit import Adjustment, Remittance835, format_835
from peerpath.billing.x12.remit import ClaimPayment as Clp
from peerpath.billing.x12.remit_builder import LineOutcome, remittance_from_837
from peerpath.billing.x12.tokens import X12Error
from tests.access.factories import StaffUserFactory
from tests.billing.remit_factories import LineSpec, sent_claims
from tests.factories import PayerFactory, PersonFactory

D = dt.date


@pytest.fixture
def sent(db):
    billing = StaffUserFactory(role="billing")
    agency = billing.agency
    payer = PayerFactory()
    one, two = (PersonFactory(agency=agency, payer=payer) for _ in range(2))
    _batch, text = sent_claims(
        agency,
        payer,
        [
            (one, [LineSpec(D(2026, 4, 6), 4), LineSpec(D(2026, 4, 8), 6)]),
            (two, [LineSpec(D(2026, 4, 7), 4)]),
        ],
    )
    return billing.user, text


def _negate(a: Adjustment) -> Adjustment:
    return replace(a, amount=-a.amount)


def reversal_of(clp: Clp) -> Clp:
    """The payer's CLP taking back `clp`: status 22, every amount negated."""
    return replace(
        clp,
        status="22",
        charge=-clp.charge,
        paid=-clp.paid,
        adjustments=tuple(_negate(a) for a in clp.adjustments),
        lines=tuple(
            replace(
                svc,
                charge=-svc.charge,
                paid=-svc.paid,
                units=-svc.units,
                allowed=-svc.allowed if svc.allowed is not None else None,
                adjustments=tuple(_negate(a) for a in svc.adjustments),
            )
            for svc in clp.lines
        ),
    )


def second_file(first: Remittance835, claims: tuple[Clp, ...], trace: str) -> str:
    """A later 835 carrying `claims` as one payment (amount = what they pay together)."""
    group = first.groups[0]
    r = group.transactions[0]
    amount = sum((c.paid for c in claims), Decimal("0"))
    r2 = replace(
        r,
        control_number="0002",
        claims=claims,
        payment=replace(r.payment, amount=amount, method="ACH" if amount > 0 else "NON"),
        trace=replace(r.trace, reference=trace),
    )
    return format_835(
        replace(
            first,
            interchange=replace(first.interchange, control_number="000000002"),
            groups=(replace(group, control_number="2", transactions=(r2,)),),
        )
    )


def test_a_reversal_and_the_corrected_payment_are_posted(sent):
    actor, text = sent
    first = remittance_from_837(
        text, {"PP501-1": LineOutcome.deny("16"), "PP501-2": LineOutcome.pay()}
    )
    post_remittance(actor=actor, text=format_835(first))
    denied = Claim.objects.get(patient_control_number="PP501-1")
    assert denied.status == "denied"
    original_payment = ClaimPayment.objects.get(claim=denied)
    # The payer reconsiders: it reverses the denial and pays the claim in full.
    paid_now = remittance_from_837(text, {"PP501-1": LineOutcome.pay(), "PP501-2": None})
    corrected = replace(paid_now.claims[0], payer_claim_number="ICN-2")
    reversal = reversal_of(first.claims[0])
    posted = post_remittance(actor=actor, text=second_file(first, (reversal, corrected), "EFT2"))

    assert posted.claim_count == 2
    denied.refresh_from_db()
    assert denied.status == "paid" and denied.payer_claim_number == "ICN-2"
    taken_back = ClaimPayment.objects.get(status_code="22")
    assert taken_back.reverses == original_payment
    assert taken_back.paid == -original_payment.paid and taken_back.charge < 0
    lines = ClaimLine.objects.filter(claim=denied)
    assert {x.status for x in lines} == {"paid"}
    assert {x.paid_amount for x in lines} == {x.charge for x in lines}
    # Each line keeps both answers: the denial (reversed) and the payment.
    assert LinePayment.objects.filter(line__claim=denied).count() == 4


def test_a_reversal_alone_reopens_the_claim_for_the_next_answer(sent):
    actor, text = sent
    first = remittance_from_837(text, {"PP501-1": LineOutcome.pay(), "PP501-2": None})
    post_remittance(actor=actor, text=format_835(first))
    claim = Claim.objects.get(patient_control_number="PP501-1")
    post_remittance(
        actor=actor, text=second_file(first, (reversal_of(first.claims[0]),), "RECOUP1")
    )
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert {(x.status, x.paid_amount) for x in claim.lines.all()} == {("submitted", None)}
    # The payment taken back cannot be taken back twice.
    with pytest.raises(X12Error) as caught:
        post_remittance(
            actor=actor, text=second_file(first, (reversal_of(first.claims[0]),), "RECOUP2")
        )
    assert [p.reason for p in caught.value.problems] == [
        "claim PP501-1 has no posted payment to reverse"
    ]


def test_a_reversal_of_another_amount_is_refused_and_changes_nothing(sent):
    actor, text = sent
    first = remittance_from_837(text, {"PP501-1": LineOutcome.pay(), "PP501-2": None})
    post_remittance(actor=actor, text=format_835(first))
    wrong = reversal_of(first.claims[0])
    wrong = replace(
        wrong,
        paid=wrong.paid + 1,
        adjustments=(*wrong.adjustments, Adjustment("CO", "45", Decimal("-1"))),
    )
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=second_file(first, (wrong,), "RECOUP3"))
    assert "the reversal of claim PP501-1 takes back" in str(caught.value)
    assert not ClaimPayment.objects.filter(status_code="22").exists()
    assert Claim.objects.get(patient_control_number="PP501-1").status == "paid"


def test_a_refusal_leads_with_the_sentence_that_matters(sent):
    actor, text = sent
    file = format_835(remittance_from_837(text))
    post_remittance(actor=actor, text=file)
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=file)
    sentence = refusal_sentence(caught.value.problems)
    assert sentence.startswith("Nothing was posted: This file was already posted on ")
    assert "more problem" in sentence  # the claims' own problems follow, below
