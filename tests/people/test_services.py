import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.audit.models import ChangeRecord
from peerpath.people import services
from peerpath.people.models import Diagnosis, Person
from tests.factories import AgencyFactory, EpisodeFactory, PayerFactory, PersonFactory, StaffFactory


def make_person(actor, **overrides):
    fields = dict(
        actor=actor,
        agency=AgencyFactory(),
        payer=PayerFactory(),
        first_name="Jordan",
        last_name="Bell",
        date_of_birth=dt.date(1990, 5, 1),
        medicaid_id="123456789t",
    )
    fields.update(overrides)
    return services.person_create(**fields)


def test_person_create_normalizes_the_medicaid_id(actor):
    person = make_person(actor)
    assert person.medicaid_id == "123456789T"


def test_person_with_wrong_shape_medicaid_id_is_refused_naming_the_field(actor):
    with pytest.raises(ValidationError) as err:
        make_person(actor, medicaid_id="12-34")
    assert "medicaid_id" in err.value.message_dict
    assert not Person.objects.exists()


def test_person_create_refuses_unknown_fields(actor):
    with pytest.raises(ValidationError) as err:
        make_person(actor, favourite_colour="blue")
    assert "favourite_colour" in err.value.message_dict


def test_person_update_keeps_the_before_and_after_in_history(actor):
    person = make_person(actor)
    services.person_update(actor=actor, person=person, preferred_name="Jo")
    change = ChangeRecord.objects.filter(action="update").get()
    assert change.changes["preferred_name"] == ["", "Jo"]


def test_person_update_cannot_move_a_person_to_another_agency(actor):
    person = make_person(actor)
    with pytest.raises(ValidationError):
        services.person_update(actor=actor, person=person, agency=AgencyFactory())


def test_second_open_episode_is_refused(actor):
    person = PersonFactory()
    services.episode_open(actor=actor, person=person, start=dt.date(2026, 1, 5))
    with pytest.raises(ValidationError) as err:
        services.episode_open(actor=actor, person=person, start=dt.date(2026, 2, 5))
    assert "start" in err.value.message_dict


def test_discharge_closes_the_episode(actor):
    episode = EpisodeFactory()
    services.person_discharge(
        actor=actor,
        episode=episode,
        date=dt.date(2026, 6, 1),
        reason="person_declines",
        natural_supports="Weekly church group",
    )
    episode.refresh_from_db()
    assert episode.end == dt.date(2026, 6, 1)


def test_discharge_for_improved_functioning_needs_a_transition_plan(actor):
    episode = EpisodeFactory()
    with pytest.raises(ValidationError) as err:
        services.person_discharge(
            actor=actor,
            episode=episode,
            date=dt.date(2026, 6, 1),
            reason="functioning_improved_with_transition_plan",
        )
    assert "transition_plan" in err.value.message_dict
    episode.refresh_from_db()
    assert episode.end is None


def test_discharge_before_admission_is_refused(actor):
    episode = EpisodeFactory(start=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as err:
        services.person_discharge(
            actor=actor, episode=episode, date=dt.date(2026, 2, 1), reason="person_declines"
        )
    assert "date" in err.value.message_dict


def test_program_enrollment_span_must_not_end_before_it_starts(actor):
    person = PersonFactory()
    enrollment = services.program_enrollment_add(
        actor=actor,
        person=person,
        program="ACTT",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 31),
    )
    assert enrollment.active_on(dt.date(2026, 3, 31))
    assert not enrollment.active_on(dt.date(2026, 4, 1))
    with pytest.raises(ValidationError) as err:
        services.program_enrollment_add(
            actor=actor,
            person=person,
            program="CST",
            start=dt.date(2026, 3, 1),
            end=dt.date(2026, 2, 1),
        )
    assert "end" in err.value.message_dict


def test_other_service_ending_before_it_starts_is_refused(actor):
    person = PersonFactory()
    ok = services.other_service_add(
        actor=actor,
        person=person,
        category="THERAPY",
        date=dt.date(2026, 4, 6),
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    assert ok.pk
    with pytest.raises(ValidationError) as err:
        services.other_service_add(
            actor=actor,
            person=person,
            category="THERAPY",
            date=dt.date(2026, 4, 6),
            start_time=dt.time(10),
            end_time=dt.time(9),
        )
    assert "end_time" in err.value.message_dict


def test_diagnosis_is_checked_against_icd10cm_and_flagged_when_substance_use(actor):
    person = PersonFactory()
    dx = services.diagnosis_add(
        actor=actor, person=person, code="f1120", start=dt.date(2025, 1, 1), is_primary=True
    )
    assert dx.code == "F11.20" and dx.category == "SUD" and dx.is_part2
    assert dx.description == "Opioid dependence, uncomplicated"


def test_unknown_icd10_code_is_refused_naming_the_code_field(actor):
    with pytest.raises(ValidationError) as err:
        services.diagnosis_add(
            actor=actor, person=PersonFactory(), code="F99.99", start=dt.date(2025, 1, 1)
        )
    assert "code" in err.value.message_dict
    assert not Diagnosis.objects.exists()


def test_new_primary_diagnosis_makes_the_old_one_secondary(actor):
    person = PersonFactory()
    first = services.diagnosis_add(
        actor=actor, person=person, code="F33.1", start=dt.date(2025, 1, 1), is_primary=True
    )
    services.diagnosis_add(
        actor=actor, person=person, code="F41.1", start=dt.date(2025, 6, 1), is_primary=True
    )
    first.refresh_from_db()
    assert not first.is_primary
    assert Diagnosis.objects.filter(person=person, is_primary=True).count() == 1


def test_assessment_records_needs_areas_and_refuses_duplicates(actor):
    person = PersonFactory()
    cca = services.assessment_record(
        actor=actor,
        person=person,
        date=dt.date(2026, 2, 1),
        author_name="Dana Lee",
        author_credential="LCSW",
        medical_necessity=True,
        needs_areas=["daily_living"],
    )
    assert cca.needs_areas == ["daily_living"]
    with pytest.raises(ValidationError) as err:
        services.assessment_record(
            actor=actor,
            person=person,
            date=dt.date(2026, 2, 1),
            author_name="Dana Lee",
            author_credential="LCSW",
            medical_necessity=True,
            needs_areas=["daily_living", "daily_living"],
        )
    assert "needs_areas" in err.value.message_dict


def test_service_order_needs_who_signed(actor):
    person = PersonFactory()
    order = services.service_order_record(
        actor=actor,
        person=person,
        signed_by="Pat Chen",
        credential="MD",
        signed_on=dt.date(2026, 2, 1),
    )
    assert order.procedure_code == "H0038"
    with pytest.raises(ValidationError) as err:
        services.service_order_record(
            actor=actor,
            person=person,
            signed_by="",
            credential="MD",
            signed_on=dt.date(2026, 2, 1),
        )
    assert "signed_by" in err.value.message_dict


def test_family_relationship_is_recorded_once(actor):
    person = PersonFactory()
    staff = StaffFactory(agency=person.agency)
    services.family_relationship_add(actor=actor, person=person, staff=staff, relationship="aunt")
    with pytest.raises(ValidationError):
        services.family_relationship_add(
            actor=actor, person=person, staff=staff, relationship="aunt"
        )
