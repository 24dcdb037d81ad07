"""People's records in the browser: the list of people one may see, and a person's chart."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from peerpath.access.permissions import declare
from peerpath.access.scope import (
    BREAK_GLASS_ROLES,
    can_see_narratives,
    can_view_person,
    people_visible_to,
    role_of,
)
from peerpath.access.services import (
    break_glass,
    log_access,
    logged_person_read,
    person_access_history,
)

from .models import Person
from .selectors import people_list, person_chart

READERS = {"cpss", "supervisor", "mhp", "billing", "um_reviewer", "auditor", "admin"}
HISTORY_READERS = {"supervisor", "admin"}


@declare(roles=READERS)
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


@declare(roles=READERS, person_param="person_id")
def chart(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("payer", "agency"), pk=person_id)
    logged_person_read(request, person, "people.Person")
    today = timezone.localdate()
    role = role_of(request.user)
    context = {
        "chart": person_chart(person, on=today),
        "today": today,
        "show_narratives": can_see_narratives(request.user, person),
        "history": (
            list(person_access_history(person.pk)[:25]) if role in HISTORY_READERS else None
        ),
    }
    return render(request, "people/chart.html", context)


@declare(roles=BREAK_GLASS_ROLES)
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
