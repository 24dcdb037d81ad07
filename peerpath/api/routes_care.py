"""The API's operations for group sessions, the policy engine's findings and outcome
measures. Same rules as peerpath.api.routes: each declares its capability, reaches only what
the pages would show the token's owner (404 otherwise), logs every read of PHI, applies
42 CFR Part 2 for staff of a payer, and writes through the service functions.

(No `from __future__ import annotations`: django-ninja reads the annotations.)
"""

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Status

from peerpath.access.capabilities import Cap, has
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.consent.services import active_consent
from peerpath.core import codes
from peerpath.outcomes.models import Administration
from peerpath.outcomes.services import administration_enter
from peerpath.people.models import Person
from peerpath.policy.api import Finding, check_person
from peerpath.services.models import GroupAttendance, GroupSession, ServiceNote
from peerpath.services.selectors import group_for_page, supervisees_of
from peerpath.services.services import group_check_in_people, group_session_create
from peerpath.staff.models import Role, StaffMember

from . import phi
from .routes import ERRORS, READ_ERRORS, _author, _cursor_after, _finding, _page, router
from .schemas import (
    CheckInIn,
    FindingPage,
    GroupIn,
    GroupOut,
    GroupPage,
    MeasureIn,
    MeasureOut,
    MeasurePage,
)
from .security import ApiError, not_found, person_in_scope, requires, token_capabilities, token_of

ATTENDANCE_RECORD = "services.GroupAttendance"

# ---- group sessions ----------------------------------------------------------------------


def _groups_visible(request: HttpRequest) -> QuerySet[GroupSession]:
    """The sessions the group page would open for this user: those they lead, and, for a
    supervisor, those a supervisee leads; of their own agency."""
    me = staff_of(request.user)
    if me is None or me.agency_id is None:
        return GroupSession.objects.none()
    leaders = {me.pk}
    if has(request.user, Cap.SUPERVISE):
        leaders |= set(supervisees_of(me, on=timezone.localdate()).values_list("pk", flat=True))
    return GroupSession.objects.filter(agency_id=me.agency_id, facilitators__in=leaders).distinct()


def _narratives(request: HttpRequest) -> bool:
    return Cap.READ_NARRATIVES in token_capabilities(token_of(request))


def _group_out(
    request: HttpRequest, s: GroupSession, facilitators: list[int], count: int
) -> dict[str, Any]:
    return {
        "id": s.pk,
        "topic": s.topic,
        "date": s.date,
        "start_time": s.start_time.isoformat("seconds"),
        "end_time": s.end_time.isoformat("seconds"),
        "modality": s.modality,
        "setting": s.setting,
        "activity": s.activity,
        "facilitator_ids": facilitators,
        "attendee_count": count,
        "attendees": None,
        "shared_narrative": s.shared_narrative if _narratives(request) else None,
    }


@router.get("/groups", response={200: GroupPage, **READ_ERRORS}, tags=["groups"])
@requires(Cap.READ_GROUP)
def groups_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """The group sessions you lead (a supervisor: and those your team leads), by id, a page
    at a time. Lists name no attendee; read one group for those in your scope."""
    rows, nxt = _page(_groups_visible(request), cursor, limit)
    ids = [s.pk for s in rows]
    leads: dict[int, list[int]] = {}
    for sid, fid in GroupSession.facilitators.through.objects.filter(
        groupsession_id__in=ids
    ).values_list("groupsession_id", "staffmember_id"):
        leads.setdefault(sid, []).append(fid)
    counts: dict[int, int] = {}
    for sid in GroupAttendance.objects.filter(session_id__in=ids).values_list(
        "session_id", flat=True
    ):
        counts[sid] = counts.get(sid, 0) + 1
    phi.log_search(request, "services.GroupSession")
    return {
        "items": [
            _group_out(request, s, sorted(leads.get(s.pk, [])), counts.get(s.pk, 0)) for s in rows
        ],
        "next_cursor": nxt,
    }


def _group_in_scope(request: HttpRequest, session_id: int) -> GroupSession:
    session = _groups_visible(request).filter(pk=session_id).first()
    if session is None:
        raise not_found("group")
    return session


def _group_detail(request: HttpRequest, session_id: int) -> dict[str, Any]:
    page = group_for_page(session_id)
    if page is None:
        raise not_found("group")
    visible = set(
        people_visible_to(request.user)
        .filter(pk__in=[a.person_id for a in page.attendances])
        .values_list("pk", flat=True)
    )
    shown = [a for a in page.attendances if a.person_id in visible]
    for a in shown:
        phi.log_read(request, a.person, ATTENDANCE_RECORD, a.pk)
    out = _group_out(
        request, page.session, [f.pk for f in page.facilitators], len(page.attendances)
    )
    attendees = []
    for a in shown:
        note: ServiceNote | None = page.notes.get(a.person_id)
        attendees.append(
            {
                "person_id": a.person_id,
                "display_name": a.person.display_name,
                "checked_in_at": a.checked_in_at,
                "note_id": note.pk if note is not None else None,
                "note_status": note.status if note is not None else None,
            }
        )
    out["attendees"] = attendees
    return out


@router.get("/groups/{session_id}", response={200: GroupOut, **READ_ERRORS}, tags=["groups"])
@requires(Cap.READ_GROUP)
def group_read(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """One group session with the attendees in your scope and their notes' status."""
    session = _group_in_scope(request, session_id)
    return _group_detail(request, session.pk)


def _colleagues(me: StaffMember, ids: list[int]) -> list[StaffMember]:
    wanted = sorted(set(ids) - {me.pk})
    found = list(
        StaffMember.objects.filter(pk__in=wanted, agency=me.agency, role=Role.CPSS).exclude(
            end_date__lt=timezone.localdate()
        )
    )
    if len(found) != len(wanted):
        raise ApiError(
            422,
            "Invalid request",
            errors=[
                {
                    "field": "co_facilitator_ids",
                    "message": "Not a peer specialist of your agency employed today.",
                }
            ],
        )
    return found


@router.post("/groups", response={201: GroupOut, **ERRORS}, tags=["groups"])
@requires(Cap.WRITE_GROUP)
def group_create(request: HttpRequest, body: GroupIn) -> Status:
    """Start a group session that you lead (with co-facilitators of your agency), as from
    the day page. Check people in next."""
    me = _author(request)
    if me.agency is None:
        raise ApiError(403, "Not allowed", "Groups are led by staff of an agency.")
    session = group_session_create(
        actor=request.user,
        agency=me.agency,
        topic=body.topic,
        date=body.date,
        start_time=body.start_time,
        end_time=body.end_time,
        modality=body.modality,
        setting=body.setting,
        activity=body.activity,
        facilitators=[me, *_colleagues(me, body.co_facilitator_ids)],
    )
    return Status(201, _group_detail(request, session.pk))


@router.post("/groups/{session_id}/attendees", response={200: GroupOut, **ERRORS}, tags=["groups"])
@requires(Cap.WRITE_GROUP)
def group_attendees_add(request: HttpRequest, session_id: int, body: CheckInIn) -> dict[str, Any]:
    """Check people in (people of your scope at the group's agency): all of them, or, on
    any problem, none. Only a facilitator of the group checks people in."""
    session = _group_in_scope(request, session_id)
    me = _author(request)
    if not session.facilitators.filter(pk=me.pk).exists():
        raise ApiError(403, "Not allowed", "Only a facilitator of this group checks people in.")
    wanted = list(dict.fromkeys(body.person_ids))
    people = list(
        people_visible_to(request.user).filter(pk__in=wanted, agency_id=session.agency_id)
    )
    if len(people) != len(wanted):
        raise ApiError(
            422,
            "Invalid request",
            errors=[{"field": "person_ids", "message": "Not a person you may check in."}],
        )
    by_id = {p.pk: p for p in people}
    group_check_in_people(
        actor=request.user,
        session=session,
        people=[by_id[pk] for pk in wanted],
        at=timezone.now(),
    )
    return _group_detail(request, session.pk)


# ---- findings ----------------------------------------------------------------------------

_CODE = re.compile(r"\bF1[0-9]\.[0-9A-Z]{1,4}\b|\bF1[0-9]\b")


def _names_sud_code(text: str) -> bool:
    return any(codes.diagnosis_category(m) == "SUD" for m in _CODE.findall(text or ""))


def _findings_shown(request: HttpRequest, person: Person, found: list[Finding]) -> list[Finding]:
    """Findings about the person; for staff of a payer, none about a Part 2 record (or
    naming a substance use code) without the person's consent."""
    found = [f for f in found if f.person_id == person.pk]
    if phi.payer_staff_payer(request) is None:
        return found
    hidden: set[tuple[str, int]] = set()
    for kind in ("note", "plan", "diagnosis"):
        ids = [f.subject_id for f in found if f.subject_type == kind]
        hidden |= {(kind, pk) for pk in phi.part2_hidden(request, person, kind, ids, "operations")}
    payer = phi.payer_staff_payer(request)
    sud_consent = (
        active_consent(person, payer=payer, purpose="operations", on=timezone.localdate())
        is not None
    )
    return [
        f
        for f in found
        if (f.subject_type, f.subject_id) not in hidden
        and (sud_consent or not _names_sud_code(f.evidence))
    ]


@router.get(
    "/people/{person_id}/findings", response={200: FindingPage, **READ_ERRORS}, tags=["findings"]
)
@requires(Cap.READ_FINDINGS)
def findings_read(
    request: HttpRequest,
    person_id: int,
    severity: str = Query("", pattern="^(|deny|warn|info)$", description="Only this severity."),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """The policy engine's findings about the person's whole record today (each day judged
    by the pack in force on it), denials first, a page at a time. They come from the engine
    itself (`check_person`), as on the team board and in the auditor's workspace."""
    from django.core import signing

    from .routes import _CURSOR_SALT

    person = person_in_scope(request, person_id)
    findings = check_person(person.pk, as_of=timezone.localdate())
    if severity:
        findings = findings.severity(severity)
    ordered = sorted(
        findings.sorted().objects(), key=lambda f: {"deny": 0, "warn": 1}.get(f.severity, 2)
    )
    shown = _findings_shown(request, person, ordered)
    start = _cursor_after(cursor)
    rows = shown[start : start + limit]
    more = start + limit < len(shown)
    phi.log_read(request, person, "policy.Finding")
    return {
        "items": [
            {
                **_finding(f),
                "subject_type": f.subject_type,
                "subject_id": f.subject_id,
                "date": f.date,
                "evidence": f.evidence,
                "pack_id": f.pack_id,
            }
            for f in rows
        ],
        "next_cursor": signing.dumps(start + limit, salt=_CURSOR_SALT) if more else None,
    }


# ---- outcome measures --------------------------------------------------------------------


def _measure_out(a: Administration) -> dict[str, Any]:
    domains = (a.scores or {}).get("domains", {}) if isinstance(a.scores, dict) else {}
    return {
        "id": a.pk,
        "person_id": a.person_id,
        "instrument": a.instrument,
        "occasion": a.occasion,
        "date": a.date,
        "status": a.status,
        "mode": a.mode,
        "total": a.total,
        "reached": a.reached,
        "domain_means": {
            str(k): (v.get("mean") if isinstance(v, dict) else None) for k, v in domains.items()
        },
        "units_before": a.units_before,
        "staff_id": a.staff_id,
        "answers": [
            {"item": x.item, "value": x.value, "not_applicable": x.not_applicable}
            for x in a.answers.all()
        ],
    }


@router.get(
    "/people/{person_id}/outcomes", response={200: MeasurePage, **READ_ERRORS}, tags=["outcomes"]
)
@requires(Cap.READ_OUTCOMES)
def outcomes_read(
    request: HttpRequest,
    person_id: int,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """The person's outcome measures (BARC-10, MHSIP ...) with answers and scores, by id, a
    page at a time. For staff of a payer, measures under 42 CFR Part 2 only with consent."""
    person = person_in_scope(request, person_id)
    qs = Administration.objects.filter(person=person).prefetch_related("answers")
    rows, nxt = _page(qs, cursor, limit)
    hidden = phi.part2_hidden(request, person, "measure", [a.pk for a in rows], "operations")
    phi.log_read(request, person, "outcomes.Administration", "")
    return {"items": [_measure_out(a) for a in rows if a.pk not in hidden], "next_cursor": nxt}


def _span(inst: Any) -> str:
    numbers = inst.item_numbers
    return f"{min(numbers)} to {max(numbers)}" if numbers else "none"


@router.post(
    "/people/{person_id}/outcomes", response={201: MeasureOut, **ERRORS}, tags=["outcomes"]
)
@requires(Cap.WRITE_OUTCOMES)
def outcome_enter(request: HttpRequest, person_id: int, body: MeasureIn) -> Status:
    """Record a whole measure at once (a paper form typed in, or answers gathered by
    another system), as the paper-form page does: every answer is checked, then it is
    scored; nothing is saved when one answer is wrong."""
    from peerpath.outcomes.instruments import instruments
    from peerpath.outcomes.models import Mode, Occasion

    person = person_in_scope(request, person_id)
    problems: list[dict[str, str]] = []
    inst = instruments().get(body.instrument)
    if inst is None:
        problems.append({"field": "instrument", "message": "Not an instrument PeerPath knows."})
    if body.occasion not in Occasion.values:
        problems.append({"field": "occasion", "message": "Not a known occasion."})
    if body.mode not in Mode.values:
        problems.append({"field": "mode", "message": "Not a known mode."})
    answers: dict[int, str] = {}
    for key, choice in body.answers.items():
        item = int(key) if key.isdigit() and len(key) <= 3 else None
        if inst is None:
            continue
        if item is None or item not in inst.item_numbers:
            problems.append(
                {"field": "answers", "message": f"{inst.code} has items {_span(inst)} only."}
            )
        elif choice != "" and inst.option(choice) is None:
            problems.append(
                {
                    "field": f"answers.{item}",
                    "message": "Not one of the answers: "
                    + ", ".join(o.key for o in inst.options)
                    + ".",
                }
            )
        else:
            answers[item] = choice
    if problems:
        raise ApiError(422, "Invalid request", errors=problems)
    record = administration_enter(
        actor=request.user,
        person=person,
        instrument=body.instrument,
        on=body.date,
        answers=answers,
        occasion=body.occasion,
        mode=body.mode,
        staff=staff_of(request.user),
    )
    return Status(201, _measure_out(record))
