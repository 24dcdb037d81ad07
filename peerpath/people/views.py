"""People's records in the browser: the list of people one may see, and a person's chart."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import (
    can_see_narratives,
    can_view_person,
    people_visible_to,
)
from peerpath.access.services import (
    break_glass,
    log_access,
    logged_person_read,
    person_access_history,
)
from peerpath.consent.part2 import part2_diagnosis_ids, part2_note_ids, part2_plan_ids
from peerpath.consent.services import part2_for_outside_reader, reads_from_outside

from .models import Person
from .selectors import Chart, people_list, person_chart


@declare(Cap.SEARCH_PEOPLE)
def people(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:80]
    page = Paginator(people_list(people_visible_to(request.user), search=search), 25).get_page(
        request.GET.get("page")
    )
    # The list shows names: a read of PHI. The search words are not logged (they may be names).
    log_access(
        user=request.user,
        action="search",
        record_type="people.Person",
        record_id="",
        reason="people list",
        request=request,
    )
    return render(request, "people/list.html", {"page": page, "search": search})


@declare(Cap.READ_PERSON, person_param="person_id")
def chart(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("payer", "agency"), pk=person_id)
    logged_person_read(request, person, "people.Person")
    today = timezone.localdate()
    user = request.user
    data = person_chart(person, on=today)
    context = {
        "chart": data,
        "part2_withheld": _part2_for_outsiders(request, data),
        "plan_pages": has(user, Cap.READ_PLAN),
        "plan_writer": has(user, Cap.WRITE_PLAN),
        "can_print": has(user, Cap.PRINT_PLAN),
        "today": today,
        "show_narratives": can_see_narratives(request.user, person),
        "history": (
            list(person_access_history(person.pk)[:25])
            if has(user, Cap.READ_ACCESS_HISTORY)
            else None
        ),
    }
    return render(request, "people/chart.html", context)


@declare(Cap.BREAK_GLASS)
def emergency_access(request: HttpRequest, person_id: int) -> HttpResponse:
    """Break the glass: open a record outside one's caseload, for a few hours, saying why.
    The reason and the access are logged and shown to supervisors."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    if can_view_person(request.user, person):
        return redirect("person-chart", person_id=person.pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            break_glass(
                user=request.user,
                person=person,
                reason=request.POST.get("reason", ""),
                request=request,
            )
        except ValidationError as exc:
            errors = exc.message_dict.get("reason", exc.messages)
        except PermissionDenied as exc:
            errors = [str(exc)]
        else:
            messages.warning(request, "Emergency access is open for a few hours and is logged.")
            return redirect("person-chart", person_id=person.pk)
    return render(
        request, "people/emergency_access.html", {"person_id": person_id, "errors": errors}
    )


def _part2_for_outsiders(request: HttpRequest, data: Chart) -> str:
    """Payer staff (UM reviewers, payer auditors) are outside the agency: showing them the
    chart is a disclosure. Records that identify a substance use disorder are shown only under
    the person's consent to that payer (payment for reviewers, operations for auditors), and
    then added to the accounting of disclosures; otherwise they are left out, and we say so."""
    if not reads_from_outside(request.user):
        return ""
    person = data.person
    sud_dx, sud_plans, sud_notes = (
        part2_diagnosis_ids(person),
        part2_plan_ids(person),
        part2_note_ids(person),
    )
    plan_is_part2 = data.plan is not None and data.plan.pk in sud_plans
    records = [{"type": "people.Diagnosis", "id": i} for i in sorted(sud_dx)]
    records += [
        {"type": "services.ServiceNote", "id": n.pk} for n in data.notes if n.pk in sud_notes
    ]
    if plan_is_part2 and data.plan is not None:
        records.append({"type": "plans.Plan", "id": data.plan.pk})
    outside = part2_for_outside_reader(actor=request.user, person=person, records=records)
    if not outside.shown:
        data.diagnoses = [d for d in data.diagnoses if d.pk not in sud_dx]
        data.notes = [n for n in data.notes if n.pk not in sud_notes]
        if plan_is_part2:
            data.plan, data.goals, data.plan_view = None, [], None
    return outside.withheld
