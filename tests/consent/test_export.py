import datetime as dt
import json

from peerpath.consent import services
from peerpath.consent.models import Disclosure
from tests.consent.factories import ConsentFactory, CounselingNoteFactory
from tests.factories import PayerFactory

ON = dt.date(2026, 6, 1)


def export(actor, record, **kw):
    fields = dict(
        actor=actor, person=record.person, payer=record.person.payer, purpose="payment", on=ON
    )
    fields.update(kw)
    return services.export_person_record(**fields)


def test_export_without_consent_leaves_out_every_sud_record_and_says_why(actor, record):
    package = export(actor, record)
    data = package.data
    assert [d["code"] for d in data["diagnoses"]] == ["F33.1"]
    assert [n["id"] for n in data["notes"]] == [record.early_note.pk]
    assert [p["id"] for p in data["plans"]] == [record.old_plan.pk]
    payer = record.person.payer.name
    assert package.withheld == [
        "3 substance-use records withheld (1 diagnosis, 1 plan, 1 service note): no active "
        f"consent from this person for payment disclosures to {payer} (42 CFR Part 2)."
    ]
    assert package.notice is None
    assert "redisclosure_notice" not in data


def test_export_without_consent_does_not_hint_at_sud_to_the_recipient(actor, record):
    sent = export(actor, record).to_json()
    for telltale in ("F11", "Opioid", "Stay clean", "withheld", "substance", "Part 2"):
        assert telltale not in sent


def test_export_carries_the_demographics_a_payer_needs(actor, record):
    person = export(actor, record).data["person"]
    assert person["medicaid_id"] == record.person.medicaid_id
    assert person["date_of_birth"] == "1985-04-02"
    assert person["last_name"] == "Morgan"


def test_export_with_payment_consent_for_that_payer_includes_sud_records_and_the_notice(
    actor, record
):
    consent = ConsentFactory(person=record.person)
    package = export(actor, record)
    data = package.data
    assert next(iter(data)) == "redisclosure_notice"
    assert data["redisclosure_notice"] == package.notice == services.REDISCLOSURE_NOTICE
    assert "42 CFR Part 2" in package.notice
    assert {d["code"] for d in data["diagnoses"]} == {"F33.1", "F11.20"}
    assert {n["id"] for n in data["notes"]} == {record.early_note.pk, record.note.pk}
    plan = next(p for p in data["plans"] if p["id"] == record.plan.pk)
    assert plan["part2"] is True
    assert plan["goals"][0]["own_words"] == "Stay clean for my daughter's graduation."
    assert plan["crisis_plan"]["what_helps"].startswith("A walk with my sister")
    assert package.withheld == []
    json.loads(package.to_json())  # ready for JSON as it stands

    (disclosure,) = services.accounting_of_disclosures(record.person)
    assert disclosure == package.disclosure
    assert disclosure.consent == consent
    assert disclosure.part2_included and disclosure.notice_included
    assert {"type": "people.diagnosis", "id": record.sud.pk} in disclosure.records
    assert {"type": "services.servicenote", "id": record.note.pk} in disclosure.records
    assert disclosure.recipient_payer == record.person.payer
    assert disclosure.by == actor


def test_export_without_consent_is_still_in_the_accounting(actor, record):
    export(actor, record)
    (disclosure,) = services.accounting_of_disclosures(record.person)
    assert not disclosure.part2_included and disclosure.consent is None
    assert not disclosure.notice_included
    assert "no active consent" in disclosure.withheld_reason
    assert {"type": "people.diagnosis", "id": record.sud.pk} not in disclosure.records
    assert {"type": "people.diagnosis", "id": record.mh.pk} in disclosure.records


def test_consent_for_another_payer_does_not_let_sud_records_out(actor, record):
    ConsentFactory(person=record.person, recipient_payer=PayerFactory())
    package = export(actor, record)
    assert [d["code"] for d in package.data["diagnoses"]] == ["F33.1"]
    assert package.notice is None


def test_consent_for_treatment_only_does_not_cover_a_payment_export(actor, record):
    ConsentFactory(person=record.person, purposes=["treatment"])
    assert export(actor, record).notice is None


def test_revoked_consent_no_longer_lets_sud_records_out(actor, record):
    consent = ConsentFactory(person=record.person)
    services.consent_revoke(actor=actor, consent=consent, on=ON)
    package = export(actor, record)
    assert [d["code"] for d in package.data["diagnoses"]] == ["F33.1"]
    assert package.withheld


def test_expired_consent_counts_on_its_last_day_only(actor, record):
    ConsentFactory(person=record.person, expires=ON)
    assert export(actor, record).notice is not None
    assert export(actor, record, on=ON + dt.timedelta(days=1)).notice is None


def test_export_for_a_person_without_sud_needs_no_consent_and_no_notice(actor, record):
    record.sud.delete()
    package = export(actor, record)
    assert package.withheld == [] and package.notice is None
    assert len(package.data["notes"]) == 2


def test_counseling_notes_are_never_exported(actor, record):
    counseling = CounselingNoteFactory(person=record.person)
    ConsentFactory(person=record.person, covers_counseling_notes=True)
    package = export(actor, record)
    assert counseling.text not in package.to_json()
    assert "1 SUD counseling note not included" in package.withheld[0]
    disclosure = Disclosure.objects.get()
    assert all(r["type"] != "consent.counselingnote" for r in disclosure.records)


def test_draft_notes_are_not_exported(actor, record):
    from tests.factories import NoteFactory

    draft = NoteFactory(person=record.person, staff=record.note.staff, date=dt.date(2026, 1, 9))
    package = export(actor, record)
    assert draft.pk not in {n["id"] for n in package.data["notes"]}
