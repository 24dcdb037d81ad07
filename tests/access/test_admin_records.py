"""Records that cannot be forged in the admin: an agency administrator cannot sign a draft note
(in anyone's name), add a signed note, change a signed plan's goals, or move a person to
another agency; and what they do change writes the change history the services write."""

from __future__ import annotations

import pytest
from django.test import override_settings

from peerpath.audit.models import ChangeRecord
from peerpath.plans.models import Goal
from peerpath.services.models import ServiceNote
from tests.access.factories import StaffUserFactory
from tests.access.test_admin_phi import admin_of, client_for, form_data
from tests.factories import AgencyFactory, GoalFactory, NoteFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


@pytest.fixture
def draft():
    note = NoteFactory()
    return note, client_for(admin_of(note.person.agency))


def test_a_draft_note_cannot_be_saved_as_signed_in_another_peers_name(draft):
    note, client = draft
    other_peer = StaffUserFactory(role="cpss", agency=note.person.agency)
    page = client.get(f"/admin/services/servicenote/{note.pk}/change/")
    data = form_data(page)
    data.update(
        status="signed",
        signed_by=str(other_peer.pk),
        signed_credential="CPSS",
        signed_at_0="2026-04-06",
        signed_at_1="18:00:00",
        next_steps="Meet again Thursday.",
    )
    response = client.post(f"/admin/services/servicenote/{note.pk}/change/", data)
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.next_steps == "Meet again Thursday."
    assert (note.status, note.signed_by_id, note.signed_at) == ("draft", None, None)


def test_a_note_added_in_the_admin_is_a_draft_whatever_is_posted(draft):
    note, client = draft
    page = client.get("/admin/services/servicenote/add/")
    data = form_data(page)
    data.update(
        person=str(note.person_id),
        staff=str(note.staff_id),
        date="2026-04-07",
        start_time="10:00",
        end_time="10:45",
        activity="peer_mentoring",
        intervention_text="Practiced a phone call.",
        status="signed",
        signed_by=str(note.staff_id),
        signed_credential="CPSS",
        signed_at_0="2026-04-07",
        signed_at_1="18:00:00",
    )
    client.post("/admin/services/servicenote/add/", data)
    assert ServiceNote.objects.get(date="2026-04-07").status == "draft"
    assert not ServiceNote.objects.exclude(status="draft").exists()
    assert not ServiceNote.objects.filter(signed_by__isnull=False).exists()


def test_the_goals_of_a_signed_plan_cannot_be_edited(db):
    goal = GoalFactory()  # on an active (signed) plan
    client = client_for(admin_of(goal.plan.person.agency))
    url = f"/admin/plans/goal/{goal.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    response = client.post(url, {"plan": goal.plan_id, "order": 1, "own_words": "Changed"})
    assert response.status_code == 403
    plan_page = client.get(f"/admin/plans/plan/{goal.plan_id}/change/")
    assert not plan_page.context["has_change_permission"]
    client.post(
        f"/admin/plans/plan/{goal.plan_id}/change/",
        {**form_data(plan_page), "goals-0-own_words": "x"},
    )
    assert Goal.objects.get(pk=goal.pk).own_words == goal.own_words
    add = client.post(
        "/admin/plans/goal/add/",
        {
            "plan": goal.plan_id,
            "order": 2,
            "own_words": "Sneaked in",
            "whole_health_factor": "",
            "status": "active",
        },
    )
    assert add.status_code == 200 and not Goal.objects.filter(own_words="Sneaked in").exists()


def test_a_person_cannot_be_moved_to_another_agency(db):
    person = PersonFactory()
    elsewhere = AgencyFactory()
    client = client_for(admin_of(person.agency))
    url = f"/admin/people/person/{person.pk}/change/"
    data = form_data(client.get(url))
    data["agency"] = str(elsewhere.pk)
    response = client.post(url, data)
    assert response.status_code == 200 and "agency" in response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.agency_id != elsewhere.pk


def test_admin_changes_write_change_history(db):
    person = PersonFactory()
    user = admin_of(person.agency)
    client = client_for(user)
    url = f"/admin/people/person/{person.pk}/change/"
    data = form_data(client.get(url))
    data["phone"] = "919-555-0199"
    assert client.post(url, data).status_code == 302
    [record] = ChangeRecord.objects.filter(record_type="people.Person", record_id=str(person.pk))
    assert record.action == "admin.update" and record.actor == user
    assert record.changes["phone"][1] == "919-555-0199"


def test_staff_records_are_scoped_to_the_administrators_agency(db):
    from peerpath.staff.models import StaffMember, Training
    from tests.factories import CertificationFactory, StaffFactory

    mine, theirs = AgencyFactory(), AgencyFactory()
    ours = StaffFactory(agency=mine, last_name="Ourpeer")
    other = StaffFactory(agency=theirs, last_name="Otherpeer")
    other_cert = CertificationFactory(staff=other)
    other_training = Training.objects.create(
        staff=other, topic="mi_intro", hours=3, completed_on="2026-01-05"
    )
    client = client_for(admin_of(mine))
    listing = client.get("/admin/staff/staffmember/").content.decode()
    assert "Ourpeer" in listing and "Otherpeer" not in listing
    for path in (
        f"/admin/staff/staffmember/{other.pk}/change/",
        f"/admin/staff/certification/{other_cert.pk}/change/",
        f"/admin/staff/training/{other_training.pk}/change/",
    ):
        assert client.get(path).status_code == 404, path

    # Moving one's own staff member to another agency is refused, and saving writes history.
    url = f"/admin/staff/staffmember/{ours.pk}/change/"
    data = form_data(client.get(url))
    data["agency"] = str(theirs.pk)
    response = client.post(url, data)
    assert response.status_code == 200 and "agency" in response.context["adminform"].form.errors
    assert StaffMember.objects.get(pk=ours.pk).agency_id == mine.pk
    data["agency"] = str(mine.pk)
    data["credential"] = "QP"
    assert client.post(url, data).status_code == 302
    assert ChangeRecord.objects.filter(
        record_type="staff.StaffMember", record_id=str(ours.pk), action="admin.update"
    ).exists()
