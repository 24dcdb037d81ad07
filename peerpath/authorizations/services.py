"""Writes for prior-authorization requests and decisions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.services import Actor, save_record
from peerpath.organizations.models import Payer
from peerpath.people.models import Person
from peerpath.staff.models import Role, StaffMember

from .models import Authorization, AuthStatus


@transaction.atomic
def authorization_request(
    *,
    actor: Actor,
    person: Person,
    payer: Payer,
    units_requested: int,
    start: dt.date,
    end: dt.date,
    requested_at: dt.datetime,
    kind: str = "initial",
    urgency: str = "standard",
    procedure_code: str = "H0038",
) -> Authorization:
    request = Authorization(
        person=person,
        payer=payer,
        units_requested=units_requested,
        start=start,
        end=end,
        requested_at=requested_at,
        kind=kind,
        urgency=urgency,
        procedure_code=procedure_code,
    )
    return save_record(request, actor=actor)


@transaction.atomic
def authorization_decide(
    *,
    actor: Actor,
    authorization: Authorization,
    reviewer: StaffMember,
    status: str,
    decided_at: dt.datetime,
    units_approved: int | None = None,
    number: str = "",
    reason: str = "",
) -> Authorization:
    """Record the payer's decision. Denials and partial approvals need a specific reason."""
    auth = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if auth.status != AuthStatus.REQUESTED:
        raise ValidationError({"status": "This request has already been decided."})
    if status not in (AuthStatus.APPROVED, AuthStatus.PARTIAL, AuthStatus.DENIED):
        raise ValidationError({"status": "A decision is approved, partly approved or denied."})
    if reviewer.role != Role.UM_REVIEWER or reviewer.payer_id != auth.payer_id:
        raise ValidationError({"reviewer": "Only a UM reviewer of this payer can decide."})
    if decided_at < auth.requested_at:
        raise ValidationError({"decided_at": "A decision cannot come before the request."})
    auth.status = status
    auth.reviewer = reviewer
    auth.decided_at = decided_at
    auth.units_approved = None if status == AuthStatus.DENIED else units_approved
    auth.number = number or auth.number
    auth.reason = reason
    return save_record(auth, actor=actor, action=f"decide:{status}", reason=reason)
