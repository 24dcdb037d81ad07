"""Reads for a peer specialist's day and for writing a note, in a fixed number of queries
whatever the size of the caseload."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet

from peerpath.authorizations.models import Authorization
from peerpath.core import formatting as fmt
from peerpath.people.models import Person
from peerpath.plans.models import Goal, Intervention, Plan
from peerpath.policy.api import authorization_units, unsigned_stale_before
from peerpath.staff.models import CaseloadAssignment, StaffMember, SupervisionAssignment

from .models import GroupAttendance, GroupSession, NoteStatus, ServiceNote

AUTH_ENDING_DAYS = 14
FEW_UNITS = 8
REVIEW_SOON_DAYS = 30
OPEN_GROUP_DAYS = 14


@dataclass(frozen=True)
class Attention:
    """One thing about a person that needs doing soon; `level` is "warning" or "info"."""

    text: str
    level: str = "warning"


@dataclass
class CaseloadRow:
    person: Person
    plan: Plan | None
    authorization: Authorization | None
    units_left: int | None
    attention: list[Attention] = field(default_factory=list)


@dataclass(frozen=True)
class DraftRow:
    note: ServiceNote
    stale: bool
    age_days: int


@dataclass
class Day:
    staff: StaffMember
    on: dt.date
    today_notes: list[ServiceNote]
    drafts: list[DraftRow]
    caseload: list[CaseloadRow]
    groups: list[GroupSession] = field(default_factory=list)

    @property
    def stale_drafts(self) -> int:
        return sum(1 for d in self.drafts if d.stale)


def _active(day: dt.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def current_plan(plans: list[Plan], on: dt.date) -> Plan | None:
    """The plan in force on `on`: the newest non-draft plan that has started, else the
    newest plan of any status (as the chart shows)."""
    ordered = sorted(plans, key=lambda p: -p.version)
    for plan in ordered:
        if plan.status != "draft" and plan.start <= on:
            return plan
    return ordered[0] if ordered else None


def staff_day(staff: StaffMember, *, on: dt.date) -> Day:
    """A peer specialist's day: notes dated today, drafts to finish or sign, and the people
    on their caseload today with what needs attention, and their groups (`groups_of`).
    Seven queries."""
    notes = list(
        ServiceNote.objects.filter(staff=staff)
        .filter(Q(date=on) | Q(status=NoteStatus.DRAFT))
        .select_related("person", "goal")
        .order_by("date", "start_time", "pk")
    )
    today_notes = [n for n in notes if n.date == on and n.status != NoteStatus.DRAFT]
    # A draft is stale past the signing deadline of the pack of the peer's program.
    stale_before = unsigned_stale_before(staff.pk, on)
    drafts = [
        DraftRow(n, stale_before is not None and n.date < stale_before, (on - n.date).days)
        for n in notes
        if n.status == NoteStatus.DRAFT
    ]

    assignments = list(
        CaseloadAssignment.objects.filter(_active(on), staff=staff)
        .select_related("person__payer")
        .prefetch_related(
            Prefetch(
                "person__plans",
                queryset=Plan.objects.select_related("crisis_plan").order_by("-version"),
            )
        )
        .order_by("person__last_name", "person__first_name", "person__pk")
    )
    people = {a.person_id: a.person for a in assignments}
    auths: dict[int, list[Authorization]] = defaultdict(list)
    for a in Authorization.objects.filter(
        person_id__in=people, status__in=("approved", "partial"), end__gte=on
    ).order_by("start"):
        auths[a.person_id].append(a)
    current_auths = {
        pid: next((a for a in rows if a.start <= on <= a.end), None) for pid, rows in auths.items()
    }
    units = authorization_units([a.pk for a in current_auths.values() if a is not None], on=on)
    rows: list[CaseloadRow] = []
    seen: set[int] = set()
    for assignment in assignments:
        person = assignment.person
        if person.pk in seen:
            continue
        seen.add(person.pk)
        plan = current_plan(list(person.plans.all()), on)
        current = current_auths.get(person.pk)
        left: int | None = None
        if current is not None and current.units_approved is not None:
            left = units[current.pk].left
        rows.append(CaseloadRow(person, plan, current, left, _attention(plan, current, left, on)))
    return Day(staff, on, today_notes, drafts, rows, list(groups_of(staff, on=on)))


def _attention(
    plan: Plan | None, auth: Authorization | None, left: int | None, on: dt.date
) -> list[Attention]:
    out: list[Attention] = []
    if auth is None:
        out.append(Attention("No approved authorization covers today"))
    else:
        days = (auth.end - on).days
        if days <= AUTH_ENDING_DAYS:
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            out.append(Attention(f"Authorization ends {when} ({fmt.day_short(auth.end)})"))
        if left is not None and left < FEW_UNITS:
            out.append(Attention(f"{max(left, 0)} unit{'s' if left != 1 else ''} left"))
    if plan is None:
        out.append(Attention("No plan yet: write it together"))
    else:
        days = (plan.review_due - on).days
        if days < 0:
            out.append(Attention(f"Plan review was due {fmt.day_short(plan.review_due)}"))
        elif days <= REVIEW_SOON_DAYS:
            out.append(Attention(f"Plan review due {fmt.day_short(plan.review_due)}", "info"))
        if not hasattr(plan, "crisis_plan"):
            out.append(Attention("No crisis plan yet"))
    return out


def supervisees_of(staff: StaffMember, *, on: dt.date) -> QuerySet[StaffMember]:
    """The peer specialists `staff` supervises on `on`."""
    ids = SupervisionAssignment.objects.filter(_active(on), supervisor=staff).values("staff_id")
    return StaffMember.objects.filter(pk__in=ids).order_by("last_name", "first_name")


@dataclass(frozen=True)
class PlanChoice:
    goal: Goal
    interventions: list[Intervention]


def plan_choices(person: Person, *, on: dt.date) -> tuple[Plan | None, list[PlanChoice]]:
    """The current plan's goals and interventions, for choosing what a note is about."""
    plan = current_plan(list(person.plans.all()), on)
    if plan is None:
        return None, []
    goals = plan.goals.prefetch_related("interventions").order_by("order", "pk")
    return plan, [PlanChoice(g, list(g.interventions.all())) for g in goals]


def note_for_page(note_id: int) -> ServiceNote | None:
    return (
        ServiceNote.objects.select_related(
            "person__payer",
            "staff",
            "goal",
            "intervention",
            "signed_by",
            "amends",
            "group_session",
        )
        .filter(pk=note_id)
        .first()
    )


def plan_choices_for(
    people: list[Person], *, on: dt.date
) -> dict[int, tuple[Plan | None, list[PlanChoice]]]:
    """`plan_choices` for many people at once (a group's attendees), in three queries."""
    plans: dict[int, list[Plan]] = defaultdict(list)
    for row in Plan.objects.filter(person__in=people).order_by("-version"):
        plans[row.person_id].append(row)
    current = {p.pk: current_plan(plans[p.pk], on) for p in people}
    goals: dict[int, list[Goal]] = defaultdict(list)
    for goal in (
        Goal.objects.filter(plan__in=[p for p in current.values() if p is not None])
        .select_related("plan")
        .prefetch_related(Prefetch("interventions", queryset=Intervention.objects.order_by("pk")))
        .order_by("order", "pk")
    ):
        goals[goal.plan_id].append(goal)
    out: dict[int, tuple[Plan | None, list[PlanChoice]]] = {}
    for person in people:
        plan = current[person.pk]
        choices = (
            [PlanChoice(g, list(g.interventions.all())) for g in goals[plan.pk]] if plan else []
        )
        out[person.pk] = (plan, choices)
    return out


@dataclass
class GroupPage:
    session: GroupSession
    facilitators: list[StaffMember]
    attendances: list[GroupAttendance]
    notes: dict[int, ServiceNote]  # person id -> the current note about them in this group


def group_for_page(session_id: int) -> GroupPage | None:
    """A group session with its facilitators, attendees and notes, in four queries."""
    session = GroupSession.objects.select_related("agency", "site").filter(pk=session_id).first()
    if session is None:
        return None
    facilitators = list(session.facilitators.order_by("last_name", "first_name", "pk"))
    attendances = list(
        GroupAttendance.objects.filter(session=session)
        .select_related("person__payer")
        .order_by("person__last_name", "person__first_name", "person__pk")
    )
    notes: dict[int, ServiceNote] = {}
    # Oldest first, so an amendment (newer) stands for the note it replaces.
    for note in ServiceNote.objects.filter(group_session=session).order_by("pk"):
        notes[note.person_id] = note
    return GroupPage(session, facilitators, attendances, notes)


def groups_of(staff: StaffMember, *, on: dt.date) -> QuerySet[GroupSession]:
    """The groups `staff` leads that belong on their day: today's, and those of the last
    two weeks (or the coming week) where someone checked in has no signed note yet."""
    done = Q(notes__status__in=(NoteStatus.SIGNED, NoteStatus.AMENDED), notes__amends=None)
    return (
        GroupSession.objects.filter(
            facilitators=staff,
            date__gte=on - dt.timedelta(days=OPEN_GROUP_DAYS),
            date__lte=on + dt.timedelta(days=7),
        )
        .annotate(
            attending=Count("attendees", distinct=True),
            signed=Count("notes", filter=done, distinct=True),
        )
        .filter(Q(date=on) | Q(signed__lt=F("attending")) | Q(attending=0))
        .order_by("date", "start_time", "pk")
    )
