"""The schedule in the browser: a peer's day and week, making appointments and weekly
groups, and recording no-shows and cancellations. Writes go through .services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access
from peerpath.people.models import Person
from peerpath.services.selectors import supervisees_of
from peerpath.staff.models import StaffMember

from .forms import AppointmentForm, GroupSeriesForm, RecordForm
from .models import Appointment, AppointmentKind
from .selectors import day_schedule, week_schedule
from .services import appointment_create, appointment_record, group_series_create

DAY = dt.timedelta(days=1)


def _me(request: HttpRequest) -> StaffMember:
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied("You need a staff record to use the schedule.")
    return staff


def _whose(request: HttpRequest, me: StaffMember, today: dt.date) -> StaffMember:
    """The signed-in peer, or (for a supervisor) one of their team named by ?staff=."""
    wanted = request.GET.get("staff", "")
    if not wanted or wanted == str(me.pk):
        return me
    if has(request.user, Cap.SUPERVISE):
        found = supervisees_of(me, on=today).filter(pk=wanted).first()
        if found is not None:
            return found
    raise Http404("Not on your team.")


def _day(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    text = request.GET.get(name, "")
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Http404(f"'{text[:20]}' is not a date (YYYY-MM-DD).") from None


def _log_names_shown(request: HttpRequest, whose: StaffMember, what: str) -> None:
    # The schedule shows the names of people on the caseload: a read of PHI.
    log_access(
        user=request.user,
        action="view",
        record_type="schedule.Appointment",
        record_id="",
        reason=f"{what} of staff {whose.pk}",
        request=request,
    )


def _staff_query(whose: StaffMember, me: StaffMember) -> str:
    return "" if whose.pk == me.pk else f"&staff={whose.pk}"


@declare(Cap.READ_SCHEDULE)
def schedule_day(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    whose = _whose(request, me, today)
    on = _day(request, "day", today)
    day = day_schedule(whose, on=on)
    _log_names_shown(request, whose, "schedule day")
    return render(
        request,
        "schedule/day.html",
        {
            "day": day,
            "today": today,
            "mine": whose.pk == me.pk,
            "previous": on - DAY,
            "next": on + DAY,
            "staff_q": _staff_query(whose, me),
        },
    )


@declare(Cap.READ_SCHEDULE)
def schedule_week(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    whose = _whose(request, me, today)
    week = week_schedule(whose, on=_day(request, "week", today))
    _log_names_shown(request, whose, "schedule week")
    return render(
        request,
        "schedule/week.html",
        {
            "week": week,
            "today": today,
            "mine": whose.pk == me.pk,
            "staff_q": _staff_query(whose, me),
        },
    )


@declare(Cap.WRITE_SCHEDULE)
def appointment_new(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    people = people_visible_to(request.user).order_by("last_name", "first_name", "pk")
    if request.method == "POST":
        form = AppointmentForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = appointment_create(actor=request.user, staff=me, **data)
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, "Appointment made.")
                return redirect(f"{reverse('schedule-day')}?day={appointment.date.isoformat()}")
    else:
        initial: dict[str, object] = {"date": _day(request, "day", today)}
        wanted = request.GET.get("person", "")
        if wanted.isdigit():
            initial["person"] = people.filter(pk=int(wanted)).first()
        form = AppointmentForm(people=people, initial=initial)
    return render(request, "schedule/appointment_form.html", {"form": form})


@declare(Cap.WRITE_SCHEDULE)
def series_new(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = timezone.localdate()
    if request.method == "POST":
        form = GroupSeriesForm(request.POST)
        if form.is_valid():
            try:
                series = group_series_create(actor=request.user, staff=me, **form.cleaned_data)
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(
                    request,
                    f"{series.topic}: {form.cleaned_data['weeks']} meetings on "
                    f"{series.weekday_name}s are on your schedule.",
                )
                return redirect(f"{reverse('schedule-week')}?week={series.first_date.isoformat()}")
    else:
        form = GroupSeriesForm(initial={"first_date": today})
    return render(request, "schedule/series_form.html", {"form": form})


@declare(Cap.WRITE_SCHEDULE)
@require_POST
def appointment_record_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    me = _me(request)
    appointment = (
        Appointment.objects.filter(pk=appointment_id, staff=me).select_related("person").first()
    )
    if appointment is None:
        raise Http404("No such appointment on your schedule.")
    form = RecordForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or f"{reverse('schedule-day')}?day={appointment.date.isoformat()}"
    if not form.is_valid():
        messages.error(request, "Choose no-show or cancelled.")
        return redirect(back)
    try:
        appointment_record(
            actor=request.user,
            appointment=appointment,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = appointment.person.display_name if appointment.person else appointment.topic
        what = "no-show" if form.cleaned_data["status"] == "no_show" else "cancellation"
        messages.success(request, f"Recorded a {what} for {who}. Nothing is billed for it.")
    return redirect(back)


def open_appointment(
    wanted: str | None, *, staff: StaffMember, person: Person | None = None, kind: str = ""
) -> Appointment | None:
    """The open appointment of `staff` named by a request parameter (a note or a group is
    being started from it), or None."""
    if not wanted or not wanted.isdigit():
        return None
    found = Appointment.objects.filter(pk=int(wanted), staff=staff, note__isnull=True)
    if person is not None:
        found = found.filter(person=person)
    if kind:
        found = found.filter(kind=kind, group_session__isnull=True)
    return found.exclude(status__in=("no_show", "cancelled")).first()


def group_initial(appointment: Appointment) -> dict[str, object]:
    """What a group session started from a group appointment begins with."""
    assert appointment.kind == AppointmentKind.GROUP
    series = appointment.series
    initial: dict[str, object] = {
        "topic": appointment.topic,
        "date": appointment.date,
        "start_time": appointment.start_time,
        "end_time": appointment.end_time,
        "modality": appointment.modality,
        "setting": appointment.setting,
    }
    if series is not None:
        initial["activity"] = series.activity
    return initial


def note_initial(appointment: Appointment) -> dict[str, object]:
    """What a note written from an appointment begins with: its day and times."""
    return {
        "date": appointment.date,
        "start_time": appointment.start_time,
        "end_time": appointment.end_time,
        "modality": appointment.modality,
        "setting": appointment.setting,
    }


def _apply(form: AppointmentForm | GroupSeriesForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)
