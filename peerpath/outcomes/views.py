"""Outcome measures in the browser.

- Recording: from a due item, the peer hands the phone to the person, who answers one
  question a screen in large type; each answer is saved as it is given (htmx swaps the next
  question in; without JavaScript each answer is a plain form post). A paper form can be
  typed in later, and a refusal or a measure not done is recorded with the reason.
- The person's view: each measure over time with the threshold and the services received
  between measures, MHSIP domains, a printable page in plain words, exports.
- The program's view for supervisors, admins and auditors.

Pages about one person declare `person_param`, so the scope is the chart's; each read is
logged like the chart's.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.people.models import Person

from . import exports
from .charts import measure_chart
from .instruments import Instrument, instruments
from .models import Administration, Mode, Occasion, Status
from .program import ProgramView, program_view
from .selectors import person_outcomes
from .services import (
    administration_complete,
    administration_decline,
    administration_enter,
    administration_start,
    answer_save,
)

RECORD = "outcomes.Administration"


def _person(request: HttpRequest, person_id: int, action: str = "view") -> Person:
    """The person (in scope: the declaration checked it), with the read logged; an export
    or a print is logged as such."""
    person = get_object_or_404(Person.objects.select_related("payer"), pk=person_id)
    if action == "view":
        logged_person_read(request, person, RECORD)
    else:
        log_access(
            user=request.user,
            action=action,
            record_type=RECORD,
            record_id=person.pk,
            person_id=person.pk,
            reason="outcome measures",
            request=request,
        )
    return person


def _instrument(code: str) -> Instrument:
    found = instruments().get(code or "BARC-10")
    if found is None:
        raise Http404("No such instrument.")
    return found


def _open(person: Person, administration_id: int) -> Administration:
    return get_object_or_404(Administration, pk=administration_id, person=person)


def _occasion(value: str) -> str:
    return value if value in Occasion.values else Occasion.OTHER


# ---- recording ---------------------------------------------------------------------------------


@declare(Cap.WRITE_OUTCOMES, person_param="person_id")
def measure_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Start a measure: on this phone, from a paper form, or record that it was not done."""
    person = _person(request, person_id)
    inst = _instrument(request.GET.get("instrument") or request.POST.get("instrument", ""))
    occasion = _occasion(request.GET.get("occasion") or request.POST.get("occasion", ""))
    today = timezone.localdate()
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decline":
                administration_decline(
                    actor=request.user,
                    person=person,
                    instrument=inst.code,
                    on=today,
                    reason=request.POST.get("reason", ""),
                    refused=request.POST.get("why") != "skipped",
                    occasion=occasion,
                    staff=staff_of(request.user),
                )
                messages.success(request, f"Recorded that the {inst.code} was not done.")
                return redirect("person-measures", person_id=person.pk)
            record = administration_start(
                actor=request.user,
                person=person,
                instrument=inst.code,
                on=today,
                occasion=occasion,
                mode=Mode.PHONE,
                staff=staff_of(request.user),
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            first = inst.items[0].number
            return redirect("measure-question", person_id=person.pk, aid=record.pk, item=first)
    context = {"person": person, "inst": inst, "occasion": occasion, "errors": errors}
    return render(request, "outcomes/new.html", context)


def _question_context(record: Administration, inst: Instrument, item: int) -> dict[str, object]:
    numbers = list(inst.item_numbers)
    if item not in numbers:
        raise Http404("No such question.")
    at = numbers.index(item)
    given = record.answers.filter(item=item).first()
    chosen = ""
    if given is not None:
        chosen = "NA" if given.not_applicable else str(given.value)
    return {
        "record": record,
        "person": record.person,
        "inst": inst,
        "item": inst.item(item),
        "position": at + 1,
        "count": len(numbers),
        "previous": numbers[at - 1] if at else None,
        "chosen": chosen,
    }


@declare(Cap.WRITE_OUTCOMES, person_param="person_id")
def measure_question(request: HttpRequest, person_id: int, aid: int, item: int) -> HttpResponse:
    """One question a screen. A POST saves the answer and moves on to the next question."""
    person = _person(request, person_id)
    record = _open(person, aid)
    if record.status != Status.IN_PROGRESS:
        return redirect("person-measures", person_id=person.pk)
    inst = _instrument(record.instrument)
    context = _question_context(record, inst, item)
    if request.method == "POST":
        try:
            answer_save(
                actor=request.user,
                administration=record,
                item=item,
                choice=request.POST.get("answer", ""),
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
        else:
            numbers = list(inst.item_numbers)
            at = numbers.index(item)
            if at + 1 == len(numbers):
                url = reverse("measure-finish", kwargs={"person_id": person.pk, "aid": record.pk})
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
            nxt = numbers[at + 1]
            if request.headers.get("HX-Request"):
                context = _question_context(record, inst, nxt)
                response = render(request, "outcomes/_question.html", context)
                response["HX-Push-Url"] = reverse(
                    "measure-question",
                    kwargs={"person_id": person.pk, "aid": record.pk, "item": nxt},
                )
                return response
            return redirect("measure-question", person_id=person.pk, aid=record.pk, item=nxt)
    return render(request, "outcomes/question.html", context)


@declare(Cap.WRITE_OUTCOMES, person_param="person_id")
def measure_finish(request: HttpRequest, person_id: int, aid: int) -> HttpResponse:
    """The answers given, to check with the person, and Finish (scores it)."""
    person = _person(request, person_id)
    record = _open(person, aid)
    inst = _instrument(record.instrument)
    if request.method == "POST" and record.status == Status.IN_PROGRESS:
        if request.POST.get("action") == "decline":
            try:
                administration_decline(
                    actor=request.user,
                    person=person,
                    instrument=inst.code,
                    on=record.date,
                    reason=request.POST.get("reason", ""),
                    administration=record,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("measure-finish", person_id=person.pk, aid=record.pk)
        else:
            administration_complete(actor=request.user, administration=record)
            messages.success(request, f"Thank you. The {inst.code} is saved.")
        return redirect("person-measures", person_id=person.pk)
    given = {a.item: a for a in record.answers.all()}
    rows = [
        (
            i,
            given.get(i.number),
            inst.option_label(given[i.number].value) if i.number in given else "",
        )
        for i in inst.items
    ]
    return render(
        request,
        "outcomes/finish.html",
        {"person": person, "record": record, "inst": inst, "rows": rows},
    )


@declare(Cap.WRITE_OUTCOMES, person_param="person_id")
def measure_paper(request: HttpRequest, person_id: int) -> HttpResponse:
    """Type in a paper form answered earlier: every answer is checked before saving."""
    person = _person(request, person_id)
    inst = _instrument(request.GET.get("instrument") or request.POST.get("instrument", ""))
    occasion = _occasion(request.GET.get("occasion") or request.POST.get("occasion", ""))
    errors: list[str] = []
    values = {i.number: request.POST.get(f"item-{i.number}", "") for i in inst.items}
    day_text = request.POST.get("date", "")
    if request.method == "POST":
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            errors = ["Give the date the form was answered."]
        else:
            try:
                administration_enter(
                    actor=request.user,
                    person=person,
                    instrument=inst.code,
                    on=day,
                    answers=values,
                    occasion=occasion,
                    staff=staff_of(request.user),
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, f"The paper {inst.code} is entered.")
                return redirect("person-measures", person_id=person.pk)
    context = {
        "person": person,
        "inst": inst,
        "occasion": occasion,
        "errors": errors,
        "rows": [(i, values[i.number]) for i in inst.items],
        "date": day_text,
        "occasions": Occasion.choices,
    }
    return render(request, "outcomes/paper.html", context)


# ---- the person's view -------------------------------------------------------------------------


@declare(Cap.READ_OUTCOMES, person_param="person_id")
def person_measures(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    data = person_outcomes(person, on=timezone.localdate())
    context = {
        "data": data,
        "person": person,
        "barc": instruments().get("BARC-10"),
        "can_record": has(request.user, Cap.WRITE_OUTCOMES),
    }
    return render(request, "outcomes/person.html", context)


@declare(Cap.READ_OUTCOMES, person_param="person_id")
def person_chart(request: HttpRequest, person_id: int, code: str) -> HttpResponse:
    person = _person(request, person_id)
    inst = _instrument(code)
    if inst.method != "sum":
        raise Http404("This instrument is shown as a table.")
    data = person_outcomes(person, on=timezone.localdate())
    svg = measure_chart(inst, data.points.get(code, []), data.months)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@declare(Cap.READ_OUTCOMES, person_param="person_id")
def person_print(request: HttpRequest, person_id: int) -> HttpResponse:
    """A page for the person, in plain words, to print."""
    person = _person(request, person_id, "print")
    data = person_outcomes(person, on=timezone.localdate())
    return render(
        request,
        "outcomes/print.html",
        {"data": data, "person": person, "barc": instruments().get("BARC-10")},
    )


@declare(Cap.READ_OUTCOMES, person_param="person_id")
def person_fhir(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's measures as a FHIR R4 Bundle of QuestionnaireResponses (with the
    Questionnaires they answer)."""
    person = _person(request, person_id, "export")
    body = exports.person_bundle_json(person)
    response = HttpResponse(body, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="measures-{person.pk}.json"'
    return response


@declare(Cap.READ_OUTCOMES, person_param="person_id")
def person_csv(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id, "export")
    response = HttpResponse(exports.person_csv(person), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="measures-{person.pk}.csv"'
    return response


# ---- the program's view --------------------------------------------------------------------------


def _program(request: HttpRequest) -> tuple[str, ProgramView]:
    code = request.GET.get("instrument", "BARC-10")
    inst = _instrument(code)
    if inst.method != "sum":
        raise Http404("The program view compares summed scores.")
    # The view shows counts and averages, no names: logged as a search of the scope.
    log_access(
        user=request.user,
        action="search",
        record_type=RECORD,
        record_id="",
        reason=f"program outcomes ({code})",
        request=request,
    )
    return code, program_view(people_visible_to(request.user), code=code)


@declare(Cap.READ_PROGRAM_OUTCOMES)
def program(request: HttpRequest) -> HttpResponse:
    code, view = _program(request)
    assert isinstance(view, ProgramView)
    sections = [
        ("Everyone measured", [view.overall], "overall"),
        ("By peer specialist", view.by_peer, "by-peer"),
        ("By payer", view.by_payer, "by-payer"),
        ("By units of peer support received between the measures", view.by_dose, "by-dose"),
    ]
    mhsip = [
        (label, positive, scored, round(100 * positive / scored) if scored else None)
        for label, positive, scored in view.mhsip
    ]
    context = {"view": view, "code": code, "sections": sections, "mhsip": mhsip}
    return render(request, "outcomes/program.html", context)


@declare(Cap.READ_PROGRAM_OUTCOMES)
def program_csv(request: HttpRequest) -> HttpResponse:
    code, view = _program(request)
    response = HttpResponse(exports.program_csv(view), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="outcomes-{code}.csv"'
    return response
