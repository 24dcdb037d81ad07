"""Historic notes from another system come in as signed records marked "Imported record from
<system>", with their signer and time there; billing never picks them up; the audit still
judges them; the JSON export carries the mark back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from peerpath.api.records import ImportRefused, export_agency, import_records
from peerpath.billing.models import ClaimLine
from peerpath.billing.services import lines_scrub
from peerpath.organizations.models import Agency
from peerpath.policy.checks import check_person
from peerpath.services.models import NoteStatus, ServiceNote, SignedNoteError
from peerpath.services.services import note_amend
from tests.access.factories import StaffUserFactory
from tests.factories import (
    AuthorizationFactory,
    CertificationFactory,
    DiagnosisFactory,
    NoteFactory,
    PersonFactory,
    StaffFactory,
)

SIGNED_THERE = "2026-04-06T16:20:00+00:00"


class _Undo(Exception):
    pass


def source_document() -> dict[str, Any]:
    """An agency's export (one person with a diagnosis and an authorization, one peer
    specialist), made and then rolled back, so the database is empty again."""
    kept: dict[str, Any] = {}
    try:
        with transaction.atomic():
            cpss = StaffFactory(first_name="Jordan", last_name="Rivera")
            CertificationFactory(staff=cpss)
            person = PersonFactory(agency=cpss.agency)
            DiagnosisFactory(person=person)
            AuthorizationFactory(person=person)
            kept["doc"] = export_agency(cpss.agency)
            raise _Undo
    except _Undo:
        pass
    assert not Agency.objects.exists()
    return kept["doc"]


def legacy_note(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    note = {
        "external_id": "N-1001",
        "source_system": "OldEHR",
        "person": doc["people"][0]["external_id"],
        "staff": doc["staff"][0]["external_id"],
        "signed_by": doc["staff"][0]["external_id"],
        "signer_name": "J. Rivera, CPSS",
        "date": "2026-04-06",
        "start_time": "10:00:00",
        "end_time": "10:45:00",
        "modality": "in_person",
        "setting": "community",
        "activity": "peer_mentoring",
        "intervention_text": "We looked at apartment listings together.",
        "purpose": "A home of her own is her goal.",
        "response": "She called two landlords.",
        "next_steps": "Visit on Friday.",
        "signed_credential": "CPSS",
        "signed_at": SIGNED_THERE,
    }
    return {**note, **changes}


def imported(actor: Any) -> tuple[dict[str, Any], ServiceNote]:
    doc = source_document()
    doc["notes"] = [legacy_note(doc)]
    import_records(doc, actor=actor)
    return doc, ServiceNote.objects.get()


@pytest.mark.django_db
def test_an_imported_historic_note_is_a_signed_record_marked_with_its_system(actor):
    _, note = imported(actor)
    assert note.status == NoteStatus.SIGNED and note.is_legacy
    assert (note.legacy_source, note.legacy_id) == ("OldEHR", "N-1001")
    assert note.legacy_signer == "J. Rivera, CPSS" and note.signed_credential == "CPSS"
    assert note.signed_at == dt.datetime(2026, 4, 6, 16, 20, tzinfo=dt.UTC)
    assert note.signed_by == note.staff and note.staff.last_name == "Rivera"
    # Kept as signed there: not amended here.
    with pytest.raises(ValidationError) as refused:
        note_amend(actor=actor, note=note, reason="Typo", response="Changed.")
    assert "Imported record from OldEHR".lower() in str(refused.value).lower()
    # Signed means unchangeable here too, mark included.
    note.legacy_source = "Elsewhere"
    with pytest.raises(SignedNoteError):
        note.save()
    # ... and in the database itself (its triggers cover the mark), whatever path writes.
    for field in ("legacy_source", "legacy_id", "legacy_signer"):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            ServiceNote.objects.filter(pk=note.pk).update(**{field: "changed"})


@pytest.mark.django_db
def test_the_note_page_and_the_chart_say_it_is_an_imported_record(actor):
    _, note = imported(actor)
    auditor = StaffUserFactory(role="auditor", agency=note.person.agency)
    client = Client()
    client.force_login(auditor.user)
    page = client.get(reverse("note-detail", kwargs={"note_id": note.pk})).content.decode()
    assert "Imported record from OldEHR" in page
    assert "Signed in OldEHR by J. Rivera, CPSS" in page and "N-1001" in page
    assert "CPSS, CPSS" not in page  # the credential is in the signer's name already
    chart = client.get(reverse("person-chart", kwargs={"person_id": note.person_id}))
    assert "Imported record from OldEHR" in chart.content.decode()


@pytest.mark.django_db
def test_billing_never_makes_a_claim_line_for_an_imported_note(actor):
    _, legacy = imported(actor)
    written_here = NoteFactory(
        person=legacy.person, staff=legacy.staff, date=dt.date(2026, 4, 7),
        status=NoteStatus.SIGNED, signed_by=legacy.staff,
        signed_at=dt.datetime(2026, 4, 7, 15, tzinfo=dt.UTC),
    )  # fmt: skip
    lines_scrub(actor=actor, agency=legacy.person.agency, today=dt.date(2026, 4, 8))
    billed = set(ClaimLine.objects.values_list("note_id", flat=True))
    assert billed == {written_here.pk}


@pytest.mark.django_db
def test_the_audit_still_judges_an_imported_note(actor):
    _, note = imported(actor)
    findings = check_person(note.person_id, as_of=dt.date(2026, 4, 30), live=False).objects()
    about = [f for f in findings if f.subject_type == "note" and f.subject_id == note.pk]
    # No plan goal came with it, so the rules say so, as for any note.
    assert about, [f.rule_id for f in findings]


@pytest.mark.django_db
def test_the_json_round_trip_keeps_the_mark(actor):
    kept: dict[str, Any] = {}
    try:
        with transaction.atomic():
            doc, note = imported(actor)
            kept["doc"], kept["again"] = doc, export_agency(note.person.agency)
            raise _Undo
    except _Undo:
        pass
    doc, again = kept["doc"], kept["again"]
    (out,) = again["notes"]
    refs = ("person", "staff", "signed_by")
    assert {k: v for k, v in out.items() if k not in refs} == {
        k: v for k, v in doc["notes"][0].items() if k not in refs
    }
    assert out["person"] == again["people"][0]["external_id"]
    assert out["staff"] == out["signed_by"] == again["staff"][0]["external_id"]
    # The export, into an empty database: the same marked note, and the same export.
    assert not ServiceNote.objects.exists()
    import_records(again, actor=actor)
    note = ServiceNote.objects.get()
    assert (note.legacy_source, note.legacy_id, note.status) == ("OldEHR", "N-1001", "signed")
    assert export_agency(note.person.agency)["notes"][0]["signer_name"] == "J. Rivera, CPSS"


@pytest.mark.django_db
def test_a_bad_historic_note_is_refused_by_line_and_field_and_nothing_is_written(actor):
    doc = source_document()
    doc["notes"] = [
        legacy_note(doc),
        legacy_note(doc, signed_at="", activity="juggling"),
        legacy_note(doc, external_id="N-1001"),  # the first one's id again
        legacy_note(doc, person="person-nobody", staff="staff-nobody", source_system=""),
        legacy_note(doc, external_id="N-1004", signed_at="2026-04-06T16:20:00"),
        legacy_note(doc, external_id="N-1005", signed_at="2026-04-01T16:20:00+00:00"),
        legacy_note(doc, external_id="N-1006", date="2999-01-04",
                    signed_at="2999-01-04T16:20:00+00:00"),
    ]  # fmt: skip
    with pytest.raises(ImportRefused) as refused:
        import_records(doc, actor=actor)
    where = {(p.where, p.field) for p in refused.value.result.problems}
    assert {
        ("notes[2]", "signed_at"),
        ("notes[2]", "activity"),
        ("notes[3]", "external_id"),
        ("notes[4]", "person"),
        ("notes[4]", "staff"),
        ("notes[4]", "source_system"),
        ("notes[5]", "signed_at"),
        ("notes[6]", "signed_at"),
        ("notes[7]", "date"),
    } <= where
    assert not any(w == "notes[1]" for w, _ in where)
    assert not Agency.objects.exists() and not ServiceNote.objects.exists()
