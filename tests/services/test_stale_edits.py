"""No lost edits: two saves of the same draft note from pages opened at the same revision;
the second is refused with both versions shown, and nothing is overwritten."""

import pytest

from peerpath.core.stale import StaleEditError, revision
from peerpath.services.models import ServiceNote
from peerpath.services.services import note_update_draft
from tests.services.test_views import client_for, note_post, ready_person

pytestmark = pytest.mark.django_db


def base_of(response) -> str:
    return response.context["base"]


def test_the_second_save_of_a_draft_note_is_refused_with_both_versions_shown():
    person, cpss, intervention = ready_person()
    tab_a, tab_b = client_for(cpss), client_for(cpss)
    tab_a.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="save"))
    note = ServiceNote.objects.get(person=person)
    url = f"/notes/{note.pk}/edit/"
    base_a, base_b = base_of(tab_a.get(url)), base_of(tab_b.get(url))
    assert base_a == base_b

    first = tab_b.post(
        url,
        {
            **note_post(intervention, next_steps="Call Sam on Monday."),
            "base": base_b,
            "action": "save",
        },
    )
    assert first.status_code == 302
    second = tab_a.post(
        url,
        {
            **note_post(intervention, next_steps="Visit the library."),
            "base": base_a,
            "action": "save",
        },
    )
    assert second.status_code == 200
    page = second.content.decode()
    assert "Someone else saved this draft note" in page
    assert "Call Sam on Monday." in page  # theirs, shown
    assert "Visit the library." in page  # mine, still in the form
    note.refresh_from_db()
    assert note.next_steps == "Call Sam on Monday."

    again = tab_a.post(
        url,
        {
            **note_post(intervention, next_steps="Visit the library."),
            "base": base_of(second),
            "action": "save",
        },
    )
    assert again.status_code == 302
    note.refresh_from_db()
    assert note.next_steps == "Visit the library."


def test_the_service_refuses_a_stale_revision(actor):
    person, cpss, intervention = ready_person()
    client_for(cpss).post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="save"))
    note = ServiceNote.objects.get(person=person)
    old = revision(note)
    note_update_draft(actor=actor, note=note, base=old, purpose="First.")
    with pytest.raises(StaleEditError) as caught:
        note_update_draft(actor=actor, note=note, base=old, purpose="Second.")
    assert caught.value.current["purpose"] == "First."
    assert ServiceNote.objects.get(pk=note.pk).purpose == "First."
