"""Writes for staff: hiring, credentials, trainings, supervision and caseloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from peerpath.core import formatting as fmt
from peerpath.core.services import Actor, save_record
from peerpath.organizations.models import Agency, Payer, Site
from peerpath.people.models import Person

from .models import (
    CaseloadAssignment,
    Certification,
    Evaluation,
    Role,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    role: str,
    first_name: str,
    last_name: str,
    agency: Agency | None = None,
    payer: Payer | None = None,
    site: Site | None = None,
    credential: str = "",
    npi: str = "",
    hire_date: dt.date | None = None,
) -> StaffMember:
    staff = StaffMember(
        role=role,
        first_name=first_name,
        last_name=last_name,
        agency=agency,
        payer=payer,
        site=site,
        credential=credential,
        npi=npi,
        hire_date=hire_date,
    )
    return save_record(staff, actor=actor)


@transaction.atomic
def certification_add(
    *,
    actor: Actor,
    staff: StaffMember,
    kind: str,
    issued: dt.date,
    expires: dt.date | None,
    number: str = "",
) -> Certification:
    cert = Certification(staff=staff, kind=kind, number=number, start=issued, end=expires)
    return save_record(cert, actor=actor)


@transaction.atomic
def training_record(
    *,
    actor: Actor,
    staff: StaffMember,
    topic: str,
    hours: Decimal,
    completed_on: dt.date,
    provider: str = "",
) -> Training:
    training = Training(
        staff=staff, topic=topic, hours=hours, completed_on=completed_on, provider=provider
    )
    return save_record(training, actor=actor)


def _require_role(staff: StaffMember, roles: set[str], field: str, what: str) -> None:
    if staff.role not in roles:
        raise ValidationError({field: f"{staff} is not {what}."})


@transaction.atomic
def supervision_assign(
    *,
    actor: Actor,
    supervisor: StaffMember,
    staff: StaffMember,
    start: dt.date,
) -> SupervisionAssignment:
    _require_role(supervisor, {Role.SUPERVISOR, Role.MHP}, "supervisor", "a supervisor or MHP")
    current = SupervisionAssignment.objects.filter(staff=staff, end__isnull=True).first()
    if current is not None:
        current.end = start - dt.timedelta(days=1)
        save_record(current, actor=actor, action="end")
    return save_record(
        SupervisionAssignment(supervisor=supervisor, staff=staff, start=start), actor=actor
    )


@transaction.atomic
def caseload_assign(
    *,
    actor: Actor,
    staff: StaffMember,
    person: Person,
    start: dt.date,
    reason: str = "",
) -> CaseloadAssignment:
    """Put a person on a peer specialist's caseload from `start`, ending any current
    assignment the day before (a reassignment)."""
    _require_role(staff, {Role.CPSS}, "staff", "a peer support specialist")
    if staff.agency_id != person.agency_id:
        raise ValidationError({"staff": "The peer specialist works for another agency."})
    open_spans = CaseloadAssignment.objects.select_for_update().filter(
        Q(end__isnull=True) | Q(end__gte=start), person=person
    )
    for span in open_spans:
        if span.start >= start:
            raise ValidationError(
                {"start": f"The person already has a caseload assignment from {span.start}."}
            )
        span.end = start - dt.timedelta(days=1)
        save_record(span, actor=actor, action="end", reason=reason)
    return save_record(
        CaseloadAssignment(staff=staff, person=person, start=start), actor=actor, reason=reason
    )


@transaction.atomic
def caseload_reassign(
    *,
    actor: Actor,
    person: Person,
    to_staff: StaffMember,
    start: dt.date,
    reason: str = "",
) -> CaseloadAssignment:
    """Move a person from the peer specialist who supports them on `start` to `to_staff`
    from that day: the old assignment ends the day before and a new one begins, in one
    transaction, both in the change history (with the reason, if given).

    Refuses (naming the field) a person on no caseload that day, a move to the peer
    specialist who already supports them, and a start outside the new peer specialist's
    employment. Whether the move takes the new caseload over the pack's ratio is for the
    caller to show (`peerpath.staff.selectors.caseload_after_move`): the ratio rule warns,
    it does not forbid."""
    current = (
        CaseloadAssignment.objects.select_for_update()
        .filter(Q(end__isnull=True) | Q(end__gte=start), person=person, start__lte=start)
        .select_related("staff")
        .order_by("-start", "-pk")
        .first()
    )
    if current is None:
        raise ValidationError(
            {"person": f"The person is on no caseload on {fmt.day(start)}: assign them instead."}
        )
    if current.staff_id == to_staff.pk:
        raise ValidationError(
            {"staff": f"{to_staff.full_name} already supports this person: choose someone else."}
        )
    if to_staff.hire_date is not None and start < to_staff.hire_date:
        raise ValidationError(
            {"start": f"{to_staff.full_name} was hired on {fmt.day(to_staff.hire_date)}."}
        )
    if to_staff.end_date is not None and start > to_staff.end_date:
        raise ValidationError(
            {"staff": f"{to_staff.full_name} left the agency on {fmt.day(to_staff.end_date)}."}
        )
    return caseload_assign(
        actor=actor, staff=to_staff, person=person, start=start, reason=reason.strip()
    )


@transaction.atomic
def caseload_end(
    *, actor: Actor, assignment: CaseloadAssignment, end: dt.date
) -> CaseloadAssignment:
    assignment.end = end
    return save_record(assignment, actor=actor, action="end")


@transaction.atomic
def supervisor_contact_record(
    *,
    actor: Actor,
    supervisor: StaffMember,
    person: Person,
    date: dt.date,
    kind: str,
    summary: str = "",
) -> SupervisorContact:
    _require_role(supervisor, {Role.SUPERVISOR, Role.MHP}, "supervisor", "a supervisor or MHP")
    contact = SupervisorContact(
        supervisor=supervisor, person=person, date=date, kind=kind, summary=summary
    )
    return save_record(contact, actor=actor)


@transaction.atomic
def evaluation_record(
    *,
    actor: Actor,
    evaluator: StaffMember,
    person: Person,
    date: dt.date,
    summary: str = "",
) -> Evaluation:
    _require_role(evaluator, {Role.MHP, Role.SUPERVISOR}, "evaluator", "an MHP or supervisor")
    return save_record(
        Evaluation(evaluator=evaluator, person=person, date=date, summary=summary), actor=actor
    )
