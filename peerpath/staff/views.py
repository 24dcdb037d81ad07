"""The supervisor's board in the browser: the team's caseloads against the pack's ratios,
what is due or overdue, the findings by rule; moving a person to another peer specialist,
and recording the supervisor's contact or an evaluation from an overdue item.

Writes go through peerpath.staff.services; the forms post with htmx where it is there
(the form comes back in place, with its errors) and work as plain pages without it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.core import formatting as fmt
from peerpath.people.models import Person
from peerpath.policy.api import DUE_KINDS

from . import charts
from .findings import RuleFindings, team_findings
from .forms import ContactForm, EvaluationForm, ReassignForm, apply_errors
from .models import ContactKind, StaffMember
from .selectors import (
    PERIODS,
    TeamToday,
    board_for,
    caseload_after_move,
    current_assignment,
    supervision_spans,
    supervisor_of,
    supervisors_for_admin,
    team_loads,
    team_on,
    team_today,
)
from .services import caseload_reassign, evaluation_record, supervisor_contact_record
from .worklist import SORTS, WHEN, Filters, worklist


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request: HttpRequest, text: str, level: int = messages.SUCCESS) -> HttpResponse:
    """Back to the board with a message: htmx follows HX-Redirect with a full page load,
    so the board is drawn afresh (the cleared item is gone from it)."""
    messages.add_message(request, level, text)
    url = reverse("team-board")
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_page(
    request: HttpRequest, partial: str, title: str, context: dict[str, Any]
) -> HttpResponse:
    """The form alone for htmx (swapped in place), or inside a page of its own."""
    if _is_htmx(request):
        return render(request, partial, context)
    return render(request, "staff/form_page.html", {**context, "partial": partial, "title": title})


# ---- the board ------------------------------------------------------------------------------


def _whose_board(request: HttpRequest) -> tuple[StaffMember | None, list[StaffMember]]:
    """A supervisor's or MHP's own team; an administrator picks one (the first by default)."""
    if has(request.user, Cap.SUPERVISE):
        return staff_of(request.user), []
    choices = list(supervisors_for_admin(request.user))
    wanted = request.GET.get("team", "")
    if not wanted:
        return (choices[0] if choices else None), choices
    chosen = next((s for s in choices if str(s.pk) == wanted), None)
    if chosen is None:
        raise Http404("No such team.")
    return chosen, choices


@declare(Cap.READ_TEAM)
def board(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    period = _period(request)
    period_error = ""
    if request.GET.get("period", str(period)) != str(period):
        period_error = f"Period: choose 30, 90 or 180 days. Showing {period}."
    supervisor, choices = _whose_board(request)
    data = board_for(supervisor, on=today, period_days=period, choices=choices)
    filters, filter_errors = Filters.from_query(request.GET, data)
    work = worklist(data, filters)
    # The board names the people on the team's caseloads: a read of PHI.
    log_access(
        user=request.user,
        action="view",
        record_type="people.Person",
        record_id="",
        reason=f"team board of staff {supervisor.pk if supervisor else '-'}",
        request=request,
    )
    team_query = {"team": supervisor.pk} if choices and supervisor else {}
    query = urlencode({"period": period, **team_query})
    series = [charts.Series(m.staff.full_name, m.load) for m in data.members]
    keep = urlencode({**team_query, **({"period": period} if period != PERIODS[0] else {})})

    def link(**changes: object) -> str:
        return "&".join(q for q in (keep, filters.query(**changes)) if q)

    page = work.page
    chips = [
        {
            "kind": kind,
            "title": title,
            "n": n,
            "over": over,
            "on": filters.kind == kind,
            "query": link(kind="" if filters.kind == kind else kind, page=None),
        }
        for kind, title, n, over in work.by_kind
        if n
    ]
    page_queries = {
        "previous": link(page=page.previous_page_number()) if page.has_previous() else "",
        "next": link(page=page.next_page_number()) if page.has_next() else "",
        "numbers": [(n, link(page=n)) for n in page.paginator.page_range],
    }
    return render(
        request,
        "staff/board.html",
        {
            "board": data,
            "work": work,
            "filters": filters,
            "filter_errors": filter_errors,
            "kinds": DUE_KINDS,
            "whens": WHEN,
            "sorts": SORTS,
            "keep": keep,
            "chips": chips,
            "page_queries": page_queries,
            "findings_url": f"{reverse('team-findings')}?{query}",
            "chart_url": f"{reverse('team-chart')}?{query}",
            "series": series,
            "chart_rows": charts.table(series, data.period_start, data.on),
            "supervisor_rows": (
                charts.table(
                    [charts.Series("supervisor", data.supervisor_load)],
                    data.period_start,
                    data.on,
                )
                if data.supervisor_load is not None
                else []
            ),
            "over_count": sum(1 for m in data.members if m.load.over_today),
            "periods": PERIODS,
            "period_error": period_error,
            "can_record": has(request.user, Cap.SUPERVISE),
            "can_reassign": has(request.user, Cap.REASSIGN_PERSON),
        },
    )


@declare(Cap.READ_TEAM)
def chart(request: HttpRequest) -> HttpResponse:
    """The board's chart as SVG: caseloads and the supervisor's ratio over the period."""
    today = timezone.localdate()
    period = _period(request)
    supervisor, _ = _whose_board(request)
    lo = today - dt.timedelta(days=period - 1)
    if supervisor is None:
        svg = charts.loads_svg([], None, lo, today)
    else:
        peers, mine = team_loads(supervisor, on=today, period_days=period)
        svg = charts.loads_svg(
            [charts.Series(p.full_name, load) for p, load in peers],
            charts.Series(supervisor.full_name, mine) if mine is not None else None,
            lo,
            today,
        )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _period(request: HttpRequest) -> int:
    raw = request.GET.get("period", "")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else PERIODS[0]


@declare(Cap.READ_TEAM)
def findings(request: HttpRequest) -> HttpResponse:
    """The policy findings for the team, by rule. The board loads them after it is drawn
    (htmx), so that the batch check never holds up the board itself."""
    today = timezone.localdate()
    period = _period(request)
    supervisor, _ = _whose_board(request)
    scope = team_today(supervisor, on=today)
    period_start = today - dt.timedelta(days=period - 1)
    found = team_findings(
        person_ids=scope.people,
        staff_ids=scope.team.staff_ids,
        states=scope.states,
        as_of=today,
        period_start=period_start,
    )
    log_access(
        user=request.user,
        action="view",
        record_type="people.Person",
        record_id="",
        reason=f"team findings of staff {supervisor.pk if supervisor else '-'}",
        request=request,
    )
    rules = _finding_rows(found, scope)
    context = {
        "findings": rules,
        "finding_total": sum(r["count"] for r in rules),
        "period_start": period_start,
        "team": scope.team,
    }
    if _is_htmx(request):
        # The count in the board's summary is swapped in out of band.
        return render(request, "staff/_findings.html", {**context, "oob": True})
    return render(request, "staff/findings_page.html", context)


def _finding_rows(findings: list[RuleFindings], board: TeamToday) -> list[dict[str, Any]]:
    """Each rule's findings with the names the page shows and where each one leads: the
    note, or the person's chart; staff findings name the staff member."""
    staff = {m.pk: m.full_name for m in board.team.members}
    if board.team.supervisor is not None:
        staff[board.team.supervisor.pk] = board.team.supervisor.full_name
    out: list[dict[str, Any]] = []
    for r in findings:
        rows = []
        for e in r.examples:
            person = board.people.get(e.person_id) if e.person_id is not None else None
            if person is not None:
                label = person.display_name
                if e.subject_type == "note" and e.subject_id > 0:
                    url = reverse("note-detail", kwargs={"note_id": e.subject_id})
                else:
                    url = reverse("person-chart", kwargs={"person_id": person.pk})
            else:
                label = staff.get(e.staff_id or 0, "A staff member")
                url = ""
            rows.append({"label": label, "url": url, "date": e.date, "evidence": e.evidence})
        out.append({**r.__dict__, "rows": rows})
    return out


# ---- reassigning ----------------------------------------------------------------------------


def _team_for_move(request: HttpRequest, current: StaffMember) -> list[StaffMember]:
    """The peer specialists the person may move to: the team of the supervisor of the
    peer specialist who supports them now. A supervisor may move only their own team's
    people (anyone else is not found, as with people out of scope)."""
    today = timezone.localdate()
    supervising = has(request.user, Cap.SUPERVISE)
    supervisor = staff_of(request.user) if supervising else supervisor_of(current, today)
    if supervisor is None:
        return []
    members = team_on(supervision_spans(supervisor, today, today), today)
    if supervising and current.pk not in {m.pk for m in members}:
        raise Http404("This person is not on your team's caseloads.")
    return [m for m in members if m.role == "cpss" and m.pk != current.pk]


@declare(Cap.REASSIGN_PERSON, person_param="person_id")
def reassign(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("agency"), pk=person_id)
    today = timezone.localdate()
    current = current_assignment(person, today)
    logged_person_read(request, person, "staff.CaseloadAssignment")
    if current is None:
        return _form_page(
            request,
            "staff/_reassign_form.html",
            f"Reassign {person.display_name}",
            {"person": person, "current": None, "form": None},
        )
    choices = _team_for_move(request, current.staff)
    form = ReassignForm(
        request.POST or None, choices=choices, today=today, initial={"start": today}
    )
    warning = None
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen
        assert chosen is not None
        start = form.cleaned_data["start"]
        check = caseload_after_move(chosen, person, start)
        if check.over and not form.confirmed:
            warning = check  # shown with a "Reassign anyway" button for this choice
        else:
            try:
                caseload_reassign(
                    actor=request.user,
                    person=person,
                    to_staff=chosen,
                    start=start,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                text = f"{person.display_name} moves to {chosen.full_name} from {fmt.day(start)}."
                if check.over and check.limit is not None:
                    text += (
                        f" {chosen.full_name} now has {check.count} people, over the limit of "
                        f"{check.limit.value} ({check.limit.citation.short()})."
                    )
                    return _done(request, text, messages.WARNING)
                return _done(request, text)
    return _form_page(
        request,
        "staff/_reassign_form.html",
        f"Reassign {person.display_name}",
        {"person": person, "current": current, "form": form, "warning": warning},
    )


# ---- clearing an overdue item ---------------------------------------------------------------


def _recorder(request: HttpRequest) -> StaffMember:
    me = staff_of(request.user)
    if me is None:
        raise PermissionDenied("You need a staff record to record this.")
    return me


@declare(Cap.SUPERVISE, person_param="person_id")
def contact_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """The supervisor's own contact with the person (face to face counts for the policy)."""
    person = get_object_or_404(Person, pk=person_id)
    me = _recorder(request)
    today = timezone.localdate()
    logged_person_read(request, person, "staff.SupervisorContact")
    form = ContactForm(request.POST or None, today=today, initial={"date": today})
    if request.method == "POST" and form.is_valid():
        try:
            contact = supervisor_contact_record(
                actor=request.user,
                supervisor=me,
                person=person,
                date=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if contact.kind == ContactKind.FACE_TO_FACE:
                return _done(request, f"Face-to-face contact with {person.display_name} recorded.")
            return _done(
                request,
                f"{contact.get_kind_display()} contact with {person.display_name} recorded. "
                "Only a face-to-face contact meets the policy: that one is still due.",
                messages.WARNING,
            )
    return _form_page(
        request,
        "staff/_contact_form.html",
        f"Record a contact with {person.display_name}",
        {"person": person, "form": form},
    )


@declare(Cap.SUPERVISE, person_param="person_id")
def evaluation_new(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    me = _recorder(request)
    today = timezone.localdate()
    logged_person_read(request, person, "staff.Evaluation")
    form = EvaluationForm(request.POST or None, today=today, initial={"date": today})
    if request.method == "POST" and form.is_valid():
        try:
            evaluation_record(
                actor=request.user,
                evaluator=me,
                person=person,
                date=form.cleaned_data["date"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, f"Evaluation of {person.display_name} recorded.")
    return _form_page(
        request,
        "staff/_evaluation_form.html",
        f"Record an evaluation of {person.display_name}",
        {"person": person, "form": form},
    )
