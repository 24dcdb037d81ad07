"""A note no service could have had is refused at signing, with a plain message."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.services.models import ServiceNote
from peerpath.services.services import note_sign
from tests.factories import NoteFactory
from tests.services.test_views import client_for, note_post, ready_person

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 4, 7, 18, tzinfo=dt.UTC)


def sign(note):
    return note_sign(actor=None, note=note, signer=note.staff, at=NOW)


def test_a_note_dated_year_one_cannot_be_signed():
    note = NoteFactory(date=dt.date(1, 1, 1))
    with pytest.raises(ValidationError) as caught:
        sign(note)
    assert "before 1990" in caught.value.message_dict["date"][0]
    assert ServiceNote.objects.get(pk=note.pk).status == "draft"


def test_a_note_timed_all_day_cannot_be_signed():
    note = NoteFactory(start_time=dt.time(0, 0), end_time=dt.time(23, 59))
    with pytest.raises(ValidationError) as caught:
        sign(note)
    assert "at most 12 hours" in caught.value.message_dict["end_time"][0]
    assert ServiceNote.objects.get(pk=note.pk).status == "draft"


def test_a_plausible_note_is_signed():
    assert sign(NoteFactory()).status == "signed"


def test_the_page_names_the_field_and_signs_nothing():
    person, cpss, intervention = ready_person()
    response = client_for(cpss).post(
        f"/people/{person.pk}/notes/new/",
        note_post(intervention, start_time="00:00", end_time="23:59", action="sign"),
    )
    assert response.status_code == 200
    assert b"one contact is at most 12 hours" in response.content
    assert not ServiceNote.objects.filter(person=person).exists()
