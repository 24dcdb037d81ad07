"""Checks a reviewer can aim: `policy check --person` across a pack change, `--pack` that
narrows what is evaluated, business identifiers in the JSON, and `policy eligibility`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from peerpath.cli import main
from tests.billing.remit_factories import LineSpec, sent_claims
from tests.factories import NoteFactory, PersonFactory, StaffFactory
from tests.policy.test_checks import ready_person

pytestmark = pytest.mark.django_db
D = dt.date


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def person_across_the_nc_pack_change():
    """An NC person with a phone contact under the 2018 draft (to 31 October 2019) and one
    under policy 8G (from 1 November 2019): neither pack allows audio-only peer support."""
    person = PersonFactory()
    staff = StaffFactory(agency=person.agency)
    before, after = (
        NoteFactory(
            person=person,
            staff=staff,
            date=day,
            modality="audio_only",
            status="signed",
            signed_by=staff,
            signed_at=dt.datetime(day.year, day.month, day.day, 17, tzinfo=dt.UTC),
        )
        for day in (D(2019, 10, 28), D(2019, 11, 4))
    )
    return person, before, after


def test_check_person_judges_each_day_by_its_own_pack_and_finds_both(capsys):
    person, before, after = person_across_the_nc_pack_change()
    code, out = run(
        capsys, "policy", "check", "--person", str(person.pk), "--as-of", "2019-12-31",
        "--format", "jsonl",
    )  # fmt: skip
    assert code == 0
    found = jsonl(out)
    modality = {
        (f["subject_id"], f["pack_id"]) for f in found if f["rule_id"] == "NOTE.MODALITY_ALLOWED"
    }
    assert modality == {(before.pk, "nc-pss-2018"), (after.pk, "nc-8g-2019")}
    assert {f["pack_id"] for f in found} >= {"nc-pss-2018", "nc-8g-2019"}


def test_pack_narrows_what_is_evaluated_to_that_packs_days(capsys):
    person, before, after = person_across_the_nc_pack_change()
    code, out = run(
        capsys, "policy", "check", "--person", str(person.pk), "--as-of", "2019-12-31",
        "--pack", "nc-8g-2019", "--format", "jsonl",
    )  # fmt: skip
    assert code == 0
    found = jsonl(out)
    assert found and {f["pack_id"] for f in found} == {"nc-8g-2019"}
    notes = {f["subject_id"] for f in found if f["subject_type"] == "note"}
    assert after.pk in notes and before.pk not in notes


def test_findings_carry_the_medicaid_id_note_number_and_claim_number(capsys):
    person = PersonFactory()
    sent_claims(person.agency, person.payer, [(person, [LineSpec(D(2026, 4, 6), 3)])])
    code, out = run(
        capsys, "policy", "check", "--person", str(person.pk), "--as-of", "2026-04-30",
        "--format", "jsonl",
    )  # fmt: skip
    assert code == 0
    about_note = [f for f in jsonl(out) if f["subject_type"] == "note"]
    assert about_note
    for f in about_note:
        assert f["person_id"] == person.pk and f["medicaid_id"] == person.medicaid_id
        assert f["note_number"] == f"N-20260406-{f['subject_id']}"
        assert f["claim_number"] == "PP501-1"
    code, text = run(capsys, "policy", "check", "--person", str(person.pk), "--as-of", "2026-04-30")
    assert f"Medicaid {person.medicaid_id}" in text and "claim PP501-1" in text


def test_eligibility_prints_the_decision_with_each_criterion_and_its_evidence(capsys):
    person, *_ = ready_person()
    code, out = run(capsys, "policy", "eligibility", str(person.pk), "--as-of", "2026-04-06")
    assert code == 0
    assert f"Person {person.pk} (Medicaid ID {person.medicaid_id}) on 2026-04-06: ELIGIBLE" in out
    assert "judged by nc-8g-2025" in out
    for rule in ("ELIG.MIN_AGE", "ELIG.DIAGNOSIS_IN_SCOPE", "ELIG.NEEDS_AREAS"):
        assert rule in out
    code, out = run(
        capsys, "policy", "eligibility", str(person.pk), "--as-of", "2026-04-06",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(out)
    assert data["eligible"] is True and data["pack"] == "nc-8g-2025"
    assert data["medicaid_id"] == person.medicaid_id
    assert all(c["citation"] and c["status"] == "met" for c in data["criteria"])


def test_eligibility_says_no_with_the_criterion_that_fails(capsys):
    person, *_ = ready_person()
    person.date_of_birth = D(2015, 1, 1)  # ten years old
    person.save()
    code, out = run(
        capsys, "policy", "eligibility", str(person.pk), "--as-of", "2026-04-06",
        "--format", "json",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["eligible"] is False
    failed = [c for c in data["criteria"] if c["rule"] == "ELIG.MIN_AGE"]
    assert failed and failed[0]["status"] != "met" and failed[0]["evidence"]


def test_eligibility_of_an_unknown_person_or_before_any_pack_fails_clearly(capsys):
    code = main(["policy", "eligibility", "999999"])
    assert code == 2
    assert "No person with id 999999" in capsys.readouterr().err
    person, *_ = ready_person()
    code = main(["policy", "eligibility", str(person.pk), "--as-of", "2001-01-01"])
    assert code == 1
    assert "No policy pack judges person" in capsys.readouterr().err
