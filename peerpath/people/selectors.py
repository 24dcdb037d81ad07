"""Reads for people's records: the chart of one person, and lists, in a fixed number of
queries whatever the size of the record or the agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from peerpath.authorizations.models import Authorization
from peerpath.core import formatting as fmt
from peerpath.plans.models import Goal, Plan
from peerpath.plans.selectors import PlanView, plan_view
from peerpath.policy.parameters import Pack, load_packs, select_pack
from peerpath.policy.units import pack_units
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
    pack: Pack | None
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


def fiscal_year_start(day: dt.date, start_month: int) -> dt.date:
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def person_chart(person: Person, *, on: dt.date, recent_notes: int = 20) -> Chart:
    """Everything on the person's chart, in a fixed number of queries (about fifteen)."""
    try:
        pack: Pack | None = select_pack(load_packs(), person.payer.state, on)
    except LookupError:
        pack = None
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
    signed = list(person.notes.filter(status="signed").values("date", "start_time", "end_time"))
    uses = []
    for a in auths:
        used = sum(
            pack_units(_minutes(n), pack, n["date"])
            for n in signed
            if a.start <= n["date"] <= a.end
        )
        left = (a.units_approved - used) if a.units_approved is not None else None
        uses.append(AuthorizationUse(a, used, left))
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
        chart.unmanaged_allowed = _int_or_none(pack.value("authorization.unmanaged_units", on))
        month = _int_or_none(pack.value("fiscal_year.start_month", on)) or 7
        fy = fiscal_year_start(on, month)
        chart.unmanaged_window = f"fiscal year from {fmt.day(fy)}"
        approved = [a for a in auths if a.status in ("approved", "partial")]
        chart.unmanaged_used = sum(
            pack_units(_minutes(n), pack, n["date"])
            for n in signed
            if n["date"] >= fy
            and (episode is None or n["date"] >= episode.start)
            and not any(a.start <= n["date"] <= a.end for a in approved)
        )
    return chart


def _minutes(note: Mapping[str, Any]) -> int:
    s, e = note["start_time"], note["end_time"]
    return (e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
