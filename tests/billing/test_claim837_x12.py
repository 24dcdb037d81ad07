"""The 837P writer on its own: envelopes and counts, and the broken inputs PeerPath refuses
before a file is written (what pyx12 would not catch, or would only catch afterwards)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from peerpath.billing.x12.claim837 import (
    Claim837Error,
    ClaimData,
    Interchange,
    Party,
    Rendering,
    ServiceLine,
    Subscriber,
    money,
    segments,
    validate_837,
    write_837p,
)
from peerpath.core.codes import npi_with_check_digit

BILLING_NPI = npi_with_check_digit("123456789")
PEER_NPI = npi_with_check_digit("223456789")
PEER = Rendering("Rivera", "Sam", PEER_NPI)
JANE = Subscriber(
    1, "Doe", "Jane", "123456789T", dt.date(1980, 1, 2), "F", "1 Main St", "Durham", "NC", "27701"
)


def line(n: int = 1, **kw: object) -> ServiceLine:
    values: dict[str, object] = dict(
        control_number=str(n),
        service_date=dt.date(2026, 4, n),
        procedure_code="H0038",
        modifiers=(),
        charge=Decimal("35.91"),
        units=3,
        pointers=(1,),
        place_of_service="12",
        authorization_number="PA1",
    )
    values.update(kw)
    return ServiceLine(**values)  # type: ignore[arg-type]


def claim(*lines: ServiceLine, **kw: object) -> ClaimData:
    lines = lines or (line(),)
    values: dict[str, object] = dict(
        patient_control_number="PP1-1",
        subscriber=JANE,
        total_charge=sum((x.charge for x in lines), Decimal("0")),
        place_of_service="12",
        diagnosis_codes=("F33.1",),
        lines=lines,
        authorization_number="PA1",
        rendering=PEER,
    )
    values.update(kw)
    return ClaimData(**values)  # type: ignore[arg-type]


def interchange(*claims: ClaimData, **kw: object) -> Interchange:
    values: dict[str, object] = dict(
        sender_id="PP00000001",
        receiver_id="BRHP1",
        isa_control=42,
        gs_control=42,
        st_control="0001",
        created=dt.datetime(2026, 5, 1, 9, 30),
        submitter=Party("Willow Creek", "PP00000001", phone="919-555-0100"),
        receiver=Party("Briar Ridge", "BRHP1"),
        billing_provider=Party(
            "Willow Creek",
            BILLING_NPI,
            "410 Foster St",
            "Durham",
            "NC",
            "27701-2813",
            tax_id="561234567",
        ),
        payer=Party("Briar Ridge Health Partners", "BRHP1"),
        claims=claims or (claim(),),
    )
    values.update(kw)
    return Interchange(**values)  # type: ignore[arg-type]


def test_a_clean_file_validates_and_its_counts_add_up():
    text = write_837p(interchange())
    assert validate_837(text).valid
    segs = segments(text)
    assert segs[0][0] == "ISA" and len(text.split("~")[0]) == 105  # ISA is fixed width
    assert segs[-1] == ["IEA", "1", "000000042"]
    assert segs[-2] == ["GE", "1", "42"]
    st = [s[0] for s in segs].index("ST")
    assert segs[-3] == ["SE", str(len(segs) - st - 2), "0001"]


def test_several_lines_and_claims_for_one_person_share_one_subscriber_loop():
    two = claim(
        line(1),
        line(2, modifiers=("HQ", "GT"), pointers=(1, 2), charge=Decimal("11.52"), units=4),
        diagnosis_codes=("F33.1", "F41.1"),
    )
    other = claim(line(3), patient_control_number="PP1-2")
    text = write_837p(interchange(two, other))
    assert validate_837(text).valid
    segs = segments(text)
    assert [s for s in segs if s[0] == "HL"] == [
        ["HL", "1", "", "20", "1"],
        ["HL", "2", "1", "22", "0"],
    ]
    assert ["SV1", "HC:H0038:HQ:GT", "11.52", "UN", "4", "", "", "1:2"] in segs
    assert ["HI", "ABK:F331", "ABF:F411"] in segs


def test_replacement_and_void_carry_the_frequency_and_the_payers_claim_number():
    for freq in ("7", "8"):
        text = write_837p(interchange(claim(frequency=freq, original_reference="ICN123")))
        assert validate_837(text).valid
        segs = segments(text)
        assert next(s for s in segs if s[0] == "CLM")[5] == f"12:B:{freq}"
        assert ["REF", "F8", "ICN123"] in segs


def test_line_level_rendering_provider_when_it_differs():
    other = Rendering("Lee", "Dana", npi_with_check_digit("323456789"))
    text = write_837p(interchange(claim(line(1), line(2, rendering=other))))
    assert validate_837(text).valid
    assert segments(text).count(["NM1", "82", "1", "LEE", "DANA", "", "", "", "XX", other.npi]) == 1


def test_delimiters_in_names_never_break_the_file():
    odd = dataclasses.replace(JANE, last_name="O*Brien~Smith", first_name="Ann:Marie")
    text = write_837p(interchange(claim(subscriber=odd)))
    assert validate_837(text).valid
    assert [
        "NM1",
        "IL",
        "1",
        "O BRIEN SMITH",
        "ANN MARIE",
        "",
        "",
        "",
        "MI",
        "123456789T",
    ] in segments(text)


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (lambda: claim(total_charge=Decimal("99.00")), "not the sum of its lines"),
        (lambda: claim(rendering=Rendering("Rivera", "Sam", "1234567890")), "check digit"),
        (lambda: claim(diagnosis_codes=("F33.9X",)), "ICD-10-CM"),
        (lambda: claim(diagnosis_codes=("F33",)), "category, not a billable code"),
        (lambda: claim(line(pointers=(2,))), "pointer 2 is out of range"),
        (lambda: claim(line(pointers=())), "at least one diagnosis"),
        (lambda: claim(line(pointers=(1, 1))), "repeated"),
        (lambda: claim(diagnosis_codes=()), "at least one diagnosis"),
        (lambda: claim(line(units=0), total_charge=Decimal("35.91")), "units must be at least 1"),
        (lambda: claim(frequency="7"), "REF*F8"),
        (lambda: claim(frequency="5"), "frequency must be 1, 7 or 8"),
        (lambda: claim(*(line(1, control_number=str(i)) for i in range(51))), "at most 50"),
        (lambda: claim(line(modifiers=("HQX",))), "modifiers"),
        (lambda: claim(patient_control_number="X" * 21), "CLM01"),
        (lambda: claim(subscriber=dataclasses.replace(JANE, member_id="")), "Medicaid ID"),
        (lambda: claim(rendering=None), "no rendering provider"),
    ],
)
def test_broken_claims_are_refused_before_anything_is_written(broken, says):
    with pytest.raises(Claim837Error) as err:
        write_837p(interchange(broken()))
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {
                "billing_provider": Party(
                    "X", "1234567890", "1 St", "Durham", "NC", "277012813", tax_id="561234567"
                )
            },
            "billing provider NPI",
        ),
        (
            {
                "billing_provider": Party(
                    "X", BILLING_NPI, "1 St", "Durham", "NC", "27701", tax_id="561234567"
                )
            },
            "ZIP+4",
        ),
        (
            {
                "billing_provider": Party(
                    "X", BILLING_NPI, "1 St", "Durham", "NC", "277012813", tax_id="56"
                )
            },
            "EIN",
        ),
        ({"isa_control": 0}, "ISA13"),
        ({"st_control": "1"}, "ST02"),
        ({"claims": ()}, "no claims"),
        ({"payer": Party("", "")}, "payer id"),
    ],
)
def test_broken_envelopes_are_refused(change, says):
    with pytest.raises(Claim837Error) as err:
        write_837p(interchange(**change))
    assert says in str(err.value)


def test_the_same_claim_number_twice_in_a_file_is_refused():
    with pytest.raises(Claim837Error, match="used twice"):
        write_837p(interchange(claim(), claim()))


def test_pyx12_reports_what_is_wrong_with_a_damaged_file():
    text = write_837p(interchange())
    damaged = text.replace("SBR*P*18*******MC~\n", "")
    check = validate_837(damaged)
    assert not check.valid
    assert any("SBR" in e for e in check.errors)
    assert not validate_837("not an X12 file").valid


def test_money_is_written_the_x12_way():
    assert [money(Decimal(v)) for v in ("35.91", "23.90", "12.00", "0")] == [
        "35.91",
        "23.9",
        "12",
        "0",
    ]
