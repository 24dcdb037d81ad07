"""The API's operations. Each declares its capability (`@requires`), reaches only people in
the owner's scope (`person_in_scope`: 404 otherwise) and logs what it shows (`phi`). Writes
go through the same service functions as the pages.

(No `from __future__ import annotations` here: django-ninja reads the annotations of the
decorated functions, whose globals are those of peerpath.api.security.)
"""

from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Query, Router, Status

from peerpath.access.capabilities import Cap
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.authorizations.models import Authorization
from peerpath.authorizations.services import (
    RequestDraft,
    authorization_decide,
    authorization_send,
)
from peerpath.people.models import Person
from peerpath.people.selectors import people_list
from peerpath.plans.models import Intervention, Plan
from peerpath.policy.api import Finding, authorization_units, check_note
from peerpath.services.models import ServiceNote
from peerpath.services.selectors import plan_choices
from peerpath.services.services import note_create, note_sign
from peerpath.services.signing import episodes_of, refusals

from . import fhir, pas, phi
from .schemas import (
    AuthorizationOut,
    AuthorizationRequestIn,
    CheckOut,
    DecisionIn,
    DiagnosisOut,
    NoteIn,
    NoteOut,
    NotePage,
    PersonDetail,
    PersonPage,
    PlanOut,
    Problem,
    SignIn,
    TokenInfo,
)
from .security import ApiError, not_found, person_in_scope, requires, token_capabilities, token_of

router = Router()

# The answers every operation may give besides its own (documented in the OpenAPI).
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}
READ_ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}

_CURSOR_SALT = "peerpath.api.cursor"


def _cursor_after(cursor: str | None) -> int:
    """The last id of the previous page (0 for the first page)."""
    if not cursor:
        return 0
    try:
        value = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature:
        raise ApiError(
            422,
            "Invalid request",
            errors=[{"field": "cursor", "message": "Not a cursor this API gave."}],
        ) from None
    if not isinstance(value, int) or value < 0:
        raise ApiError(
            422, "Invalid request", errors=[{"field": "cursor", "message": "Bad cursor."}]
        )
    return value


def _page(qs: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination by id: stable while records are added."""
    rows = list(qs.filter(pk__gt=_cursor_after(cursor)).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = signing.dumps(rows[-1].pk, salt=_CURSOR_SALT) if more and rows else None
    return rows, nxt


def _payer(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "name": p.name, "payer_id": p.payer_id}


def _person_summary(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "display_name": p.display_name,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "medicaid_id": p.medicaid_id,
        "payer": _payer(p.payer),
    }


# ---- the token itself -------------------------------------------------------------------


@router.get("/me", response={200: TokenInfo, **ERRORS}, tags=["tokens"])
@requires("token")
def me(request: HttpRequest) -> dict[str, Any]:
    """The token in use: whose it is, what it may do, when it expires. No PHI."""
    token = token_of(request)
    return {
        "name": token.name,
        "prefix": token.prefix,
        "capabilities": sorted(c.value for c in token_capabilities(token)),
        "expires_at": token.expires_at,
        "user": token.user.get_username(),
    }


# ---- people ------------------------------------------------------------------------------


@router.get("/people", response={200: PersonPage, **READ_ERRORS}, tags=["people"])
@requires(Cap.SEARCH_PEOPLE)
def people_search(
    request: HttpRequest,
    q: str = Query("", max_length=80, description="Words of a name, or a Medicaid ID."),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """The people in your scope whose name or Medicaid ID matches `q`, by id, a page at a
    time. The search words are not logged (they may be names); the search is."""
    qs = people_list(people_visible_to(request.user), search=q.strip())
    rows, nxt = _page(qs, cursor, limit)
    phi.log_search(request, "people.Person")
    return {"items": [_person_summary(p) for p in rows], "next_cursor": nxt}


@router.get("/people/{person_id}", response={200: PersonDetail, **READ_ERRORS}, tags=["people"])
@requires(Cap.READ_PERSON)
def person_read(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """A person's record: demographics, coverage and diagnoses."""
    person = person_in_scope(request, person_id)
    diagnoses = list(person.diagnoses.order_by("-is_primary", "start", "pk"))
    hidden = phi.part2_hidden(request, person, "diagnosis", [d.pk for d in diagnoses], "payment")
    phi.log_read(request, person, "people.Person")
    return {
        **_person_summary(person),
        "preferred_name": person.preferred_name,
        "pronouns": person.pronouns,
        "sex": person.sex,
        "coverage": {"payer": _payer(person.payer), "medicaid_id": person.medicaid_id},
        "diagnoses": [
            DiagnosisOut.model_validate(d, from_attributes=True)
            for d in diagnoses
            if d.pk not in hidden
        ],
        "part2_withheld": bool(hidden),
    }


# ---- plans -------------------------------------------------------------------------------


def _plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "version": plan.version,
        "status": plan.status,
        "start": plan.start,
        "review_due": plan.review_due,
        "strengths": plan.strengths,
        "goals": [
            {
                "id": g.pk,
                "order": g.order,
                "own_words": g.own_words,
                "whole_health_factor": g.whole_health_factor,
                "status": g.status,
                "objectives": [
                    {"id": o.pk, "description": o.description, "target_date": o.target_date}
                    for o in g.objectives.all()
                ],
                "interventions": [
                    {
                        "id": i.pk,
                        "activity": i.activity,
                        "description": i.description,
                        "frequency": i.frequency,
                    }
                    for i in g.interventions.all()
                ],
            }
            for g in plan.goals.all()
        ],
    }


@router.get(
    "/people/{person_id}/plans", response={200: list[PlanOut], **READ_ERRORS}, tags=["plans"]
)
@requires(Cap.READ_PLAN)
def plans_read(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    """Every version of the person's plan, newest first, with goals, objectives and
    interventions. Staff of a payer see no drafts, and Part 2 plans only under consent."""
    person = person_in_scope(request, person_id)
    plans = list(
        Plan.objects.filter(person=person)
        .prefetch_related("goals__objectives", "goals__interventions")
        .order_by("-version")
    )
    if phi.payer_staff_payer(request) is not None:
        plans = [p for p in plans if p.status != "draft"]
    hidden = phi.part2_hidden(request, person, "plan", [p.pk for p in plans], "operations")
    shown = [p for p in plans if p.pk not in hidden]
    for p in shown:
        phi.log_read(request, person, "plans.Plan", p.pk)
    if not shown:
        phi.log_read(request, person, "plans.Plan", "")
    return [_plan_out(p) for p in shown]


# ---- notes -------------------------------------------------------------------------------


def _note_out(request: HttpRequest, n: ServiceNote) -> dict[str, Any]:
    narratives = Cap.READ_NARRATIVES in token_capabilities(token_of(request))
    data: dict[str, Any] = {
        "id": n.pk,
        "person_id": n.person_id,
        "staff_id": n.staff_id,
        "date": n.date,
        "start_time": n.start_time.isoformat("seconds"),
        "end_time": n.end_time.isoformat("seconds"),
        "minutes": n.minutes,
        "kind": n.kind,
        "modality": n.modality,
        "setting": n.setting,
        "activity": n.activity,
        "goal_id": n.goal_id,
        "intervention_id": n.intervention_id,
        "status": n.status,
        "signed_at": n.signed_at,
    }
    for name in ("intervention_text", "purpose", "response", "next_steps"):
        data[name] = getattr(n, name) if narratives else None
    return data


@router.get("/people/{person_id}/notes", response={200: NotePage, **READ_ERRORS}, tags=["notes"])
@requires(Cap.READ_NOTE)
def notes_list(
    request: HttpRequest,
    person_id: int,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """The person's service notes, by id, a page at a time."""
    person = person_in_scope(request, person_id)
    rows, nxt = _page(ServiceNote.objects.filter(person=person), cursor, limit)
    hidden = phi.part2_hidden(request, person, "note", [n.pk for n in rows], "operations")
    shown = [n for n in rows if n.pk not in hidden]
    phi.log_read(request, person, "services.ServiceNote", "")
    return {"items": [_note_out(request, n) for n in shown], "next_cursor": nxt}


def _note_in_scope(request: HttpRequest, note_id: int) -> ServiceNote:
    note = ServiceNote.objects.select_related("person").filter(pk=note_id).first()
    if note is None or not people_visible_to(request.user).filter(pk=note.person_id).exists():
        raise not_found("note")
    if phi.part2_hidden(request, note.person, "note", [note.pk], "operations"):
        raise not_found("note")
    return note


@router.get("/notes/{note_id}", response={200: NoteOut, **READ_ERRORS}, tags=["notes"])
@requires(Cap.READ_NOTE)
def note_read(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """One service note."""
    note = _note_in_scope(request, note_id)
    phi.log_read(request, note.person, "services.ServiceNote", note.pk)
    return _note_out(request, note)


def _author(request: HttpRequest) -> Any:
    staff = staff_of(request.user)
    if staff is None:
        raise ApiError(403, "Not allowed", "Notes are written by staff with a staff record.")
    return staff


def _intervention(person: Person, intervention_id: int) -> Intervention:
    _, choices = plan_choices(person, on=timezone.localdate())
    for choice in choices:
        for i in choice.interventions:
            if i.pk == intervention_id:
                return i
    raise ApiError(
        422,
        "Invalid request",
        errors=[
            {
                "field": "intervention_id",
                "message": "Not an intervention of the person's current plan.",
            }
        ],
    )


def _draft_row(person: Person, staff: Any, body: NoteIn, i: Intervention) -> dict[str, object]:
    return {
        "person_id": person.pk,
        "staff_id": staff.pk,
        "date": body.date,
        "start_min": body.start_time.hour * 60 + body.start_time.minute,
        "end_min": body.end_time.hour * 60 + body.end_time.minute,
        "modality": body.modality,
        "setting": body.setting,
        "kind": "individual",
        "activity": i.activity,
        "goal_id": i.goal_id,
        "intervention_id": i.pk,
        "goal_plan_id": i.goal.plan_id,
        "status": "draft",
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": f.severity,
        "category": f.category,
        "title": f.title,
        "explanation": f.explanation,
        "fix": f.fix,
        "citation": f.citation.short(),
        "assumed": f.assumed,
    }


@router.post("/people/{person_id}/notes/check", response={200: CheckOut, **ERRORS}, tags=["notes"])
@requires(Cap.WRITE_NOTE)
def note_check(request: HttpRequest, person_id: int, body: NoteIn) -> dict[str, Any]:
    """The live check of a note before it is saved: the policy engine's findings, exactly
    as the note page shows them. Nothing is saved."""
    person = person_in_scope(request, person_id)
    staff = _author(request)
    i = _intervention(person, body.intervention_id)
    if body.end_time <= body.start_time:
        raise ApiError(
            422,
            "Invalid request",
            errors=[{"field": "end_time", "message": "The end comes after the start."}],
        )
    checked = check_note(
        _draft_row(person, staff, body, i), as_of=max(body.date, timezone.localdate())
    )
    findings = checked.relevant()
    refused = refusals(
        body.model_dump(), today=timezone.localdate(), episodes=episodes_of(person.pk)
    )
    phi.log_read(request, person, "policy.Finding")
    return {
        "allowed_to_sign": not refused and not any(f.severity == "deny" for f in findings),
        "refusals": [{"field": r.field, "message": r.text} for r in refused],
        "findings": [_finding(f) for f in findings],
    }


@router.post("/people/{person_id}/notes", response={201: NoteOut, **ERRORS}, tags=["notes"])
@requires(Cap.WRITE_NOTE)
def note_create_draft(request: HttpRequest, person_id: int, body: NoteIn) -> Status:
    """Save a draft note written by the token's owner (a peer specialist)."""
    person = person_in_scope(request, person_id)
    staff = _author(request)
    i = _intervention(person, body.intervention_id)
    note = note_create(
        actor=request.user,
        person=person,
        staff=staff,
        date=body.date,
        start_time=body.start_time,
        end_time=body.end_time,
        activity=i.activity,
        goal=i.goal,
        intervention=i,
        modality=body.modality,
        setting=body.setting,
        intervention_text=body.intervention_text,
        purpose=body.purpose,
        response=body.response,
        next_steps=body.next_steps,
    )
    return Status(201, _note_out(request, note))


@router.post("/notes/{note_id}/sign", response={200: NoteOut, **ERRORS}, tags=["notes"])
@requires(Cap.SIGN_NOTE)
def note_sign_draft(request: HttpRequest, note_id: int, body: SignIn) -> dict[str, Any]:
    """Sign one's own draft note, with the same checks as the page: what signing refuses
    must be fixed first, and a note the policy engine would deny is signed only with a
    `sign_reason` (it then goes to the supervisor's review)."""
    note = _note_in_scope(request, note_id)
    staff = _author(request)
    with transaction.atomic():
        signed = note_sign(
            actor=request.user,
            note=note,
            signer=staff,
            at=timezone.now(),
            sign_reason=body.sign_reason,
        )
    return _note_out(request, signed)


# ---- authorizations ------------------------------------------------------------------------


def _auth_out(a: Authorization, used: int | None, left: int | None) -> dict[str, Any]:
    return {
        "id": a.pk,
        "person_id": a.person_id,
        "payer": _payer(a.payer),
        "number": a.number,
        "kind": a.kind,
        "urgency": a.urgency,
        "procedure_code": a.procedure_code,
        "requested_at": a.requested_at,
        "units_requested": a.units_requested,
        "start": a.start,
        "end": a.end,
        "status": a.status,
        "units_approved": a.units_approved,
        "units_used": used,
        "units_left": left,
        "decided_at": a.decided_at,
        "reason": a.reason,
    }


@router.get(
    "/people/{person_id}/authorizations",
    response={200: list[AuthorizationOut], **READ_ERRORS},
    tags=["authorizations"],
)
@requires(Cap.READ_AUTHORIZATION)
def authorizations_read(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    """The person's authorizations and requests, with units used and left (counted by the
    policy engine)."""
    person = person_in_scope(request, person_id)
    auths = list(person.authorizations.select_related("payer").order_by("-start", "-pk"))
    payer = phi.payer_staff_payer(request)
    if payer is not None:
        auths = [a for a in auths if a.payer_id == payer.pk]
    units = authorization_units([a.pk for a in auths], on=timezone.localdate())
    phi.log_read(request, person, "authorizations.Authorization", "")
    out = []
    for a in auths:
        u = units.get(a.pk)
        out.append(_auth_out(a, u.used if u else None, u.left if u else None))
    return out


@router.post(
    "/people/{person_id}/authorizations",
    response={201: AuthorizationOut, **ERRORS},
    tags=["authorizations"],
)
@requires(Cap.REQUEST_AUTHORIZATION)
def authorization_request_create(
    request: HttpRequest, person_id: int, body: AuthorizationRequestIn
) -> Status:
    """Send a request for prior authorization of peer support to the person's payer, as
    from the chart: the policy engine checks it first, and a criterion with no record to
    judge it stops the send, naming what to add (422). The latest assessment, service order,
    plan and, for a continued stay, the recent signed notes go with it."""
    person = person_in_scope(request, person_id)
    requester = _author(request)
    auth = authorization_send(
        actor=request.user,
        person=person,
        requester=requester,
        draft=RequestDraft(
            kind=body.kind,
            urgency=body.urgency,
            units_requested=body.units_requested,
            start=body.start,
            end=body.end,
            provider_note=body.provider_note,
        ),
        now=timezone.now(),
    )
    return Status(201, _auth_out(auth, None, None))


@router.post(
    "/authorizations/{authorization_id}/decision",
    response={200: AuthorizationOut, **ERRORS},
    tags=["authorizations"],
)
@requires(Cap.DECIDE_AUTHORIZATION)
def authorization_decision(
    request: HttpRequest, authorization_id: int, body: DecisionIn
) -> dict[str, Any]:
    """Decide a request before your payer (the payer's utilization reviewer)."""
    reviewer = staff_of(request.user)
    if reviewer is None or reviewer.payer_id is None:
        raise not_found("authorization request")
    auth = (
        Authorization.objects.select_related("payer", "person")
        .filter(pk=authorization_id, payer_id=reviewer.payer_id)
        .first()
    )
    if auth is None or not people_visible_to(request.user).filter(pk=auth.person_id).exists():
        raise not_found("authorization request")
    decided = authorization_decide(
        actor=request.user,
        authorization=auth,
        reviewer=reviewer,
        status=body.status,
        decided_at=timezone.now(),
        units_approved=body.units_approved,
        number=body.number,
        reason=body.reason,
    )
    return _auth_out(decided, None, None)


# ---- FHIR --------------------------------------------------------------------------------


@router.get(
    "/people/{person_id}/fhir", response={200: dict[str, Any], **READ_ERRORS}, tags=["fhir"]
)
@requires(Cap.EXPORT_RECORDS)
def person_fhir(
    request: HttpRequest,
    person_id: int,
    purpose: str = Query(
        "payment", pattern="^(treatment|payment|operations)$", description="Why it is sent."
    ),
) -> dict[str, Any]:
    """The person's record as a FHIR R4 Bundle (collection) for the person's payer. Records
    under 42 CFR Part 2 are in it only under the person's consent to the payer for this
    purpose, then with security labels; the export is added to the accounting of
    disclosures."""
    person = person_in_scope(request, person_id)
    export = fhir.person_resources(person, purpose=purpose)
    phi.log_export(request, person, export, purpose)
    return fhir.bundle(export.resources)


@router.get(
    "/authorizations/{authorization_id}/fhir",
    response={200: dict[str, Any], **READ_ERRORS},
    tags=["fhir", "authorizations"],
)
@requires(Cap.READ_AUTHORIZATION)
def authorization_fhir(request: HttpRequest, authorization_id: int) -> dict[str, Any]:
    """The request as a Da Vinci PAS-shaped Bundle (Claim with use = preauthorization,
    Patient, Coverage), and the payer's ClaimResponse once decided."""
    auth = (
        Authorization.objects.select_related("person__agency", "person__payer", "payer")
        .filter(pk=authorization_id, person__in=people_visible_to(request.user))
        .first()
    )
    payer = phi.payer_staff_payer(request)
    if auth is None or (payer is not None and auth.payer_id != payer.pk):
        raise not_found("authorization")
    phi.log_read(request, auth.person, "authorizations.Authorization", auth.pk)
    data = fhir.pas_request_bundle(auth)
    response = fhir.pa_response(auth)
    if response is not None:
        data["entry"].append({"fullUrl": f"urn:uuid:{response['id']}", "resource": response})
    return data


@router.post(
    "/authorizations/pas",
    response={201: dict[str, Any], **ERRORS},
    tags=["fhir", "authorizations"],
)
@requires(Cap.REQUEST_AUTHORIZATION)
def authorization_pas_receive(
    request: HttpRequest,
    bundle: dict[str, Any] = Body(  # noqa: B008  (django-ninja's way to say "the body")
        ...,
        description="A Da Vinci PAS-shaped FHIR R4 Bundle: one Claim with use = "
        "preauthorization and the Patient it points to (see docs/api.md).",
    ),
) -> Status:
    """Receive a request for prior authorization as a Da Vinci PAS-shaped Bundle, from
    another system acting for you: it is checked (FHIR R4 with fhir.resources, then the
    patient by Medicaid ID in your scope, HCPCS H0038, units and dates), then sent to the
    person's payer as from the chart, the policy engine checking it first. Every problem is
    named by its element; nothing is written unless all is well. The answer is a Bundle
    whose first entry is the ClaimResponse: `queued` until the payer's reviewer decides
    (read it again at /authorizations/{id}/fhir)."""
    received = pas.read_request(bundle, people_visible_to(request.user))
    requester = _author(request)
    try:
        auth = authorization_send(
            actor=request.user,
            person=received.person,
            requester=requester,
            draft=received.draft,
            now=timezone.now(),
        )
    except ValidationError as exc:
        raise pas.refused(exc) from None
    auth = Authorization.objects.select_related("person__agency", "person__payer", "payer").get(
        pk=auth.pk
    )
    phi.log_read(request, auth.person, "authorizations.Authorization", auth.pk)
    return Status(
        201,
        fhir.bundle(
            [fhir.pa_answer(auth), fhir.pa_claim(auth), fhir.patient(auth.person)],
            kind="collection",
        ),
    )
