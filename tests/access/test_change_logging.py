import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.access.models import AccessLogEntry
from peerpath.people import services as people
from peerpath.plans.models import Goal
from tests.factories import GoalFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_changing_a_persons_information_writes_one_access_entry():
    person, actor = PersonFactory(), UserFactory()
    people.person_update(actor=actor, person=person, preferred_name="Jo")
    entry = AccessLogEntry.objects.get(action="change")
    assert (entry.person_id, entry.record_type, entry.username) == (
        person.pk,
        "people.Person",
        actor.username,
    )


def test_a_plan_goal_change_is_logged_against_the_person_of_the_plan():
    from peerpath.core.services import save_record

    goal = GoalFactory()
    goal.own_words = "I want to cook on Sundays."
    save_record(goal, actor=UserFactory())
    entry = AccessLogEntry.objects.get(action="change", record_type="plans.Goal")
    assert entry.person_id == goal.plan.person_id


def test_a_refused_change_logs_nothing():
    person, actor = PersonFactory(), UserFactory()
    with pytest.raises(ValidationError):
        people.diagnosis_add(actor=actor, person=person, code="F99.99", start=dt.date(2025, 1, 1))
    assert not AccessLogEntry.objects.exists()
    assert Goal.objects.count() == 0
