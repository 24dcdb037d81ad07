"""The peer specialist's daily work in the browser: the day, and the note that checks
itself as it is written. Every write goes through peerpath.services.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.people.models import Person
from peerpath.policy.api import check_note, check_person
from peerpath.schedule.selectors import day_schedule
from peerpath.schedule.services import appointment_note_written
from peerpath.schedule.views import note_initial, open_appointment
from peerpath.staff.models import StaffMember

from .forms import NARRATIVE, AmendForm, NoteForm, apply_errors
from .models import NoteStatus, ServiceNote
from .selectors import note_for_page, plan_choices, staff_day, supervisees_of
from .services import note_amend, note_create, note_sign, note_update_draft

NOTE_RECORD = "services.ServiceNote"


def _me(request: HttpRequest) -> StaffMember:
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied("You need a staff record to use this page.")
    return staff


# ---- the day --------------------------------------------------------------------------------


@declare(Cap.SEE_DAY)
def my_day(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    whose = me
    supervisees = None
    if has(request.user, Cap.SUPERVISE):
        supervisees = list(supervisees_of(me, on=today))
        wanted = request.GET.get("staff", "")
        if wanted:
            whose = next((s for s in supervisees if str(s.pk) == wanted), None)  # type: ignore[assignment]
            if whose is None:
                raise Http404("Not on your team.")
    day = staff_day(whose, on=today)
    # The page shows the names of the people on the caseload: a read of PHI.
    log_access(
        user=request.user,
        action="view",
        record_type="people.Person",
        record_id="",
        reason=f"day page of staff {whose.pk}",
        request=request,
    )
    return render(
        request,
        "services/day.html",
        {
            "day": day,
            "mine": whose.pk == me.pk,
            "supervisees": supervisees,
            "today": today,
            # Today's appointments come first on the page (peerpath.schedule).
            "appointments": day_schedule(whose, on=today).appointments,
        },
    )


# ---- writing a note -------------------------------------------------------------------------


def _person(person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("payer").prefetch_related("plans"), pk=person_id
    )


def _draft_row(form: NoteForm, person: Person, staff: StaffMember) -> dict[str, object] | None:
    data = getattr(form, "cleaned_data", {})
    day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
    if not (isinstance(day, dt.date) and isinstance(start, dt.time) and isinstance(end, dt.time)):
        return None
    chosen = form.chosen
    return {
        "person_id": person.pk,
        "staff_id": staff.pk,
        "date": day,
        "start_min": start.hour * 60 + start.minute,
        "end_min": end.hour * 60 + end.minute,
        "modality": data.get("modality") or "in_person",
        "setting": data.get("setting") or "community",
        "kind": "individual",
        "activity": chosen.activity if chosen else None,
        "goal_id": chosen.goal_id if chosen else None,
        "intervention_id": chosen.pk if chosen else None,
        "goal_plan_id": chosen.goal.plan_id if chosen else None,
        "status": "draft",
    }


def _check(form: NoteForm, person: Person, staff: StaffMember) -> dict[str, Any]:
    """Context for the findings panel."""
    form.is_valid()
    row = _draft_row(form, person, staff)
    if row is None:
        return {"checked": False}
    day = row["date"]
    assert isinstance(day, dt.date)
    checked = check_note(row, as_of=max(day, timezone.localdate()))
    relevant = checked.relevant()
    return {
        "checked": True,
        "denials": [f for f in relevant if f.severity == "deny"],
        "warnings": [f for f in relevant if f.severity != "deny"],
    }


@declare(Cap.WRITE_NOTE, person_param="person_id")
def note_new(request: HttpRequest, person_id: int) -> HttpResponse:
    me = _me(request)
    person = _person(person_id)
    today = timezone.localdate()
    plan, choices = plan_choices(person, on=today)
    logged_person_read(request, person, "plans.Plan", record_id=plan.pk if plan else None)
    # A note written from an appointment starts with its day and times, and keeps it.
    wanted = request.POST.get("appointment") or request.GET.get("appointment")
    appointment = open_appointment(wanted, staff=me, person=person)
    if request.method == "POST":
        form = NoteForm(request.POST, choices=choices)
        if form.is_valid():
            sign = request.POST.get("action") == "sign"
            if sign and not has(request.user, Cap.SIGN_NOTE):
                raise PermissionDenied("Your role does not sign notes.")
            try:
                with transaction.atomic():
                    note = note_create(
                        actor=request.user, person=person, staff=me, **form.note_fields()
                    )
                    if appointment is not None:
                        appointment_note_written(
                            actor=request.user, appointment=appointment, note=note
                        )
                    if sign:
                        note = note_sign(
                            actor=request.user, note=note, signer=me, at=timezone.now()
                        )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Note signed." if sign else "Draft saved.")
                return redirect("note-detail", note_id=note.pk)
    else:
        initial = note_initial(appointment) if appointment else {"date": today}
        form = NoteForm(choices=choices, initial=initial)
    return render(
        request,
        "services/note_form.html",
        {
            "person": person,
            "plan": plan,
            "choices": choices,
            "form": form,
            "note": None,
            "appointment": appointment,
        },
    )


@declare(Cap.WRITE_NOTE, person_param="person_id")
@require_POST
def note_check(request: HttpRequest, person_id: int) -> HttpResponse:
    """The findings panel for the note being written (htmx posts the form here)."""
    me = _me(request)
    person = _person(person_id)
    _, choices = plan_choices(person, on=timezone.localdate())
    form = NoteForm(request.POST, choices=choices)
    context = _check(form, person, me)
    logged_person_read(request, person, "policy.Finding")
    return render(request, "services/_findings.html", {**context, "form": form})


# ---- one note -------------------------------------------------------------------------------


def _note_in_scope(request: HttpRequest, note_id: int) -> ServiceNote:
    """The note, if the user may see its person; 404 otherwise (never 403, as for people)."""
    note = note_for_page(note_id)
    if note is None or not people_visible_to(request.user).filter(pk=note.person_id).exists():
        raise Http404("No such note.")
    return note


@declare(Cap.READ_NOTE)
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note_in_scope(request, note_id)
    logged_person_read(request, note.person, NOTE_RECORD, record_id=note.pk)
    me = staff_of(request.user)
    amendment = ServiceNote.objects.filter(amends=note).only("pk", "status").first()
    return render(
        request,
        "services/note_detail.html",
        {
            "note": note,
            "amendment": amendment,
            "is_author": me is not None and me.pk == note.staff_id,
        },
    )


@declare(Cap.WRITE_NOTE)
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    """Finish a draft (or an amendment draft) and sign it. A signed note is never edited."""
    note = _note_in_scope(request, note_id)
    me = _me(request)
    if note.staff_id != me.pk:
        raise PermissionDenied("Only the peer specialist who wrote this note may change it.")
    if note.status != NoteStatus.DRAFT:
        if request.method == "POST":
            raise PermissionDenied("A signed note cannot be changed; amend it instead.")
        messages.info(request, "This note is signed. To correct it, amend it.")
        return redirect("note-detail", note_id=note.pk)
    person = note.person
    _, choices = plan_choices(person, on=timezone.localdate())
    logged_person_read(request, person, NOTE_RECORD, record_id=note.pk)
    if request.method == "POST":
        form = NoteForm(request.POST, choices=choices, extra=note.intervention)
        if form.is_valid():
            sign = request.POST.get("action") == "sign"
            if sign and not has(request.user, Cap.SIGN_NOTE):
                raise PermissionDenied("Your role does not sign notes.")
            try:
                with transaction.atomic():
                    fields = form.note_fields()
                    if note.group_session_id is not None:
                        # A group note keeps the group's kind of activity, whatever the
                        # plan step's own.
                        fields["activity"] = note.activity
                    note = note_update_draft(actor=request.user, note=note, **fields)
                    if sign:
                        note = note_sign(
                            actor=request.user, note=note, signer=me, at=timezone.now()
                        )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Note signed." if sign else "Draft saved.")
                return redirect("note-detail", note_id=note.pk)
    else:
        initial = {
            "intervention": note.intervention_id,
            "date": note.date,
            "start_time": note.start_time,
            "end_time": note.end_time,
            "modality": note.modality,
            "setting": note.setting,
            **{name: getattr(note, name) for name in NARRATIVE},
        }
        form = NoteForm(choices=choices, extra=note.intervention, initial=initial)
    found = check_person(person.pk, as_of=max(note.date, timezone.localdate()))
    findings = [f for f in found.objects() if f.subject_type == "note" and f.subject_id == note.pk]
    return render(
        request,
        "services/note_form.html",
        {
            "person": person,
            "plan": None,
            "choices": choices,
            "form": form,
            "note": note,
            "saved_denials": [f for f in findings if f.severity == "deny"],
            "saved_findings": [f for f in findings if f.severity != "deny"],
        },
    )


@declare(Cap.WRITE_NOTE)
def note_amend_view(request: HttpRequest, note_id: int) -> HttpResponse:
    """Start an amendment: say why, then edit the new draft and sign it."""
    note = _note_in_scope(request, note_id)
    me = _me(request)
    if note.staff_id != me.pk:
        raise PermissionDenied("Only the peer specialist who wrote this note may amend it.")
    if note.status != NoteStatus.SIGNED:
        messages.info(request, "Only a signed, current note is amended; a draft is edited.")
        return redirect("note-detail", note_id=note.pk)
    logged_person_read(request, note.person, NOTE_RECORD, record_id=note.pk)
    form = AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = note_amend(
                actor=request.user, note=note, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Amendment started. Make the correction, then sign it.")
            return redirect("note-edit", note_id=amendment.pk)
    return render(request, "services/note_amend.html", {"note": note, "form": form})
