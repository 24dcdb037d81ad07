"""Reads for people's records: the chart of one person, and lists, in a fixed number of
queries whatever the size of the record or the agency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from peerpath.authorizations.models import Authorization
from peerpath.core import formatting as fmt
from peerpath.plans.models import Goal, Plan
from peerpath.plans.selectors import PlanView, plan_view
from peerpath.policy.api import (
    PackInForce,
    authorization_units,
    pack_in_force,
    unmanaged_units,
)
from peerpath.services.models import ServiceNote

from .models import Diagnosis, Episode, Person


@dataclass(frozen=True)
class AuthorizationUse:
    authorization: Authorization
    used: int
    left: int | None


@dataclass
class Chart:
    person: Person
    pack: PackInForce | None
    episode: Episode | None
    diagnoses: list[Diagnosis]
    plan: Plan | None
    goals: list[Goal]
    authorizations: list[AuthorizationUse]
    notes: list[ServiceNote]
    unmanaged_used: int = 0
    unmanaged_allowed: int | None = None
    unmanaged_window: str = ""
    facts: dict[str, object] = field(default_factory=dict)
    # The plan with its crisis plan, signatures and who did what to each part, when.
    plan_view: PlanView | None = None


def person_chart(person: Person, *, on: dt.date, recent_notes: int = 20) -> Chart:
    """Everything on the person's chart, in a fixed number of queries (about fifteen)."""
    pack = pack_in_force(person.pk, on)
    episode = person.episodes.order_by("-start").first()
    diagnoses = list(person.diagnoses.order_by("-is_primary", "start"))
    plan = (
        person.plans.exclude(status="draft").filter(start__lte=on).order_by("-version").first()
        or person.plans.order_by("-version").first()
    )
    goals: list[Goal] = []
    view = plan_view(plan) if plan is not None else None
    if view is not None:
        goals = view.goals
    auths = list(person.authorizations.order_by("-start"))
    counted = authorization_units([a.pk for a in auths], on=on)
    uses = [AuthorizationUse(a, counted[a.pk].used, counted[a.pk].left) for a in auths]
    chart = Chart(
        person=person,
        pack=pack,
        episode=episode,
        diagnoses=diagnoses,
        plan=plan,
        goals=goals,
        authorizations=uses,
        notes=list(
            person.notes.select_related("staff", "goal").order_by("-date", "-start_time")[
                :recent_notes
            ]
        ),
        plan_view=view,
    )
    if pack is not None:
        unmanaged = unmanaged_units([person.pk], on=on)[person.pk]
        chart.unmanaged_allowed = unmanaged.allowed
        chart.unmanaged_window = f"fiscal year from {fmt.day(unmanaged.window_start)}"
        chart.unmanaged_used = unmanaged.used
    return chart


def people_list(people: QuerySet[Person], *, search: str = "") -> QuerySet[Person]:
    """People for a list page: searchable by name or Medicaid ID, with what the list shows
    fetched in the same query."""
    qs = people.select_related("payer")
    if search:
        from django.db.models import Q

        for word in search.split()[:4]:
            qs = qs.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(medicaid_id__iexact=word)
            )
    return qs.order_by("last_name", "first_name", "pk").prefetch_related(
        Prefetch("plans", queryset=Plan.objects.filter(status="active"), to_attr="active_plans")
    )


SWITCH_LIMIT = 8


def people_switch(people: QuerySet[Person], q: str, *, limit: int = SWITCH_LIMIT) -> list[Person]:
    """Up to `limit` people matching every word of `q`: part of a name, or the start of a
    Medicaid ID. One query."""
    from django.db.models import Q

    words = q.split()[:4]
    if not words:
        return []
    qs = people.select_related("payer")
    for word in words:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(medicaid_id__istartswith=word)
        )
    return list(qs.order_by("last_name", "first_name", "pk")[:limit])
