"""Reads for the supervisor's board: who is on the team, caseloads against the pack's ratio
on every day of a period, what is due or overdue, and the policy findings by rule.

Every figure comes from the policy pack in force (with its citation). The board issues a
fixed number of queries however large the team is: each kind of record is read for the
whole team in one query and sorted out in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from peerpath.access.scope import staff_of
from peerpath.people.models import Person

from .due import DueList, due_lists
from .figures import Figure, PackCache, figure, limit_segments
from .models import CaseloadAssignment, Role, StaffMember, SupervisionAssignment

PERIODS = (30, 90, 180)  # days a supervisor may look back over
SUPERVISING = frozenset({Role.SUPERVISOR.value, Role.MHP.value})


def _active(day: dt.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def _overlapping(lo: dt.date, hi: dt.date) -> Q:
    return Q(start__lte=hi) & (Q(end__isnull=True) | Q(end__gte=lo))


# ---- the team ------------------------------------------------------------------------------


@dataclass
class Team:
    """Whose board this is: a supervisor (or MHP) and the staff they supervise on the day.
    `choices` lists the supervisors an administrator may pick from."""

    supervisor: StaffMember | None
    members: list[StaffMember]
    choices: list[StaffMember] = field(default_factory=list)

    @property
    def peers(self) -> list[StaffMember]:
        return [m for m in self.members if m.role == Role.CPSS]

    @property
    def staff_ids(self) -> list[int]:
        ids = [m.pk for m in self.members]
        if self.supervisor is not None:
            ids.append(self.supervisor.pk)
        return ids


def supervisors_for_admin(user: object) -> QuerySet[StaffMember]:
    """The supervisors and MHPs an administrator may open the board of: their agency's (a
    site administrator without a staff record: every agency's)."""
    staff = staff_of(user)  # type: ignore[arg-type]
    qs = StaffMember.objects.filter(role__in=SUPERVISING).select_related("agency")
    if staff is not None:
        qs = qs.filter(agency_id=staff.agency_id) if staff.agency_id is not None else qs.none()
    return qs.order_by("last_name", "first_name", "pk")


def supervision_spans(
    supervisor: StaffMember, lo: dt.date, hi: dt.date
) -> list[SupervisionAssignment]:
    return list(
        SupervisionAssignment.objects.filter(_overlapping(lo, hi), supervisor=supervisor)
        .select_related("staff")
        .order_by("staff__last_name", "staff__first_name", "staff_id", "start")
    )


def team_on(spans: Iterable[SupervisionAssignment], day: dt.date) -> list[StaffMember]:
    """The staff supervised on `day`, from supervision spans, each once, employed then."""
    seen: dict[int, StaffMember] = {}
    for span in spans:
        active = span.start <= day and (span.end is None or span.end >= day)
        if active and (span.staff.end_date is None or span.staff.end_date >= day):
            seen.setdefault(span.staff_id, span.staff)
    return list(seen.values())


# ---- headcounts over a period (an event sweep, as the ratio rules count) ---------------------


@dataclass(frozen=True)
class Load:
    """How many (people, or peer specialists) someone had: today, at most in the period
    and on which day first, and the days over the pack's limit."""

    today: int
    peak: int
    peak_on: dt.date | None
    days_over: int
    first_over: dt.date | None
    limit_today: int | None

    @property
    def over_today(self) -> bool:
        return self.limit_today is not None and self.today > self.limit_today

    @property
    def room(self) -> int | None:
        return None if self.limit_today is None else self.limit_today - self.today


def _merged(spans: Iterable[tuple[int, dt.date, dt.date | None]]) -> list[tuple[dt.date, dt.date]]:
    """Spans (member, start, end) merged per member so that nobody is counted twice;
    returns (start, last day) with open spans ending at date.max."""
    by_member: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for member, start, end in spans:
        by_member[member].append((start, end or dt.date.max))
    out: list[tuple[dt.date, dt.date]] = []
    for rows in by_member.values():
        rows.sort()
        cur_start, cur_end = rows[0]
        for start, end in rows[1:]:
            if start <= cur_end or (cur_end != dt.date.max and start == cur_end + dt.timedelta(1)):
                cur_end = max(cur_end, end)
            else:
                out.append((cur_start, cur_end))
                cur_start, cur_end = start, end
        out.append((cur_start, cur_end))
    return out


def headcount(
    spans: Iterable[tuple[int, dt.date, dt.date | None]],
    limits: Sequence[tuple[dt.date, dt.date, int | None]],
    lo: dt.date,
    hi: dt.date,
) -> Load:
    """Count members on each day of [lo, hi] from their spans, without a calendar of days:
    +1 on each span's first day, -1 the day after its last, a running sum in date order."""
    delta: dict[dt.date, int] = defaultdict(int)
    for start, last in _merged(spans):
        delta[max(start, lo)] += 1
        if last < dt.date.max:
            delta[last + dt.timedelta(days=1)] -= 1
    days = sorted(delta)
    # Stretches of constant count: (first, last, count), clipped to [lo, hi].
    stretches: list[tuple[dt.date, dt.date, int]] = []
    count = 0
    for i, day in enumerate(days):
        count += delta[day]
        nxt = days[i + 1] - dt.timedelta(days=1) if i + 1 < len(days) else hi
        first, last = max(day, lo), min(nxt, hi)
        if first <= last:
            stretches.append((first, last, count))
    if not stretches or stretches[0][0] > lo:
        stretches.insert(0, (lo, (stretches[0][0] - dt.timedelta(1)) if stretches else hi, 0))
    today = next((c for f, la, c in stretches if f <= hi <= la), 0)
    peak, peak_on = 0, None
    days_over, first_over = 0, None
    for first, last, c in stretches:
        if c > peak:
            peak, peak_on = c, first
        for l_first, l_last, limit in limits:
            a, b = max(first, l_first), min(last, l_last)
            if limit is not None and a <= b and c > limit:
                days_over += (b - a).days + 1
                first_over = a if first_over is None else min(first_over, a)
    limit_today = next((v for f, la, v in limits if f <= hi <= la), None)
    return Load(today, peak, peak_on, days_over, first_over, limit_today)


# ---- the board ------------------------------------------------------------------------------


@dataclass
class PersonRow:
    person: Person
    staff: StaffMember
    since: dt.date


@dataclass
class MemberRow:
    staff: StaffMember
    load: Load
    people: list[PersonRow]


@dataclass
class Board:
    on: dt.date
    period_days: int
    period_start: dt.date
    team: Team
    members: list[MemberRow]
    caseload_limit: Figure | None
    supervisor_limit: Figure | None
    supervisor_load: Load | None
    due: list[DueList]
    people: dict[int, Person]

    @property
    def overdue(self) -> int:
        return sum(d.overdue for d in self.due)

    @property
    def due_soon(self) -> int:
        return sum(len(d.items) for d in self.due) - self.overdue

    @property
    def people_rows(self) -> list[PersonRow]:
        return [row for m in self.members for row in m.people]


def team_board(
    supervisor: StaffMember | None,
    *,
    on: dt.date,
    period_days: int = 30,
    choices: Sequence[StaffMember] = (),
) -> Board:
    """Everything on the board of `supervisor`'s team, in a fixed number of queries."""
    lo = on - dt.timedelta(days=period_days - 1)
    packs = PackCache(on)
    agency_state = (
        supervisor.agency.state if supervisor is not None and supervisor.agency is not None else ""
    )
    agency_pack = packs.pack(agency_state)

    spans = supervision_spans(supervisor, lo, on) if supervisor is not None else []
    team = Team(supervisor, team_on(spans, on), list(choices))
    supervisor_limit = figure(agency_pack, "ratios.qp_to_cpss", on)
    supervisor_load = None
    if supervisor is not None:
        supervisor_load = headcount(
            [(s.staff_id, s.start, s.end) for s in spans if s.staff.role == Role.CPSS],
            limit_segments(agency_state, "ratios.qp_to_cpss", lo, on),
            lo,
            on,
        )

    peers = team.peers
    loads = list(
        CaseloadAssignment.objects.filter(_overlapping(lo, on), staff_id__in=[p.pk for p in peers])
        .select_related("person__payer")
        .order_by("person__last_name", "person__first_name", "person_id", "start")
    )
    by_staff: dict[int, list[CaseloadAssignment]] = defaultdict(list)
    for a in loads:
        by_staff[a.staff_id].append(a)
    limits = limit_segments(agency_state, "ratios.cpss_to_people", lo, on)
    members: list[MemberRow] = []
    people: dict[int, Person] = {}
    for peer in peers:
        rows: list[PersonRow] = []
        seen: set[int] = set()
        for a in by_staff[peer.pk]:
            if a.start <= on and (a.end is None or a.end >= on) and a.person_id not in seen:
                seen.add(a.person_id)
                rows.append(PersonRow(a.person, peer, a.start))
                people[a.person_id] = a.person
        load = headcount([(a.person_id, a.start, a.end) for a in by_staff[peer.pk]], limits, lo, on)
        members.append(MemberRow(peer, load, rows))

    staff = list(team.members) + ([supervisor] if supervisor is not None else [])
    due = due_lists(
        peers=peers, staff=staff, people=people, packs=packs, agency_state=agency_state, on=on
    )
    return Board(
        on=on,
        period_days=period_days,
        period_start=lo,
        team=team,
        members=members,
        caseload_limit=figure(agency_pack, "ratios.cpss_to_people", on),
        supervisor_limit=supervisor_limit,
        supervisor_load=supervisor_load,
        due=due,
        people=people,
    )


@dataclass
class TeamToday:
    """A team and the people on its peer specialists' caseloads today: what the findings
    are computed over (lighter than the whole board)."""

    team: Team
    people: dict[int, Person]

    @property
    def states(self) -> set[str]:
        found = {p.payer.state for p in self.people.values()}
        supervisor = self.team.supervisor
        if supervisor is not None and supervisor.agency is not None:
            found.add(supervisor.agency.state)
        return found


def team_today(supervisor: StaffMember | None, *, on: dt.date) -> TeamToday:
    """Two queries, whatever the size of the team."""
    spans = supervision_spans(supervisor, on, on) if supervisor is not None else []
    team = Team(supervisor, team_on(spans, on))
    people = {
        a.person_id: a.person
        for a in CaseloadAssignment.objects.filter(
            _active(on), staff_id__in=[p.pk for p in team.peers]
        ).select_related("person__payer")
    }
    return TeamToday(team, people)


# ---- reassigning: the ratio after a move ----------------------------------------------------


@dataclass(frozen=True)
class RatioCheck:
    """How many people the peer specialist would have on `on` after taking one more."""

    count: int
    limit: Figure | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit.value


def caseload_after_move(staff: StaffMember, person: Person, on: dt.date) -> RatioCheck:
    """The peer specialist's caseload on `on` with `person` added (two queries)."""
    others = (
        CaseloadAssignment.objects.filter(_active(on), staff=staff)
        .exclude(person=person)
        .values("person_id")
        .distinct()
        .count()
    )
    state = staff.agency.state if staff.agency is not None else ""
    pack = PackCache(on).pack(state)
    return RatioCheck(others + 1, figure(pack, "ratios.cpss_to_people", on))


def current_assignment(person: Person, on: dt.date) -> CaseloadAssignment | None:
    return (
        CaseloadAssignment.objects.filter(_active(on), person=person)
        .select_related("staff")
        .order_by("-start", "-pk")
        .first()
    )


def supervisor_of(staff: StaffMember, on: dt.date) -> StaffMember | None:
    span = (
        SupervisionAssignment.objects.filter(_active(on), staff=staff)
        .select_related("supervisor__agency")
        .order_by("-start", "-pk")
        .first()
    )
    return span.supervisor if span is not None else None
