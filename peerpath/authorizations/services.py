"""Writes for prior-authorization requests and decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peerpath.core.services import Actor, save_record
from peerpath.organizations.models import Payer
from peerpath.people.models import Person
from peerpath.policy.api import check_request, figure
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


@dataclass(frozen=True)
class RequestDraft:
    """What a provider fills in to ask the payer for an authorization."""

    kind: str  # "initial" or "concurrent" (continued stay)
    urgency: str  # "standard" or "expedited"
    units_requested: int
    start: dt.date
    end: dt.date
    provider_note: str = ""


def _refuse(field: str, message: str) -> None:
    raise ValidationError({field: message})


@transaction.atomic
def authorization_send(
    *,
    actor: Actor,
    person: Person,
    requester: StaffMember,
    draft: RequestDraft,
    now: dt.datetime,
) -> Authorization:
    """Send a request from the provider's chart to the person's payer, with the records the
    pack asks for attached: the latest CCA and service order, the plan in force and, for a
    continued stay, the signed notes of the pack's look-back period. The engine checks the
    request first (`check_request`); a criterion with no record to judge it stops the send,
    naming what to add. Criteria judged "not met" do not: the reviewer decides."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.payer_id is None:
        _refuse("payer", "This person has no Medicaid payer on file: add it before asking.")
    if draft.kind not in ("initial", "concurrent"):
        _refuse("kind", "A request is initial or for a continued stay.")
    if draft.urgency not in ("standard", "expedited"):
        _refuse("urgency", "A request is standard or expedited.")
    if draft.urgency == "expedited" and not draft.provider_note.strip():
        _refuse(
            "provider_note",
            "Say why waiting the standard time could harm the person's health or recovery.",
        )
    if draft.units_requested < 1:
        _refuse("units_requested", "Ask for at least one unit.")
    if draft.end < draft.start:
        _refuse("end", "The last day comes on or after the first day.")
    pending = person.authorizations.filter(
        status=AuthStatus.REQUESTED, start__lte=draft.end, end__gte=draft.start
    ).first()
    if pending is not None:
        _refuse(
            "start",
            f"A request for {pending.start:%m/%d/%Y} to {pending.end:%m/%d/%Y} is already "
            "waiting for the payer's decision: wait for it, or withdraw it first.",
        )
    today = timezone.localtime(now).date()
    check = check_request(
        person.pk, kind=draft.kind, start=draft.start, end=draft.end, requested_on=today
    )
    if check.pack_id is None:
        _refuse("start", "No policy judges this person on the first day asked for.")
    if check.missing:
        names = "; ".join(f"{c.title} ({c.evidence})" for c in check.missing)
        _refuse("__all__", f"Add these records before sending the request: {names}.")
    assessment = person.assessments.filter(date__lte=draft.start).order_by("-date", "-pk").first()
    order = person.service_orders.filter(signed_on__lte=draft.start).order_by("-signed_on").first()
    plan = (
        person.plans.exclude(status="draft")
        .filter(start__lte=draft.start)
        .order_by("-version")
        .first()
    )
    auth = Authorization(
        person=person,
        payer_id=person.payer_id,
        kind=draft.kind,
        urgency=draft.urgency,
        units_requested=draft.units_requested,
        start=draft.start,
        end=draft.end,
        requested_at=now,
        requested_by=requester,
        provider_note=draft.provider_note.strip(),
        assessment=assessment,
        service_order=order,
        plan=plan,
    )
    auth = save_record(auth, actor=actor, action="request")
    if draft.kind == "concurrent":
        lookback = figure(person.pk, "continued_stay.progress_lookback_days", draft.start)
        # The pack's look-back period; a pack that states none asks for no progress notes.
        if lookback is not None and isinstance(lookback.value, int):
            since = draft.start - dt.timedelta(days=lookback.value)
            auth.progress_notes.set(
                person.notes.filter(status="signed", date__gte=since, date__lt=draft.start)
            )
    return auth
