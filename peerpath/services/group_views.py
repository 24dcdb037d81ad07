"""Group sessions in the browser: start one from the day page, check people in, write the
shared part once and each attendee's own part, and sign every note with one action.

Each attendee's note is checked live by the same rules as an individual note, and the
group's size by the pack's group-size rule, before anything is saved. Every write goes
through peerpath.services.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.people.models import Person
from peerpath.policy.api import GROUP_SIZE_RULE, Finding, check_drafts, check_group
from peerpath.schedule.services import appointment_group_started
from peerpath.schedule.views import group_initial, open_appointment
from peerpath.staff.models import Role, StaffMember

from .forms import AttendeePartForm, CheckInForm, GroupSessionForm, SharedPartForm
from .models import NoteStatus
from .selectors import GroupPage, group_for_page, plan_choices_for, supervisees_of
from .services import (
    AttendeePart,
    group_check_in_people,
    group_notes_write,
    group_session_create,
    names_in_shared_text,
)

ATTENDANCE_RECORD = "services.GroupAttendance"


def _me(request: HttpRequest) -> StaffMember:
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied("You need a staff record to use this page.")
    return staff


def _colleagues(me: StaffMember, on: dt.date) -> QuerySet[StaffMember]:
    """Peer specialists of the agency, employed on `on`, who may co-facilitate."""
    return (
        StaffMember.objects.filter(agency=me.agency, role=Role.CPSS)
        .exclude(end_date__lt=on)
        .order_by("last_name", "first_name", "pk")
    )


@declare(Cap.WRITE_GROUP)
def group_new(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    colleagues = _colleagues(me, today)
    # A group started from a group appointment starts with its topic and times.
    appointment = open_appointment(request.GET.get("appointment"), staff=me, kind="group")
    if request.method == "POST":
        form = GroupSessionForm(request.POST, colleagues=colleagues)
        if form.is_valid() and me.agency is not None:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    session = group_session_create(
                        actor=request.user,
                        agency=me.agency,
                        topic=data["topic"],
                        activity=data["activity"],
                        date=data["date"],
                        start_time=data["start_time"],
                        end_time=data["end_time"],
                        modality=data["modality"],
                        setting=data["setting"],
                        facilitators=list(data["facilitators"]),
                    )
                    if appointment is not None:
                        appointment_group_started(
                            actor=request.user, appointment=appointment, session=session
                        )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, "Group started. Check people in as they arrive.")
                return redirect("group-detail", session_id=session.pk)
    else:
        initial = group_initial(appointment) if appointment else {"date": today}
        form = GroupSessionForm(colleagues=colleagues, initial={**initial, "facilitators": [me.pk]})
    return render(request, "services/group_new.html", {"form": form})


def _apply(form: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


# ---- the session page -----------------------------------------------------------------------


class _Group:
    """The session as this user may see it: who they may see among the attendees, and
    whether they write its notes."""

    def __init__(self, request: HttpRequest, page: GroupPage) -> None:
        self.page = page
        self.session = page.session
        me = staff_of(request.user)
        self.me = me
        self.writer = me is not None and any(f.pk == me.pk for f in page.facilitators)
        visible = set(
            people_visible_to(request.user)
            .filter(pk__in=[a.person_id for a in page.attendances])
            .values_list("pk", flat=True)
        )
        self.attendances = [a for a in page.attendances if a.person_id in visible]
        self.hidden = len(page.attendances) - len(self.attendances)

    @property
    def people(self) -> list[Person]:
        return [a.person for a in self.attendances]

    def open_people(self) -> list[Person]:
        """Attendees whose note this user may still write: none yet, or their own draft."""
        out = []
        for person in self.people:
            note = self.page.notes.get(person.pk)
            if note is None or (
                note.status == NoteStatus.DRAFT
                and self.me is not None
                and note.staff_id == self.me.pk
            ):
                out.append(person)
        return out


def _group(request: HttpRequest, session_id: int, *, write: bool = False) -> _Group:
    """The session if the user facilitates it (or supervises someone who does); 404
    otherwise, as for a person out of scope."""
    page = group_for_page(session_id)
    me = staff_of(request.user)
    if page is None or me is None or page.session.agency_id != me.agency_id:
        raise Http404("No such group.")
    leads = {f.pk for f in page.facilitators}
    if has(request.user, Cap.SUPERVISE):
        team = set(supervisees_of(me, on=timezone.localdate()).values_list("pk", flat=True))
        allowed = bool(leads & (team | {me.pk}))
    else:
        allowed = me.pk in leads
    if not allowed:
        raise Http404("No such group.")
    group = _Group(request, page)
    if write and not group.writer:
        raise PermissionDenied("Only a facilitator of this group writes its notes.")
    return group


def _candidates(request: HttpRequest, group: _Group) -> QuerySet[Person]:
    """People the user may check in: those in their scope at the group's agency who are
    not checked in yet."""
    return (
        people_visible_to(request.user)
        .filter(agency_id=group.session.agency_id)
        .exclude(pk__in=[a.person_id for a in group.page.attendances])
        .order_by("last_name", "first_name", "pk")
    )


def _part_forms(group: _Group, data: Any = None) -> tuple[SharedPartForm, list[AttendeePartForm]]:
    session = group.session
    people = group.open_people()
    choices = plan_choices_for(people, on=max(session.date, timezone.localdate()))
    forms = []
    for person in people:
        _plan, options = choices[person.pk]
        note = group.page.notes.get(person.pk)
        initial: dict[str, Any] = {}
        if note is not None:
            initial = {
                "intervention": note.intervention_id,
                "response": note.response,
                "next_steps": note.next_steps,
            }
        else:
            # Preselect the plan's step of the group's own kind (a skills group for a skills
            # group), else the plan's first step: one click changes it.
            steps = [i for c in options for i in c.interventions]
            same = [i for i in steps if i.activity == session.activity]
            if steps:
                initial = {"intervention": (same or steps)[0].pk}
        forms.append(AttendeePartForm(data, person=person, choices=options, initial=initial))
    shared = SharedPartForm(data, initial={"shared_narrative": session.shared_narrative})
    return shared, forms


def _size_findings(group: _Group, attendees: int, adding: Sequence[int] = ()) -> list[Finding]:
    """The group-size rule on the proposed numbers, for the people in the group and those
    being checked in, each by the pack (and contract) that judges them."""
    session = group.session
    people = [a.person_id for a in group.page.attendances] + list(adding)
    return check_group(
        session_id=session.pk,
        day=session.date,
        people=people,
        attendees=attendees,
        facilitators=max(len(group.page.facilitators), 1),
        staff_id=group.me.pk if group.me is not None else None,
    )


def _log_attendees(request: HttpRequest, group: _Group) -> None:
    for a in group.attendances:
        logged_person_read(request, a.person, ATTENDANCE_RECORD, record_id=a.pk)


@declare(Cap.READ_GROUP)
def group_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session page; a POST saves the notes as drafts or signs them all."""
    group = _group(request, session_id, write=request.method == "POST")
    _log_attendees(request, group)
    shared, parts = _part_forms(group, request.POST if request.method == "POST" else None)
    needs_reason = False
    if request.method == "POST":
        sign = request.POST.get("action") == "sign"
        if sign and not has(request.user, Cap.SIGN_NOTE):
            raise PermissionDenied("Your role does not sign notes.")
        if shared.is_valid() and all(f.is_valid() for f in parts):
            assert group.me is not None
            try:
                notes = group_notes_write(
                    actor=request.user,
                    session=group.session,
                    staff=group.me,
                    shared_narrative=shared.cleaned_data["shared_narrative"],
                    parts=[
                        AttendeePart(
                            person=f.person,
                            intervention=f.chosen,
                            response=f.cleaned_data["response"],
                            next_steps=f.cleaned_data["next_steps"],
                        )
                        for f in parts
                    ],
                    sign=sign,
                    at=timezone.now(),
                    sign_reason=(
                        request.POST.get("sign_reason", "")
                        if request.POST.get("confirm") == "yes"
                        else ""
                    ),
                )
            except ValidationError as exc:
                _apply_group_errors(shared, parts, exc)
                needs_reason = "sign_reason" in getattr(exc, "error_dict", {})
            else:
                n = len(notes)
                messages.success(
                    request,
                    f"Signed {n} note{'s' if n != 1 else ''}."
                    if sign
                    else f"Saved {n} draft{'s' if n != 1 else ''}.",
                )
                return redirect("group-detail", session_id=group.session.pk)
    candidates = _candidates(request, group) if group.writer else Person.objects.none()
    checkin = CheckInForm(candidates=candidates)
    if group.writer:
        # The check-in list shows names from the user's caseload, as the day page does.
        log_access(
            user=request.user,
            action="view",
            record_type="people.Person",
            record_id="",
            reason=f"check-in list of group {group.session.pk}",
            request=request,
        )
    rows = [{"attendance": a, "note": group.page.notes.get(a.person_id)} for a in group.attendances]
    return render(
        request,
        "services/group_detail.html",
        {
            "group": group,
            "session": group.session,
            "rows": rows,
            "checkin": checkin,
            "candidates": list(checkin.fields["people"].queryset),  # type: ignore[attr-defined]
            "shared": shared,
            "parts": parts,
            "size_findings": _size_findings(group, len(group.page.attendances)),
            "errors": bool(shared.errors or any(f.errors for f in parts)),
            "needs_reason": needs_reason,
            "sign_reason": request.POST.get("sign_reason", ""),
            "confirmed": request.POST.get("confirm") == "yes",
        },
    )


def _apply_group_errors(
    shared: SharedPartForm, parts: list[AttendeePartForm], exc: ValidationError
) -> None:
    """Put the service's errors on the field they name: the shared part, or an attendee's
    part ("p<person id>-<field>"); anything else about the whole group."""
    by_prefix = {f.prefix: f for f in parts}
    if not hasattr(exc, "error_dict"):
        shared.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        prefix, _, field = key.partition("-")
        form = by_prefix.get(prefix)
        if form is not None:
            form.add_error(field if field in form.fields else None, errors)
        elif key in shared.fields:
            shared.add_error(key, errors)
        else:
            shared.add_error(None, errors)


@declare(Cap.WRITE_GROUP)
@require_POST
def group_check_in(request: HttpRequest, session_id: int) -> HttpResponse:
    group = _group(request, session_id, write=True)
    form = CheckInForm(request.POST, candidates=_candidates(request, group))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for es in form.errors.values() for e in es))
        return redirect("group-detail", session_id=group.session.pk)
    people = list(form.cleaned_data["people"])
    try:
        group_check_in_people(
            actor=request.user, session=group.session, people=people, at=timezone.now()
        )
    except ValidationError as exc:
        for e in exc.messages:
            messages.error(request, e)
    else:
        n = len(people)
        messages.success(request, f"Checked in {n} {'person' if n == 1 else 'people'}.")
    return redirect("group-detail", session_id=group.session.pk)


# ---- live checks ----------------------------------------------------------------------------


@declare(Cap.WRITE_GROUP)
@require_POST
def group_check(request: HttpRequest, session_id: int) -> HttpResponse:
    """The live findings (htmx): for the check-in form, the group's size with the people
    ticked; for the notes form, each attendee's note and the shared part."""
    group = _group(request, session_id, write=True)
    if request.POST.get("part") == "checkin":
        form = CheckInForm(request.POST, candidates=_candidates(request, group))
        form.is_valid()
        chosen = list(form.cleaned_data.get("people") or [])
        ticked = len(chosen)
        total = len(group.page.attendances) + ticked
        adding = [p.pk for p in chosen]
        return render(
            request,
            "services/_group_size.html",
            {
                "size_findings": _size_findings(group, total, adding),
                "total": total,
                "ticked": ticked,
            },
        )
    shared, parts = _part_forms(group, request.POST)
    shared.is_valid()
    for f in parts:
        f.is_valid()
        logged_person_read(request, f.person, "policy.Finding")
    text = (
        shared.cleaned_data.get("shared_narrative", "") if hasattr(shared, "cleaned_data") else ""
    )
    named = names_in_shared_text(text, group.people)
    staff_findings, per_person = _attendee_findings(group, parts)
    return render(
        request,
        "services/_group_findings.html",
        {
            "named": named,
            "staff_findings": staff_findings,
            "per_person": per_person,
            "size_findings": _size_findings(group, len(group.page.attendances)),
        },
    )


def _attendee_findings(
    group: _Group, parts: list[AttendeePartForm]
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Each attendee's findings (about their draft note, and about them on or before the
    group's day, denials first), and the writer's own findings once for the group."""
    session, me = group.session, group.me
    assert me is not None
    start = session.start_time.hour * 60 + session.start_time.minute
    end = session.end_time.hour * 60 + session.end_time.minute
    rows = []
    for f in parts:
        chosen = f.chosen
        rows.append(
            {
                "person_id": f.person.pk,
                "staff_id": me.pk,
                "date": session.date,
                "start_min": start,
                "end_min": end,
                "modality": session.modality,
                "setting": session.setting,
                "kind": "group",
                "group_session_id": session.pk,
                "activity": session.activity,
                "goal_id": chosen.goal_id if chosen else None,
                "intervention_id": chosen.pk if chosen else None,
                "goal_plan_id": chosen.goal.plan_id if chosen else None,
                "status": "draft",
            }
        )
    drafts = [
        n.pk
        for n in group.page.notes.values()
        if n.status == NoteStatus.DRAFT and n.staff_id == me.pk
    ]
    checked = check_drafts(rows, as_of=max(session.date, timezone.localdate()), replacing=drafts)
    day = session.date
    staff_findings: list[Finding] = []
    seen_staff: set[tuple[str, str]] = set()
    per_person = []
    for f in parts:
        note_id, findings = checked.get(f.person.pk, (0, []))
        mine: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        for x in findings:
            if x.rule_id == GROUP_SIZE_RULE or (x.date is not None and x.date > day):
                continue
            if x.person_id is None:
                if x.staff_id == me.pk and (x.rule_id, x.evidence) not in seen_staff:
                    seen_staff.add((x.rule_id, x.evidence))
                    staff_findings.append(x)
                continue
            if x.subject_type == "note" and x.subject_id != note_id:
                continue  # about another of the person's notes, not this one
            if (x.rule_id, x.evidence) not in seen:
                seen.add((x.rule_id, x.evidence))
                mine.append(x)
        mine.sort(key=lambda x: x.severity != "deny")
        per_person.append(
            {
                "person": f.person,
                "prefix": f.prefix,
                "denials": [x for x in mine if x.severity == "deny"],
                "warnings": [x for x in mine if x.severity != "deny"],
            }
        )
    return staff_findings, per_person
