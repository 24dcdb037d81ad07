"""From signed notes to 837P files: what each kind of contact is billed as, corrections,
holds and their release, Part 2 consent, and no note billed twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from peerpath.billing.models import Claim, ClaimBatch, ClaimLine, LineHold, LineStatus
from peerpath.billing.services import (
    PART2_CLAIM_NOTICE,
    BillingError,
    batch_create,
    claim_correct,
    line_release,
    lines_scrub,
)
from peerpath.billing.x12.claim837 import Claim837Error, segments, validate_837
from peerpath.consent.models import Disclosure
from peerpath.consent.services import consent_record
from peerpath.services.services import note_amend, note_sign
from tests.billing.conftest import DAY, TODAY, contract, group_notes, ready_person
from tests.factories import DiagnosisFactory, PayerFactory

pytestmark = pytest.mark.django_db


def bill(actor, agency, payer, **kw):
    batch = batch_create(actor=actor, agency=agency, payer=payer, today=TODAY, **kw)
    assert batch is not None
    check = validate_837(batch.file_text)
    assert check.valid, check.errors
    return batch


def segs(batch, name):
    return [s for s in segments(batch.file_text) if s[0] == name]


def test_individual_note_is_billed_by_the_packs_code_units_and_the_contract_rate(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note()  # 45 minutes, at home
    batch = bill(actor, agency, payer)
    line = ClaimLine.objects.get(note=note)
    assert (line.procedure_code, line.modifiers, line.units) == ("H0038", [], 3)
    assert line.charge == Decimal("35.91")  # 3 x $11.97
    assert line.place_of_service == "12"  # home
    assert line.rendering_npi == r.cpss.npi
    assert line.authorization_number.startswith("PA")
    assert line.status == LineStatus.SUBMITTED and line.claim.batch == batch
    [sv1] = segs(batch, "SV1")
    assert sv1[1:5] == ["HC:H0038", "35.91", "UN", "3"]
    [clm] = segs(batch, "CLM")
    assert clm[2] == "35.91" and clm[5] == "12:B:1"
    assert ["REF", "G1", line.authorization_number] in segments(batch.file_text)
    assert ["HI", "ABK:F331"] in segments(batch.file_text)
    assert [
        "NM1",
        "82",
        "1",
        "RIVERA",
        r.cpss.first_name.upper(),
        "",
        "",
        "",
        "XX",
        r.cpss.npi,
    ] in (segments(batch.file_text))
    isa = segments(batch.file_text)[0]
    assert isa[13] == f"{batch.isa_control:09d}"
    assert segs(batch, "IEA") == [["IEA", "1", f"{batch.isa_control:09d}"]]
    assert segs(batch, "GE") == [["GE", "1", str(batch.gs_control)]]


def test_group_note_carries_hq_and_the_group_rate(actor, world):
    agency, payer = world
    people = [ready_person(agency, payer)]
    people.append(ready_person(agency, payer, cpss=people[0].cpss))
    notes = group_notes(people)  # 60 minutes at the office
    batch = bill(actor, agency, payer)
    lines = ClaimLine.objects.filter(note__in=notes)
    assert {(x.procedure_code, tuple(x.modifiers), x.units, x.charge) for x in lines} == {
        ("H0038", ("HQ",), 4, Decimal("11.52"))
    }
    assert {x.place_of_service for x in lines} == {"11"}
    assert [s[1] for s in segs(batch, "SV1")] == ["HC:H0038:HQ"] * 2


@pytest.mark.parametrize(("modality", "modifier"), [("audio_video", "GT"), ("audio_only", "KX")])
def test_telehealth_modifiers_come_from_the_pack(actor, world, modality, modifier):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note(modality=modality)
    batch = bill(actor, agency, payer)
    line = ClaimLine.objects.get(note=note)
    assert line.modifiers == [modifier]
    assert line.charge == Decimal("35.91")  # the telehealth modifier does not change the rate
    assert segs(batch, "SV1")[0][1] == f"HC:H0038:{modifier}"


def test_many_lines_and_people_make_claims_whose_totals_are_their_lines(actor, world):
    agency, payer = world
    a = ready_person(agency, payer)
    b = ready_person(agency, payer, cpss=a.cpss)
    for day in range(6, 11):
        a.note(date=dt.date(2026, 4, day), start_time=dt.time(9), end_time=dt.time(9, 30))
    b.note(end_time=dt.time(11, 0))
    b.note(date=dt.date(2026, 4, 7), modality="audio_video")
    batch = bill(actor, agency, payer)
    assert batch.claim_count == 2 and batch.line_count == 7
    for claim in Claim.objects.filter(batch=batch):
        assert claim.total_charge == sum(x.charge for x in claim.lines.all())
        assert [x.line_number for x in claim.lines.order_by("line_number")] == list(
            range(1, claim.lines.count() + 1)
        )
    assert batch.total_charge == sum(c.total_charge for c in batch.claims.all())
    assert len(segs(batch, "HL")) == 3  # the agency, then each person
    se = segs(batch, "SE")[0]
    st = next(i for i, s in enumerate(segments(batch.file_text)) if s[0] == "ST")
    assert int(se[1]) == len(segments(batch.file_text)) - st - 2  # ST..SE, not GE and IEA


def test_each_payer_gets_its_own_file_with_only_its_people(actor, world):
    agency, payer = world
    other = PayerFactory(name="Cedar Sound Managed Care", payer_id="CSMC2")
    contract(agency, other)
    mine, theirs = ready_person(agency, payer), ready_person(agency, other)
    mine.note()
    theirs.note()
    first, second = bill(actor, agency, payer), bill(actor, agency, other)
    assert {c.person for c in first.claims.all()} == {mine.person}
    assert {c.person for c in second.claims.all()} == {theirs.person}
    assert ["NM1", "PR", "2", "CEDAR SOUND MANAGED CARE", "", "", "", "", "PI", "CSMC2"] in (
        segments(second.file_text)
    )
    assert first.isa_control != second.isa_control


def test_billing_the_same_notes_again_bills_nothing(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note()
    bill(actor, agency, payer)
    assert batch_create(actor=actor, agency=agency, payer=payer, today=TODAY) is None
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    assert ClaimLine.objects.filter(note=note).count() == 1


def test_the_database_refuses_a_second_current_line_for_a_note(actor, world):
    agency, payer = world
    note = ready_person(agency, payer).note()
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    line = ClaimLine.objects.get(note=note)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            note=note,
            person=line.person,
            payer=line.payer,
            service_date=line.service_date,
            procedure_code="H0038",
            units=1,
            charge=Decimal("1"),
        )


def test_replacement_claim_names_the_original_and_takes_over_its_lines(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note()
    first = bill(actor, agency, payer)
    claim = first.claims.get()
    claim.payer_claim_number = "ICN20260501001"
    claim.save()
    # The peer specialist corrects the end time: the amendment is billed in the replacement.
    amendment = note_amend(
        actor=actor, note=note, reason="End time was 11:00", end_time=dt.time(11, 0)
    )
    note_sign(actor=actor, note=amendment, signer=r.cpss, at=dt.datetime(2026, 4, 8, tzinfo=dt.UTC))
    held = lines_scrub(actor=actor, agency=agency, today=TODAY)
    assert held.held_by_rule["BILLING.AMENDS_BILLED_NOTE"] == 1  # not billed as a new claim

    second = claim_correct(actor=actor, claim=claim, frequency="7", today=TODAY)
    assert validate_837(second.file_text).valid
    new = second.claims.get()
    assert (new.frequency, new.original, new.original_reference) == ("7", claim, "ICN20260501001")
    assert segs(second, "CLM")[0][5] == "12:B:7"
    assert ["REF", "F8", "ICN20260501001"] in segments(second.file_text)
    line = ClaimLine.objects.get(claim=new)
    assert (line.note, line.units, line.charge) == (amendment, 4, Decimal("47.88"))
    claim.refresh_from_db()
    assert claim.status == "replaced"
    assert ClaimLine.objects.filter(note=note, is_current=True).count() == 0
    assert ClaimLine.objects.filter(note=amendment, is_current=True).count() == 1


def test_void_claim_repeats_the_lines_and_voids_them(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    notes = [r.note(), r.note(date=dt.date(2026, 4, 7))]
    claim = bill(actor, agency, payer).claims.get()
    voided = claim_correct(
        actor=actor, claim=claim, frequency="8", original_reference="ICN77", today=TODAY
    )
    assert validate_837(voided.file_text).valid
    assert segs(voided, "CLM")[0][5] == "12:B:8"
    assert len(segs(voided, "SV1")) == 2
    current = ClaimLine.objects.filter(note__in=notes, is_current=True)
    assert {x.status for x in current} == {LineStatus.VOID}
    assert current.count() == 2
    # A voided note is not billed again by the next batch.
    assert batch_create(actor=actor, agency=agency, payer=payer, today=TODAY) is None
    with pytest.raises(BillingError):
        claim_correct(actor=actor, claim=claim, frequency="8", original_reference="ICN77")


def test_a_correction_without_the_payers_claim_number_is_refused(actor, world):
    agency, payer = world
    ready_person(agency, payer).note()
    claim = bill(actor, agency, payer).claims.get()
    with pytest.raises(ValidationError) as err:
        claim_correct(actor=actor, claim=claim, frequency="7")
    assert "original_reference" in err.value.message_dict
    assert ClaimBatch.objects.count() == 1


def test_a_file_that_would_be_invalid_is_refused_and_nothing_is_kept(actor, world):
    agency, payer = world
    ready_person(agency, payer).note()
    agency.postal_code = "27701"  # an 837P billing provider needs ZIP+4
    agency.save()
    with pytest.raises(Claim837Error) as err:
        batch_create(actor=actor, agency=agency, payer=payer, today=TODAY)
    assert "ZIP" in str(err.value)
    assert ClaimBatch.objects.count() == 0 and Claim.objects.count() == 0
    assert ClaimLine.objects.get().status == LineStatus.READY


def test_missing_rendering_npi_holds_the_line_until_fixed_and_released(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    r.cpss.npi = ""
    r.cpss.save()
    note = r.note()
    result = lines_scrub(actor=actor, agency=agency, today=TODAY)
    assert result.held_by_rule == {"BILLING.RENDERING_NPI": 1}
    line = ClaimLine.objects.get(note=note)
    [hold] = line.holds.all()
    assert "2310B" in hold.citation and "NPI" in hold.fix
    assert batch_create(actor=actor, agency=agency, payer=payer, today=TODAY) is None

    with pytest.raises(ValidationError):
        line_release(actor=actor, line=line, note="  ")  # say what was fixed
    r.cpss.npi = "1234567893"
    r.cpss.save()
    line = line_release(actor=actor, line=line, note="Added the NPI from NPPES")
    assert line.status == LineStatus.READY
    hold.refresh_from_db()
    assert hold.released_by == actor and hold.release_note == "Added the NPI from NPPES"
    bill(actor, agency, payer)


def test_a_release_without_a_fix_holds_the_line_again(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note(goal=None, intervention=None)
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    line = ClaimLine.objects.get(note=note)
    assert set(line.holds.values_list("rule_id", flat=True)) == {"NOTE.PLAN_GOAL"}
    line = line_release(actor=actor, line=line, note="I think it is fine")
    assert line.status == LineStatus.HELD
    assert line.holds.filter(released_at__isnull=True).count() == 1
    assert line.holds.filter(released_at__isnull=False).count() == 1


def test_engine_findings_hold_with_rule_citation_and_fix(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    note = r.note(activity="transportation")
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    [hold] = LineHold.objects.filter(line__note=note)
    assert hold.rule_id == "NOTE.NOT_COVERED_ACTIVITY"
    assert hold.pack_id == "nc-8g-2025"
    assert "seed" in hold.citation or "official" in hold.citation
    assert hold.evidence == "activity transportation" and hold.fix


def test_a_too_short_contact_is_held_not_billed_for_zero(actor, world):
    agency, payer = world
    note = ready_person(agency, payer).note(end_time=dt.time(10, 5))
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    assert "BILLING.NO_UNITS" in ClaimLine.objects.get(note=note).holds.values_list(
        "rule_id", flat=True
    )


def test_substance_use_diagnosis_is_held_without_consent(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    DiagnosisFactory(person=r.person, code="F11.20", category="SUD", is_primary=False)
    note = r.note()
    lines_scrub(actor=actor, agency=agency, today=TODAY)
    line = ClaimLine.objects.get(note=note)
    [hold] = line.holds.all()
    assert hold.rule_id == "BILLING.PART2_CONSENT" and "42 CFR Part 2" in hold.citation
    assert "F11.20" in hold.evidence
    assert line.diagnosis_codes == ["F33.1"]  # the SUD code is left off
    assert batch_create(actor=actor, agency=agency, payer=payer, today=TODAY) is None
    assert not Disclosure.objects.exists()


def test_substance_use_diagnosis_goes_out_with_consent_and_is_accounted_for(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    DiagnosisFactory(person=r.person, code="F11.20", category="SUD", is_primary=False)
    consent_record(
        actor=actor,
        person=r.person,
        purposes=["payment"],
        recipient_payer=payer,
        effective=dt.date(2026, 1, 1),
        signed_on=dt.date(2026, 1, 1),
    )
    r.note()
    batch = bill(actor, agency, payer)
    assert ["HI", "ABK:F331", "ABF:F1120"] in segments(batch.file_text)
    assert ["NTE", "ADD", PART2_CLAIM_NOTICE.upper()] in segments(batch.file_text)
    [disclosure] = Disclosure.objects.filter(person=r.person)
    assert disclosure.part2_included and disclosure.recipient_payer == payer
    assert disclosure.consent is not None


def test_notes_of_other_agencies_and_drafts_are_not_billed(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    r.note(status="draft", signed_by=None, signed_at=None)
    from tests.billing.conftest import billing_agency

    elsewhere = billing_agency()
    contract(elsewhere, payer)
    ready_person(elsewhere, payer).note()
    result = lines_scrub(actor=actor, agency=agency, today=TODAY)
    assert result.created == 0 and ClaimLine.objects.count() == 0
    assert DAY  # the conftest day the notes are on
