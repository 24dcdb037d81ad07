import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from peerpath.audit.models import ChangeRecord
from peerpath.staff import services
from peerpath.staff.models import CaseloadAssignment, SupervisionAssignment
from tests.factories import AgencyFactory, PayerFactory, PersonFactory, StaffFactory


def test_staff_create_for_a_peer_specialist_needs_a_hire_date(actor):
    agency = AgencyFactory()
    cpss = services.staff_create(
        actor=actor,
        role="cpss",
        first_name="Sam",
        last_name="Ray",
        agency=agency,
        credential="CPSS",
        npi="1234567893",
        hire_date=dt.date(2025, 1, 6),
    )
    assert cpss.pk
    with pytest.raises(ValidationError) as err:
        services.staff_create(
            actor=actor, role="cpss", first_name="No", last_name="Date", agency=agency
        )
    assert "hire_date" in err.value.message_dict


def test_um_reviewer_must_work_for_a_payer(actor):
    reviewer = services.staff_create(
        actor=actor, role="um_reviewer", first_name="Uma", last_name="Reyes", payer=PayerFactory()
    )
    assert reviewer.payer_id
    with pytest.raises(ValidationError) as err:
        services.staff_create(actor=actor, role="um_reviewer", first_name="U", last_name="R")
    assert "payer" in err.value.message_dict


def test_rendering_npi_check_digit_is_validated(actor):
    with pytest.raises(ValidationError) as err:
        services.staff_create(
            actor=actor,
            role="cpss",
            first_name="S",
            last_name="R",
            agency=AgencyFactory(),
            npi="1234567890",
            hire_date=dt.date(2025, 1, 6),
        )
    assert "npi" in err.value.message_dict


def test_certification_expiring_before_issue_is_refused(actor):
    staff = StaffFactory()
    cert = services.certification_add(
        actor=actor,
        staff=staff,
        kind="NC CPSS",
        issued=dt.date(2024, 1, 1),
        expires=dt.date(2026, 1, 1),
    )
    assert cert.active_on(dt.date(2026, 1, 1)) and not cert.active_on(dt.date(2026, 1, 2))
    with pytest.raises(ValidationError) as err:
        services.certification_add(
            actor=actor,
            staff=staff,
            kind="NC CPSS",
            issued=dt.date(2024, 1, 1),
            expires=dt.date(2023, 1, 1),
        )
    assert "end" in err.value.message_dict


def test_training_needs_positive_hours(actor):
    staff = StaffFactory()
    ok = services.training_record(
        actor=actor,
        staff=staff,
        topic="mi_intro",
        hours=Decimal("13"),
        completed_on=dt.date(2024, 2, 1),
    )
    assert ok.pk
    with pytest.raises(ValidationError) as err:
        services.training_record(
            actor=actor,
            staff=staff,
            topic="mi_intro",
            hours=Decimal("0"),
            completed_on=dt.date(2024, 2, 1),
        )
    assert "hours" in err.value.message_dict


def test_reassigning_a_supervisor_ends_the_previous_span(actor):
    agency = AgencyFactory()
    qp1 = StaffFactory(agency=agency, role="supervisor", credential="QP")
    qp2 = StaffFactory(agency=agency, role="supervisor", credential="QP")
    cpss = StaffFactory(agency=agency)
    services.supervision_assign(actor=actor, supervisor=qp1, staff=cpss, start=dt.date(2026, 1, 1))
    services.supervision_assign(actor=actor, supervisor=qp2, staff=cpss, start=dt.date(2026, 3, 1))
    spans = list(SupervisionAssignment.objects.filter(staff=cpss).order_by("start"))
    assert spans[0].end == dt.date(2026, 2, 28) and spans[1].end is None


def test_only_a_supervisor_or_mhp_can_supervise(actor):
    agency = AgencyFactory()
    with pytest.raises(ValidationError) as err:
        services.supervision_assign(
            actor=actor,
            supervisor=StaffFactory(agency=agency),
            staff=StaffFactory(agency=agency),
            start=dt.date(2026, 1, 1),
        )
    assert "supervisor" in err.value.message_dict


def test_caseload_reassignment_ends_the_old_span_the_day_before(actor):
    person = PersonFactory()
    a, b = StaffFactory(agency=person.agency), StaffFactory(agency=person.agency)
    services.caseload_assign(actor=actor, staff=a, person=person, start=dt.date(2026, 1, 5))
    services.caseload_assign(actor=actor, staff=b, person=person, start=dt.date(2026, 4, 1))
    first, second = CaseloadAssignment.objects.filter(person=person).order_by("start")
    assert first.staff == a and first.end == dt.date(2026, 3, 31)
    assert second.staff == b and second.end is None


def test_caseload_assignment_cannot_start_before_an_existing_one(actor):
    person = PersonFactory()
    a = StaffFactory(agency=person.agency)
    services.caseload_assign(actor=actor, staff=a, person=person, start=dt.date(2026, 4, 1))
    with pytest.raises(ValidationError) as err:
        services.caseload_assign(actor=actor, staff=a, person=person, start=dt.date(2026, 3, 1))
    assert "start" in err.value.message_dict


def test_caseload_is_for_peer_specialists_of_the_same_agency(actor):
    person = PersonFactory()
    with pytest.raises(ValidationError) as err:
        services.caseload_assign(
            actor=actor, staff=StaffFactory(), person=person, start=dt.date(2026, 1, 1)
        )
    assert "staff" in err.value.message_dict


def test_caseload_reassign_moves_the_person_in_one_step_with_the_reason_in_history(actor):
    person = PersonFactory()
    a, b = StaffFactory(agency=person.agency), StaffFactory(agency=person.agency)
    services.caseload_assign(actor=actor, staff=a, person=person, start=dt.date(2026, 1, 5))
    new = services.caseload_reassign(
        actor=actor, person=person, to_staff=b, start=dt.date(2026, 4, 1), reason=" Fewer miles "
    )
    old = CaseloadAssignment.objects.get(person=person, staff=a)
    assert old.end == dt.date(2026, 3, 31) and new.staff == b and new.start == dt.date(2026, 4, 1)
    changes = ChangeRecord.objects.filter(record_type="staff.CaseloadAssignment")
    assert {(c.action, c.reason) for c in changes if c.reason} == {
        ("end", "Fewer miles"),
        ("create", "Fewer miles"),
    }


def test_caseload_reassign_refuses_what_is_not_a_move_naming_the_field(actor):
    person = PersonFactory()
    a = StaffFactory(agency=person.agency, hire_date=dt.date(2024, 1, 8))
    late_hire = StaffFactory(agency=person.agency, hire_date=dt.date(2026, 6, 1))
    gone = StaffFactory(agency=person.agency, end_date=dt.date(2026, 2, 1))
    day = dt.date(2026, 4, 1)

    def refused(**kwargs: object) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as err:
            services.caseload_reassign(actor=actor, person=person, **kwargs)  # type: ignore[arg-type]
        return err.value.message_dict

    assert "person" in refused(to_staff=a, start=day)  # on no caseload yet
    services.caseload_assign(actor=actor, staff=a, person=person, start=dt.date(2026, 1, 5))
    assert "already supports" in refused(to_staff=a, start=day)["staff"][0]
    assert "hired on Jun 1, 2026" in refused(to_staff=late_hire, start=day)["start"][0]
    assert "left the agency" in refused(to_staff=gone, start=day)["staff"][0]
    supervisor = StaffFactory(agency=person.agency, role="supervisor")
    assert "staff" in refused(to_staff=supervisor, start=day)
    assert CaseloadAssignment.objects.filter(person=person).count() == 1


def test_caseload_end_closes_the_span(actor):
    person = PersonFactory()
    span = services.caseload_assign(
        actor=actor,
        staff=StaffFactory(agency=person.agency),
        person=person,
        start=dt.date(2026, 1, 5),
    )
    services.caseload_end(actor=actor, assignment=span, end=dt.date(2026, 2, 1))
    with pytest.raises(ValidationError):
        services.caseload_end(actor=actor, assignment=span, end=dt.date(2025, 12, 1))


def test_supervisor_contact_is_recorded_by_a_supervisor(actor):
    person = PersonFactory()
    qp = StaffFactory(agency=person.agency, role="supervisor", credential="QP")
    contact = services.supervisor_contact_record(
        actor=actor,
        supervisor=qp,
        person=person,
        date=dt.date(2026, 3, 20),
        kind="face_to_face",
    )
    assert contact.pk
    with pytest.raises(ValidationError):
        services.supervisor_contact_record(
            actor=actor,
            supervisor=StaffFactory(agency=person.agency),
            person=person,
            date=dt.date(2026, 3, 20),
            kind="face_to_face",
        )


def test_evaluation_is_recorded_by_an_mhp(actor):
    person = PersonFactory()
    mhp = StaffFactory(agency=person.agency, role="mhp", credential="LPC")
    assert services.evaluation_record(
        actor=actor, evaluator=mhp, person=person, date=dt.date(2026, 8, 1)
    ).pk
    with pytest.raises(ValidationError):
        services.evaluation_record(
            actor=actor,
            evaluator=StaffFactory(agency=person.agency),
            person=person,
            date=dt.date(2026, 8, 1),
        )
