import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.authorizations import services
from tests.factories import PersonFactory, StaffFactory

T0 = dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC)


def request(actor, person, **kw):
    fields = dict(
        actor=actor,
        person=person,
        payer=person.payer,
        units_requested=96,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 8, 27),
        requested_at=T0,
    )
    fields.update(kw)
    return services.authorization_request(**fields)


def reviewer_for(person):
    return StaffFactory(role="um_reviewer", agency=None, payer=person.payer, hire_date=None)


def test_authorization_span_ending_before_it_starts_is_refused(actor):
    with pytest.raises(ValidationError) as err:
        request(actor, PersonFactory(), end=dt.date(2026, 2, 1))
    assert "end" in err.value.message_dict


def test_zero_units_cannot_be_requested(actor):
    with pytest.raises(ValidationError) as err:
        request(actor, PersonFactory(), units_requested=0)
    assert "units_requested" in err.value.message_dict


def test_approval_records_units_number_and_reviewer(actor):
    person = PersonFactory()
    auth = services.authorization_decide(
        actor=actor,
        authorization=request(actor, person),
        reviewer=reviewer_for(person),
        status="approved",
        decided_at=T0 + dt.timedelta(days=2),
        units_approved=96,
        number="PA1234",
    )
    assert auth.status == "approved" and auth.units_approved == 96 and auth.number == "PA1234"


def test_denial_needs_a_specific_reason(actor):
    person = PersonFactory()
    req = request(actor, person)
    with pytest.raises(ValidationError) as err:
        services.authorization_decide(
            actor=actor,
            authorization=req,
            reviewer=reviewer_for(person),
            status="denied",
            decided_at=T0 + dt.timedelta(days=1),
        )
    assert "reason" in err.value.message_dict
    req.refresh_from_db()
    assert req.status == "requested"


def test_partial_approval_must_cut_units(actor):
    person = PersonFactory()
    with pytest.raises(ValidationError) as err:
        services.authorization_decide(
            actor=actor,
            authorization=request(actor, person),
            reviewer=reviewer_for(person),
            status="partial",
            decided_at=T0 + dt.timedelta(days=1),
            units_approved=96,
            number="PA9",
            reason="Fewer units fit the goals",
        )
    assert "units_approved" in err.value.message_dict


def test_only_a_reviewer_of_the_payer_decides_and_only_once(actor):
    person = PersonFactory()
    req = request(actor, person)
    with pytest.raises(ValidationError) as err:
        services.authorization_decide(
            actor=actor,
            authorization=req,
            reviewer=StaffFactory(),
            status="approved",
            decided_at=T0,
            units_approved=10,
            number="PA1",
        )
    assert "reviewer" in err.value.message_dict
    reviewer = reviewer_for(person)
    services.authorization_decide(
        actor=actor,
        authorization=req,
        reviewer=reviewer,
        status="denied",
        decided_at=T0 + dt.timedelta(hours=3),
        reason="No CCA on file showing medical necessity",
    )
    with pytest.raises(ValidationError):
        services.authorization_decide(
            actor=actor,
            authorization=req,
            reviewer=reviewer,
            status="approved",
            decided_at=T0 + dt.timedelta(hours=5),
            units_approved=10,
            number="PA2",
        )


def test_decision_before_the_request_is_refused(actor):
    person = PersonFactory()
    with pytest.raises(ValidationError) as err:
        services.authorization_decide(
            actor=actor,
            authorization=request(actor, person),
            reviewer=reviewer_for(person),
            status="approved",
            decided_at=T0 - dt.timedelta(days=1),
            units_approved=10,
            number="PA1",
        )
    assert "decided_at" in err.value.message_dict
