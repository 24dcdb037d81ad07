import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from peerpath.audit.models import ChangeRecord
from peerpath.consent import services
from tests.consent.factories import ConsentFactory, CounselingNoteFactory
from tests.factories import PersonFactory

ON = dt.date(2026, 6, 1)


def test_counseling_note_is_refused_without_its_specific_consent(actor):
    note = CounselingNoteFactory()
    ConsentFactory(person=note.person)  # treatment/payment/operations, not counseling notes
    with pytest.raises(PermissionDenied, match="specific consent to share counseling notes"):
        services.counseling_note_read(actor=actor, note=note, purpose="treatment", on=ON)


def test_counseling_note_is_read_under_a_consent_that_covers_counseling_notes(actor):
    note = CounselingNoteFactory()
    ConsentFactory(person=note.person, covers_counseling_notes=True, purposes=["treatment"])
    read = services.counseling_note_read(actor=actor, note=note, purpose="treatment", on=ON)
    assert read.text == note.text


def test_counseling_note_consent_must_list_the_purpose(actor):
    note = CounselingNoteFactory()
    ConsentFactory(person=note.person, covers_counseling_notes=True, purposes=["treatment"])
    with pytest.raises(PermissionDenied):
        services.counseling_note_read(actor=actor, note=note, purpose="payment", on=ON)


def test_counseling_note_consent_must_name_the_recipient_when_one_is_given(actor):
    note = CounselingNoteFactory()
    ConsentFactory(person=note.person, covers_counseling_notes=True)
    with pytest.raises(PermissionDenied):
        services.counseling_note_read(
            actor=actor, note=note, purpose="treatment", on=ON, recipient_name="Wake Clinic"
        )
    assert services.counseling_note_read(
        actor=actor, note=note, purpose="treatment", on=ON, payer=note.person.payer
    )


def test_counseling_note_history_does_not_copy_its_text(actor):
    note = services.counseling_note_create(
        actor=actor, person=PersonFactory(), date=ON, text="Cravings after the funeral."
    )
    change = ChangeRecord.objects.get(record_type="consent.CounselingNote")
    assert "text" not in change.changes and "funeral" not in str(change.changes)
    assert note.author == actor
