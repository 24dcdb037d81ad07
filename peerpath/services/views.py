"""The peer specialist's daily work in the browser: the day, and the note that checks
itself as it is written. Every write goes through peerpath.services.services."""

from __future__ import annotations

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
from peerpath.consent.part2 import part2_note_ids
from peerpath.consent.services import OutsideView, part2_for_outside_reader, reads_from_outside
from peerpath.core.stale import StaleEditError, revision
from peerpath.people.models import Person
from peerpath.policy.api import measures_due
from peerpath.schedule.selectors import day_schedule
from peerpath.schedule.services import appointment_note_written
from peerpath.schedule.views import note_initial, open_appointment
from peerpath.staff.models import StaffMember

from . import signing
from .forms import NARRATIVE, AmendForm, NoteForm, apply_errors
from .models import NoteStatus, ServiceNote
from .review import history_of as review_history
from .review import returned_to
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
    # Recovery measures due for the caseload, by the policy engine's schedule.
    measures = measures_due([row.person for row in day.caseload], on=today)
    return render(
        request,
        "services/day.html",
        {
            "day": day,
            "mine": whose.pk == me.pk,
            "supervisees": supervisees,
            "measures": measures,
            "today": today,
            # Today's appointments come first on the page (peerpath.schedule).
            "appointments": day_schedule(whose, on=today).appointments,
            "returned": list(returned_to(whose)),
        },
    )


# ---- writing a note -------------------------------------------------------------------------


def _person(person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("payer").prefetch_related("plans"), pk=person_id
    )


def _form_values(form: NoteForm, person: Person, staff: StaffMember) -> dict[str, Any]:
    """The note as typed, by field name, with the plan step chosen (whatever is valid)."""
    data = getattr(form, "cleaned_data", {})
    return {
        **data,
        "person_id": person.pk,
        "staff_id": staff.pk,
        "intervention": form.chosen,
    }


def _check(
    form: NoteForm, person: Person, staff: StaffMember, note: ServiceNote | None = None
) -> dict[str, Any]:
    """Context for the findings panel: the engine's findings the writer sees, and what
    signing would refuse (the form's own errors and signing's rules), so that the green
    means the note can be signed and paid."""
    form.is_valid()
    today = timezone.localdate()
    values = _form_values(form, person, staff)
    if note is not None and note.group_session_id is not None:
        values.update(kind="group", group_session_id=note.group_session_id, activity=note.activity)
    row = signing.note_row(values)
    refused = [
        signing.Refusal(name, str(e))
        for name, errors in form.errors.items()
        if name != "__all__"
        for e in errors
    ]
    episodes = signing.episodes_of(person.pk)
    refused += [
        r
        for r in signing.refusals(values, today=today, episodes=episodes)
        if r.field not in form.errors
    ]
    if row is None:
        return {"checked": False, "refusals": refused, "form": form}
    result = signing.check_for_signing(
        row,
        today=today,
        replacing=note.pk if note else None,
        hiding=[note.amends_id] if note is not None and note.amends_id else [],
        refused=refused,
    )
    return {"checked": True, "check": result, "form": form}


def _sign_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "sign_reason": request.POST.get("sign_reason", ""),
        "confirmed": request.POST.get("confirm") == "yes",
    }


def _reason_for_signing(request: HttpRequest, form: NoteForm) -> str:
    """The reason given for signing with a finding, once the writer confirmed it (an
    unconfirmed reason is not a reason)."""
    reason = request.POST.get("sign_reason", "").strip()
    if reason and request.POST.get("confirm") != "yes":
        form.add_error(None, "Tick the box to confirm the finding before signing with it.")
        return ""
    return reason


def _save(
    request: HttpRequest,
    form: NoteForm,
    write: Any,
    me: StaffMember,
) -> tuple[ServiceNote | None, bool]:
    """Save the form's note with `write(fields)` and, when asked, sign it, in one
    transaction. Returns the note (None when nothing was saved: the errors are on the form)
    and whether signing needs a confirmed reason (a deny finding)."""
    sign = request.POST.get("action") == "sign"
    if sign and not has(request.user, Cap.SIGN_NOTE):
        raise PermissionDenied("Your role does not sign notes.")
    reason = _reason_for_signing(request, form) if sign else ""
    if form.errors:
        return None, False
    try:
        with transaction.atomic():
            note = write(form.note_fields())
            if sign:
                note = note_sign(
                    actor=request.user,
                    note=note,
                    signer=me,
                    at=timezone.now(),
                    sign_reason=reason,
                )
    except StaleEditError:
        raise  # the edit page shows both versions
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, "sign_reason" in getattr(exc, "error_dict", {})
    if sign and note.reviews.filter(why="finding").exists():
        messages.warning(
            request,
            "Note signed with a finding. It is in your supervisor's review queue, and "
            "billing holds it while the finding stands.",
        )
    else:
        messages.success(request, "Note signed." if sign else "Draft saved.")
    return note, False


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
    needs_reason = False

    def write(fields: dict[str, Any]) -> ServiceNote:
        note = note_create(actor=request.user, person=person, staff=me, **fields)
        if appointment is not None:
            appointment_note_written(actor=request.user, appointment=appointment, note=note)
        return note

    if request.method == "POST":
        form = NoteForm(request.POST, choices=choices)
        if form.is_valid():
            note, needs_reason = _save(request, form, write, me)
            if note is not None:
                return redirect("note-detail", note_id=note.pk)
        checked = _check(form, person, me)  # the findings beside the form as it came back
    else:
        initial = note_initial(appointment) if appointment else {"date": today}
        form = NoteForm(choices=choices, initial=initial)
        checked = {}
    return render(
        request,
        "services/note_form.html",
        {
            **checked,
            "person": person,
            "plan": plan,
            "choices": choices,
            "form": form,
            "note": None,
            "appointment": appointment,
            "needs_reason": needs_reason,
            **_sign_context(request),
        },
    )


def _draft_of(request: HttpRequest, me: StaffMember) -> ServiceNote | None:
    """The saved draft the live check stands in for (`?note=`), if it is the writer's."""
    raw = request.GET.get("note", "")
    if not raw.isdigit():
        return None
    return ServiceNote.objects.filter(pk=int(raw), staff=me, status=NoteStatus.DRAFT).first()


@declare(Cap.WRITE_NOTE, person_param="person_id")
@require_POST
def note_check(request: HttpRequest, person_id: int) -> HttpResponse:
    """The findings panel for the note being written (htmx posts the form here)."""
    me = _me(request)
    person = _person(person_id)
    _, choices = plan_choices(person, on=timezone.localdate())
    draft = _draft_of(request, me)
    if draft is not None and draft.person_id != person.pk:
        draft = None
    form = NoteForm(
        request.POST, choices=choices, extra=draft.intervention if draft is not None else None
    )
    context = _check(form, person, me, draft)
    logged_person_read(request, person, "policy.Finding")
    return render(request, "services/_findings.html", context)


# ---- one note -------------------------------------------------------------------------------


def _note_in_scope(request: HttpRequest, note_id: int) -> ServiceNote:
    """The note, if the user may see its person; 404 otherwise (never 403, as for people)."""
    note = note_for_page(note_id)
    if note is None or not people_visible_to(request.user).filter(pk=note.person_id).exists():
        raise Http404("No such note.")
    return note


def _outside_view(request: HttpRequest, note: ServiceNote) -> OutsideView:
    """A payer's staff member sees a note as a disclosure: never a draft, and a Part 2 note
    only under the person's consent on the day it is shown (the chart's rule)."""
    if not reads_from_outside(request.user):
        return OutsideView(shown=True)
    if note.status == NoteStatus.DRAFT:
        raise Http404("No such note.")
    part2 = note.pk in part2_note_ids(note.person)
    records = [{"type": NOTE_RECORD, "id": note.pk}] if part2 else []
    return part2_for_outside_reader(actor=request.user, person=note.person, records=records)


@declare(Cap.READ_NOTE)
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note_in_scope(request, note_id)
    outside = _outside_view(request, note)
    if not outside.shown:
        # The same answer as for a note that does not exist: saying that it is withheld
        # would itself tell the payer the person has a substance use disorder.
        raise Http404("No such note.")
    logged_person_read(request, note.person, NOTE_RECORD, record_id=note.pk)
    me = staff_of(request.user)
    amendment = ServiceNote.objects.filter(amends=note).only("pk", "status").first()
    history = review_history(note)
    return render(
        request,
        "services/note_detail.html",
        {
            "note": note,
            "amendment": amendment,
            "is_author": me is not None and me.pk == note.staff_id,
            "redisclosure_notice": outside.notice,
            "reviews": history.reviews,
            "open_review": history.open,
            "returned": history.returned,
            "may_review": has(request.user, Cap.REVIEW_NOTE)
            and me is not None
            and me.pk != note.staff_id,
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
    needs_reason = False
    # The revision this edit started from: a save over someone else's is refused.
    base = revision(note)
    theirs: ServiceNote | None = None
    if request.method == "POST":
        base = request.POST.get("base") or base
        form = NoteForm(request.POST, choices=choices, extra=note.intervention)
        if form.is_valid():
            draft = note
            started_from = base

            def write(fields: dict[str, Any]) -> ServiceNote:
                if draft.group_session_id is not None:
                    # A group note keeps the group's kind of activity, whatever the plan
                    # step's own.
                    fields["activity"] = draft.activity
                return note_update_draft(
                    actor=request.user, note=draft, base=started_from, **fields
                )

            try:
                saved, needs_reason = _save(request, form, write, me)
            except StaleEditError as exc:
                apply_errors(form, exc)
                theirs = note_for_page(note.pk)
                base = exc.revision  # saving again now knowingly replaces theirs
                saved = None
            if saved is not None:
                return redirect("note-detail", note_id=saved.pk)
        context = _check(form, person, me, note)
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
        bound = NoteForm(
            {**{k: v for k, v in initial.items() if v is not None}, "action": "check"},
            choices=choices,
            extra=note.intervention,
        )
        context = _check(bound, person, me, note)
    returned = review_history(note).returned
    return render(
        request,
        "services/note_form.html",
        {
            **context,
            "person": person,
            "plan": None,
            "choices": choices,
            "form": form,
            "note": note,
            "base": base,
            "theirs": theirs,
            "needs_reason": needs_reason,
            "returned": returned,
            **_sign_context(request),
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
    returned = review_history(note).returned
    form = AmendForm(
        request.POST or None,
        initial={"reason": f"Returned for correction: {returned.comment}"} if returned else None,
    )
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
