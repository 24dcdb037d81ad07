"""Writes for people served and their clinical record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.services import Actor, save_record
from peerpath.organizations.models import Agency, Payer
from peerpath.staff.models import StaffMember

from .models import (
    Assessment,
    Diagnosis,
    Discharge,
    Episode,
    FamilyRelationship,
    OtherService,
    Person,
    ProgramEnrollment,
    ServiceOrder,
)

PERSON_EDITABLE = {
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "sex",
    "medicaid_id",
    "payer",
    "phone",
    "email",
    "address",
    "city",
    "state",
    "postal_code",
}


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    agency: Agency,
    payer: Payer,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    medicaid_id: str,
    **contact: Any,
) -> Person:
    unknown = set(contact) - PERSON_EDITABLE
    if unknown:
        raise ValidationError({f: "Not a field of a person's record." for f in sorted(unknown)})
    person = Person(
        agency=agency,
        payer=payer,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        medicaid_id=medicaid_id,
        **contact,
    )
    return save_record(person, actor=actor)


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **changes: Any) -> Person:
    unknown = set(changes) - PERSON_EDITABLE
    if unknown:
        raise ValidationError({f: "This field cannot be changed here." for f in sorted(unknown)})
    for name, value in changes.items():
        setattr(person, name, value)
    return save_record(person, actor=actor)


@transaction.atomic
def episode_open(
    *,
    actor: Actor,
    person: Person,
    start: dt.date,
    referral_source: str = "",
) -> Episode:
    if Episode.objects.filter(person=person, end__isnull=True).exists():
        raise ValidationError({"start": "The person already has an open episode of care."})
    return save_record(
        Episode(person=person, start=start, referral_source=referral_source), actor=actor
    )


@transaction.atomic
def person_discharge(
    *,
    actor: Actor,
    episode: Episode,
    date: dt.date,
    reason: str,
    transition_plan: str = "",
    natural_supports: str = "",
) -> Discharge:
    """Close an episode of care with the reason, the transition plan and natural supports."""
    if episode.end is not None:
        raise ValidationError({"episode": "This episode is already closed."})
    discharge = save_record(
        Discharge(
            episode=episode,
            date=date,
            reason=reason,
            transition_plan=transition_plan,
            natural_supports=natural_supports,
        ),
        actor=actor,
    )
    episode.end = date
    save_record(episode, actor=actor, action="close")
    return discharge


@transaction.atomic
def program_enrollment_add(
    *,
    actor: Actor,
    person: Person,
    program: str,
    start: dt.date,
    end: dt.date | None = None,
    provider_name: str = "",
) -> ProgramEnrollment:
    enrollment = ProgramEnrollment(
        person=person, program=program, start=start, end=end, provider_name=provider_name
    )
    return save_record(enrollment, actor=actor)


@transaction.atomic
def other_service_add(
    *,
    actor: Actor,
    person: Person,
    category: str,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    procedure_code: str = "",
    provider_name: str = "",
) -> OtherService:
    service = OtherService(
        person=person,
        category=category,
        date=date,
        start_time=start_time,
        end_time=end_time,
        procedure_code=procedure_code,
        provider_name=provider_name,
    )
    return save_record(service, actor=actor)


@transaction.atomic
def diagnosis_add(
    *,
    actor: Actor,
    person: Person,
    code: str,
    start: dt.date,
    is_primary: bool = False,
    diagnosed_by: str = "",
    end: dt.date | None = None,
) -> Diagnosis:
    """Record an ICD-10-CM diagnosis; the code must be a billable code of the real code set.
    A new primary diagnosis makes the others secondary."""
    diagnosis = Diagnosis(
        person=person,
        code=code,
        start=start,
        end=end,
        is_primary=is_primary,
        diagnosed_by=diagnosed_by,
    )
    diagnosis.full_clean()
    if is_primary:
        for other in Diagnosis.objects.filter(person=person, is_primary=True):
            other.is_primary = False
            save_record(other, actor=actor)
    return save_record(diagnosis, actor=actor)


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    person: Person,
    date: dt.date,
    author_name: str,
    author_credential: str,
    medical_necessity: bool,
    needs_areas: list[str],
    no_equally_effective_alternative: bool = True,
    summary: str = "",
) -> Assessment:
    assessment = Assessment(
        person=person,
        date=date,
        author_name=author_name,
        author_credential=author_credential,
        medical_necessity=medical_necessity,
        needs_areas=list(needs_areas),
        no_equally_effective_alternative=no_equally_effective_alternative,
        summary=summary,
    )
    return save_record(assessment, actor=actor)


@transaction.atomic
def service_order_record(
    *,
    actor: Actor,
    person: Person,
    signed_by: str,
    credential: str,
    signed_on: dt.date,
    procedure_code: str = "H0038",
) -> ServiceOrder:
    order = ServiceOrder(
        person=person,
        signed_by=signed_by,
        credential=credential,
        signed_on=signed_on,
        procedure_code=procedure_code,
    )
    return save_record(order, actor=actor)


@transaction.atomic
def family_relationship_add(
    *,
    actor: Actor,
    person: Person,
    staff: StaffMember,
    relationship: str,
) -> FamilyRelationship:
    relation = FamilyRelationship(person=person, staff=staff, relationship=relationship)
    return save_record(relation, actor=actor)
