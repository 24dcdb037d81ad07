"""The 835 reader, writer and builder: valid output (checked by pyx12 too), round trips, and
every refusal naming the segment number, the segment ID and the reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerpath.billing.x12.claims_837 import parse_837_claims
from peerpath.billing.x12.reason_codes import reason_codes
from peerpath.billing.x12.remit import ProviderAdjustment, format_835, parse_835
from peerpath.billing.x12.remit_builder import (
    ClaimOutcome,
    LineOutcome,
    build_835_from_837,
    remittance_from_837,
)
from peerpath.billing.x12.tokens import X12Error, tokenize
from tests.billing.x12_support import fixture_837p, pyx12_problems

MIXED = {
    "PP1001": ClaimOutcome(
        lines={
            2: LineOutcome.deny("119", remarks=("N362",)),
            3: LineOutcome.part(Decimal("40.00")),
        }
    ),
    "PP1002": LineOutcome.deny("197", remarks=("N54",)),
}


def mixed_835() -> str:
    return build_835_from_837(fixture_837p(), MIXED)


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def position_of(text: str, prefix: str, nth: int = 0) -> int:
    """The segment number (ISA = 1) of the nth segment starting with `prefix`."""
    hits = [i for i, line in enumerate(lines_of(text), start=1) if line.startswith(prefix)]
    return hits[nth]


def replace_segment(text: str, prefix: str, new: str, nth: int = 0) -> str:
    lines = lines_of(text)
    lines[position_of(text, prefix, nth) - 1] = new
    return "\n".join(lines) + "\n"


def refusal(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        parse_835(text)
    return caught.value


# The 837P fixture and the reader of claims ------------------------------------------------


def test_hand_made_837p_fixture_is_valid_for_pyx12() -> None:
    assert pyx12_problems(fixture_837p()) == []


def test_837p_reader_finds_the_claims_lines_and_parties() -> None:
    sent = parse_837_claims(fixture_837p())
    assert (sent.billing_provider_name, sent.billing_provider_npi) == (
        "GOOD DAYS PEER SUPPORT",
        "1234567893",
    )
    assert sent.payer_name == "EXAMPLE HEALTH PLAN"
    assert [c.patient_control_number for c in sent.claims] == ["PP1001", "PP1002"]
    first, second = sent.claims
    assert (first.last_name, first.member_id, first.authorization) == (
        "ROE",
        "900000001",
        "PA2025001",
    )
    assert first.rendering_npi == "1987654328"
    assert [line.charge for line in first.lines] == [
        Decimal("47.88"),
        Decimal("71.82"),
        Decimal("47.88"),
    ]
    group_line = second.lines[0]
    assert (group_line.procedure, group_line.modifiers, group_line.units) == (
        "H0038",
        ("HQ",),
        Decimal("8"),
    )
    assert group_line.service_date == dt.date(2025, 2, 5)
    assert group_line.line_control_number == "PP1002-1"


# Building -------------------------------------------------------------------------------


def test_claims_left_out_of_the_outcomes_are_paid_in_full() -> None:
    text = build_835_from_837(fixture_837p())
    assert pyx12_problems(text) == []
    remit = parse_835(text)
    (r,) = remit.remittances
    assert r.payment.amount == Decimal("238.50")
    assert r.payment.method == "CHK"
    assert all(c.paid == c.charge and c.status == "1" for c in r.claims)
    assert r.payee.identifier == "1234567893"


def test_paid_partly_paid_and_denied_lines_make_a_valid_balanced_835() -> None:
    text = mixed_835()
    assert pyx12_problems(text) == []
    remit = parse_835(text)
    first, second = remit.claims
    assert first.status == "1"
    assert [line.paid for line in first.lines] == [Decimal("47.88"), Decimal("0"), Decimal("40")]
    denied = first.lines[1]
    assert [(a.group, a.reason, a.amount) for a in denied.adjustments] == [
        ("CO", "119", Decimal("71.82"))
    ]
    assert denied.remarks == ("N362",)
    assert (denied.units, denied.billed_units) == (Decimal("0"), Decimal("6"))
    assert first.lines[2].adjustments[0].amount == Decimal("7.88")
    assert first.paid == Decimal("87.88")
    assert second.is_denied and second.paid == 0
    assert {line.line_control_number for line in second.lines} == {"PP1002-1", "PP1002-2"}
    assert remit.remittances[0].payment.amount == Decimal("87.88")


def test_a_remittance_that_pays_nothing_is_a_notification_without_money() -> None:
    text = build_835_from_837(
        fixture_837p(),
        {"PP1001": LineOutcome.deny("29"), "PP1002": LineOutcome.deny("B7", remarks=("N290",))},
    )
    assert pyx12_problems(text) == []
    payment = parse_835(text).remittances[0].payment
    assert (payment.handling, payment.amount, payment.method) == ("H", Decimal("0"), "NON")


def test_an_ach_payment_carries_bank_details_and_stays_valid() -> None:
    text = build_835_from_837(fixture_837p(), MIXED, method="ACH", trace_number="EFT555")
    assert pyx12_problems(text) == []
    r = parse_835(text).remittances[0]
    assert (r.payment.method, r.trace.reference) == ("ACH", "EFT555")


def test_the_persons_share_is_reported_as_patient_responsibility() -> None:
    text = build_835_from_837(
        fixture_837p(), {"PP1001": LineOutcome.part(Decimal("30"), group="PR", reason="3")}
    )
    assert pyx12_problems(text) == []
    claim = parse_835(text).claims[0]
    assert claim.patient_responsibility == Decimal("167.58") - 3 * Decimal("30")


def test_a_claim_can_be_left_out_of_the_835() -> None:
    remit = parse_835(build_835_from_837(fixture_837p(), {"PP1002": None}))
    assert [c.patient_control_number for c in remit.claims] == ["PP1001"]


def test_builder_refuses_outcomes_for_claims_or_lines_that_are_not_there() -> None:
    with pytest.raises(ValueError, match="PP9999"):
        build_835_from_837(fixture_837p(), {"PP9999": LineOutcome.pay()})
    with pytest.raises(ValueError, match="line number"):
        build_835_from_837(fixture_837p(), {"PP1001": ClaimOutcome(lines={7: LineOutcome.pay()})})
    with pytest.raises(ValueError, match="more than its charge"):
        build_835_from_837(fixture_837p(), {"PP1001": LineOutcome.part(Decimal("999"))})


# Round trips -----------------------------------------------------------------------------


def test_parse_then_write_then_parse_gives_the_same_remittance() -> None:
    first = parse_835(mixed_835())
    again = parse_835(format_835(first))
    assert again == first


def test_the_records_built_are_the_records_read_back() -> None:
    built = remittance_from_837(fixture_837p(), MIXED)
    assert parse_835(format_835(built)) == built


def test_other_delimiters_are_read_from_the_isa() -> None:
    text = mixed_835()
    _, segments = tokenize(text)
    swapped = text.replace("*", "|").replace(":", ">").replace("~", "\n")
    # "~\n" became "\n\n": blank lines between segments are allowed
    remit = parse_835(swapped)
    assert remit == parse_835(text)
    assert remit.delimiters.element == "|" and remit.delimiters.component == ">"
    assert len(segments) == len(lines_of(text))


# Refusals, each naming where ----------------------------------------------------------------


def test_a_file_cut_before_iea_is_refused_at_its_last_segment() -> None:
    text = mixed_835()
    cut = "\n".join(lines_of(text)[:-1]) + "\n"
    error = refusal(cut)
    ge = position_of(text, "GE*")
    assert str(error) == (
        f"segment {ge} (GE): the file ends here, without the IEA that closes interchange "
        "000000001 (ISA at segment 1): it was cut short"
    )


def test_a_file_cut_before_ge_is_refused() -> None:
    text = mixed_835()
    cut = "\n".join(lines_of(text)[:-2]) + "\n"
    problem = refusal(cut).first
    assert (problem.position, problem.segment_id) == (position_of(text, "SE*"), "SE")
    assert "without the GE that closes functional group 1" in problem.reason


def test_a_file_cut_inside_a_transaction_is_refused_where_it_stops() -> None:
    text = mixed_835()
    clp = position_of(text, "CLP*PP1002")
    cut = "\n".join(lines_of(text)[:clp]) + "\n"
    problem = refusal(cut).first
    assert (problem.position, problem.segment_id) == (clp, "CLP")
    assert "without the SE that closes transaction set 0001 (ST at segment 3)" in problem.reason


def test_a_file_cut_inside_a_segment_is_refused() -> None:
    text = mixed_835()
    cut = text[: text.index("CLP*PP1002") + 12]
    problem = refusal(cut).first
    assert (problem.position, problem.segment_id) == (position_of(text, "CLP*PP1002"), "CLP")
    assert "no '~' terminator" in problem.reason


def test_a_wrong_se_count_is_refused_at_se() -> None:
    text = mixed_835()
    se = position_of(text, "SE*")
    problem = refusal(replace_segment(text, "SE*", "SE*40*0001~")).first
    assert (problem.position, problem.segment_id) == (se, "SE")
    assert (
        problem.reason
        == "SE01 says 40 segments, the transaction set has 43 (ST at segment 3 to this SE)"
    )


@pytest.mark.parametrize(
    ("prefix", "new", "seg_id", "words"),
    [
        ("SE*", "SE*43*0002~", "SE", "SE02 control number '0002' does not match ST02 '0001'"),
        ("GE*", "GE*1*7~", "GE", "GE02 control number '7' does not match GS06 '1'"),
        ("GE*", "GE*2*1~", "GE", "GE01 says 2 transaction sets, the group holds 1"),
        ("IEA*", "IEA*1*000000009~", "IEA", "IEA02 control number '000000009' does not match"),
        ("IEA*", "IEA*3*000000001~", "IEA", "IEA01 says 3 functional groups"),
    ],
)
def test_control_numbers_and_counts_that_disagree_are_refused(
    prefix: str, new: str, seg_id: str, words: str
) -> None:
    text = mixed_835()
    problem = refusal(replace_segment(text, prefix, new)).first
    assert (problem.position, problem.segment_id) == (position_of(text, prefix), seg_id)
    assert words in problem.reason


def test_a_line_whose_adjustments_do_not_explain_the_difference_is_refused() -> None:
    text = mixed_835()
    bad = replace_segment(text, "CAS*CO*45*7.88", "CAS*CO*45*7.00~")
    clp, svc = position_of(text, "CLP*PP1001"), position_of(text, "SVC*", 2)
    assert [(p.position, p.segment_id, p.reason) for p in refusal(bad).problems] == [
        (
            clp,
            "CLP",
            "the claim does not balance: charge 167.58 less paid 87.88 is 79.70, but its "
            "adjustments (CAS, claim and lines) add up to 78.82",
        ),
        (
            svc,
            "SVC",
            "the line does not balance: charge 47.88 less paid 40.00 is 7.88, but its "
            "adjustments (CAS) add up to 7.00",
        ),
    ]


def test_a_claim_paid_other_than_its_lines_is_refused_at_clp() -> None:
    text = mixed_835()
    bad = replace_segment(text, "CLP*PP1001", "CLP*PP1001*1*167.58*97.88**MC*000100001*11*1~")
    problems = refusal(bad).problems
    clp = position_of(text, "CLP*PP1001")
    assert [(p.position, p.segment_id) for p in problems[:2]] == [(4, "BPR"), (clp, "CLP")]
    assert any(
        "CLP04 pays 97.88, but the service lines pay (SVC03) 87.88" in p.reason for p in problems
    )


def test_a_payment_that_is_not_the_sum_of_its_claims_is_refused_at_bpr() -> None:
    text = mixed_835()
    bad = text.replace("BPR*I*87.88*", "BPR*I*88.88*")
    problem = refusal(bad).first
    assert (problem.position, problem.segment_id) == (4, "BPR")
    assert problem.reason == (
        "BPR02 pays 88.88, but the claims' paid amounts (CLP04) add up to 87.88"
    )


def test_an_unknown_carc_is_refused_at_its_cas() -> None:
    text = mixed_835().replace("CAS*CO*119*", "CAS*CO*Z99*")
    problem = refusal(text).first
    assert (problem.position, problem.segment_id) == (position_of(text, "CAS*CO*Z99"), "CAS")
    assert "CARC 'Z99' is not in PeerPath's reason code table" in problem.reason


def test_an_unknown_rarc_is_refused_at_its_lq() -> None:
    text = mixed_835().replace("LQ*HE*N362", "LQ*HE*N99999")
    problem = refusal(text).first
    assert (problem.position, problem.segment_id) == (position_of(text, "LQ*HE*N99999"), "LQ")
    assert "RARC 'N99999'" in problem.reason


def test_an_unknown_group_code_is_refused() -> None:
    text = mixed_835().replace("CAS*CO*119*", "CAS*XX*119*")
    problem = refusal(text).first
    assert (problem.segment_id, problem.reason) == (
        "CAS",
        "CAS01 group code 'XX' is not a known one",
    )


def test_an_amount_that_is_not_a_number_is_refused_naming_the_element() -> None:
    text = mixed_835()
    bad = replace_segment(text, "CLP*PP1002", "CLP*PP1002*4*70.9X*0**MC*000100002*11*1~")
    problems = refusal(bad).problems
    clp = position_of(text, "CLP*PP1002")
    assert any(
        (p.position, p.segment_id, p.reason) == (clp, "CLP", "CLP03 '70.9X' is not a number")
        for p in problems
    )


def test_an_837_is_not_read_as_an_835() -> None:
    problems = refusal(fixture_837p()).problems
    assert problems[0].position == 2 and problems[0].segment_id == "GS"
    assert "GS01 is 'HC': a 835 group must be 'HP'" in problems[0].reason


def test_a_file_that_is_not_x12_is_refused() -> None:
    assert (
        str(refusal("hello")) == "segment 1 (hel): an X12 file starts with ISA, this one with hel"
    )
    assert str(refusal("")) == "file: the file is empty"


def test_several_problems_are_all_listed_in_file_order() -> None:
    text = mixed_835().replace("CAS*CO*119*", "CAS*CO*Z98*").replace("LQ*HE*N54", "LQ*HE*N0")
    problems = refusal(text).problems
    positions = [p.position or 0 for p in problems]
    assert positions == sorted(positions)
    assert len(problems) == 3  # Z98 once, N0 on both lines of the second claim


def test_segments_after_the_claims_that_an_835_does_not_have_are_refused() -> None:
    text = mixed_835()
    bad = replace_segment(text, "SE*", "HI*ABK:F332~\nSE*44*0001~")
    problem = refusal(bad).first
    assert (problem.position, problem.segment_id) == (position_of(text, "SE*"), "HI")
    assert problem.reason == "HI is not expected between claims"


# Any cut is refused, and says where ------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_file_cut_after_any_segment_is_refused_at_that_segment(data: st.DataObject) -> None:
    lines = lines_of(mixed_835())
    keep = data.draw(st.integers(min_value=1, max_value=len(lines) - 1))
    error = refusal("\n".join(lines[:keep]) + "\n")
    assert len(error.problems) == 1
    problem = error.first
    assert problem.position == keep
    assert problem.segment_id == lines[keep - 1].split("*")[0]
    assert "cut short" in problem.reason


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_file_cut_at_any_character_is_refused_never_crashes(data: st.DataObject) -> None:
    text = mixed_835()
    end = data.draw(st.integers(min_value=0, max_value=text.rindex("~") - 1))
    error = refusal(text[:end])
    assert error.problems
    assert all(p.reason for p in error.problems)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mix_of_outcomes_builds_a_valid_835_that_reads_back(data: st.DataObject) -> None:
    carcs = sorted(reason_codes().carc)
    rarcs = sorted(reason_codes().rarc)
    sent = parse_837_claims(fixture_837p())
    outcomes: dict[str, ClaimOutcome | LineOutcome | None] = {}
    for claim in sent.claims:
        per_line = {}
        for line in claim.lines:
            kind = data.draw(st.sampled_from(["pay", "part", "deny"]))
            reason = data.draw(st.sampled_from(carcs))
            remarks = tuple(data.draw(st.lists(st.sampled_from(rarcs), max_size=2)))
            if kind == "pay":
                per_line[line.number] = LineOutcome.pay()
            elif kind == "deny":
                per_line[line.number] = LineOutcome.deny(reason, remarks=remarks)
            else:
                cents = data.draw(st.integers(min_value=1, max_value=int(line.charge * 100) - 1))
                paid = Decimal(cents) / 100
                per_line[line.number] = LineOutcome.part(paid, reason=reason, remarks=remarks)
        outcomes[claim.patient_control_number] = ClaimOutcome(lines=per_line)
    text = build_835_from_837(fixture_837p(), outcomes)
    remit = parse_835(text)
    assert remit.remittances[0].payment.amount == sum(c.paid for c in remit.claims)
    assert pyx12_problems(text) == []


def test_provider_level_adjustments_lower_the_payment_and_stay_valid() -> None:
    built = remittance_from_837(fixture_837p(), MIXED)
    (group,) = built.groups
    (r,) = group.transactions
    plb = ProviderAdjustment(
        provider_id="1234567893",
        fiscal_period_end=dt.date(2025, 12, 31),
        reason="WO",
        reference="OVERPAY2024",
        amount=Decimal("10.00"),
    )
    payment = replace(r.payment, amount=r.payment.amount - Decimal("10.00"))
    r = replace(r, payment=payment, provider_adjustments=(plb,))
    remit = replace(built, groups=(replace(group, transactions=(r,)),))
    text = format_835(remit)
    assert "PLB*1234567893*20251231*WO:OVERPAY2024*10~" in text
    assert pyx12_problems(text) == []
    assert parse_835(text) == remit
    unbalanced = text.replace("BPR*I*77.88*", "BPR*I*87.88*")
    assert refusal(unbalanced).first.reason == (
        "BPR02 pays 87.88, but the claims' paid amounts (CLP04) add up to 87.88, less provider "
        "adjustments (PLB) of 10.00: 77.88"
    )
