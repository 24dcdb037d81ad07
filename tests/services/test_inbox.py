"""The inbox lists what needs the signed-in user: a peer specialist's returned notes,
drafts and due items; a supervisor's notes to review and the contacts the board counts."""

import datetime as dt

import pytest

from peerpath.services import review
from peerpath.services.models import ServiceNote
from tests.services.test_signing import _no_second_factor, team  # noqa: F401 (fixture)
from tests.services.test_views import client_for, note_post
from tests.staff.test_board import add_person

pytestmark = pytest.mark.django_db


def test_a_peer_sees_returned_notes_and_drafts_and_the_bell_counts_them():
    person, cpss, intervention, supervisor = team()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    signed = ServiceNote.objects.get()
    client.post(
        f"/people/{person.pk}/notes/new/",
        note_post(intervention, action="save", start_time="14:00", end_time="14:30"),
    )
    now = dt.datetime.now(dt.UTC)
    item = review.sample_for_review(actor=None, note=signed, supervisor=supervisor, at=now)
    review.review_decide(
        actor=None, review=item, supervisor=supervisor, approve=False,
        comment="Add what she said about the landlord.", at=now,
    )  # fmt: skip
    page = client.get("/inbox/").content.decode()
    assert "Returned for correction" in page and "what she said about the landlord" in page
    assert "Drafts to finish" in page
    assert client.get("/inbox/count/").content.decode().count(">2<") == 1
    day = client.get("/day/").content.decode()
    assert 'id="returned-h"' in day and "what she said about the landlord" in day


def test_a_supervisor_sees_notes_to_review_and_overdue_contacts():
    person, cpss, intervention, supervisor = team()
    client_for(cpss).post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    note = ServiceNote.objects.get()
    review.sample_for_review(
        actor=None, note=note, supervisor=supervisor, at=dt.datetime.now(dt.UTC)
    )
    late = add_person(cpss, payer=person.payer, qp=supervisor, met_days_ago=70)
    client = client_for(supervisor)
    page = client.get("/inbox/").content.decode()
    assert "Notes to review" in page and person.display_name in page
    assert late.display_name in page and "overdue" in page
    assert ">1<" in client.get("/inbox/count/").content.decode()
