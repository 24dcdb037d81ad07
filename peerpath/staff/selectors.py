"""Reads for the supervisor's board: who is on the team, caseloads against the pack's ratio
on every day of a period, what is due or overdue, and the policy findings by rule.

Head-counts, limits and due dates are the policy engine's relations (peerpath.policy.api:
`caseloads`, `supervisor_loads`, `due_lists`), with their citations; this module only
gathers the team. The board issues a fixed number of queries however large the team is.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from time import monotonic

from django.conf import settings
from django.db.models import Q, QuerySet

from peerpath.access.scope import staff_of
from peerpath.audit.models import ChangeRecord
from peerpath.people.models import Person
from peerpath.policy.api import (
    DueList,
    Limit,
    Load,
    RatioCheck,
    caseloads,
    due_lists,
    limit_figure,
    staff_packs,
    supervisor_loads,
)
from peerpath.policy.api import (
    caseload_after_move as _after_move,
)

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
    caseload_limit: Limit | None
    supervisor_limit: Limit | None
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
    spans = supervision_spans(supervisor, lo, on) if supervisor is not None else []
    team = Team(supervisor, team_on(spans, on), list(choices))
    supervisor_load = None
    supervisor_limit = None
    peers = team.peers
    staff = list(team.members) + ([supervisor] if supervisor is not None else [])
    # One look-up for everyone on the board (the due lists ask the same, and a reading
    # request gets the engine's answer once: peerpath.policy.memo).
    packs = staff_packs(sorted({s.pk for s in staff} | {p.pk for p in peers}), on)
    if supervisor is not None:
        supervisor_load = supervisor_loads([supervisor.pk], lo, on)[supervisor.pk]
        supervisor_limit = limit_figure(packs.get(supervisor.pk), "ratios.qp_to_cpss", on)

    loads = list(
        CaseloadAssignment.objects.filter(_overlapping(lo, on), staff_id__in=[p.pk for p in peers])
        .select_related("person__payer")
        .order_by("person__last_name", "person__first_name", "person_id", "start")
    )
    by_staff: dict[int, list[CaseloadAssignment]] = defaultdict(list)
    for a in loads:
        by_staff[a.staff_id].append(a)
    counted = caseloads([p.pk for p in peers], lo, on)
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
        members.append(MemberRow(peer, counted[peer.pk], rows))

    due = due_lists(peers=peers, staff=staff, people=people, on=on)
    caseload_limit = None
    if peers:
        caseload_limit = limit_figure(packs.get(peers[0].pk), "ratios.cpss_to_people", on)
    elif supervisor is not None:
        caseload_limit = limit_figure(packs.get(supervisor.pk), "ratios.cpss_to_people", on)
    return Board(
        on=on,
        period_days=period_days,
        period_start=lo,
        team=team,
        members=members,
        caseload_limit=caseload_limit,
        supervisor_limit=supervisor_limit,
        supervisor_load=supervisor_load,
        due=due,
        people=people,
    )


# ---- the board between requests -----------------------------------------------------------
#
# A supervisor's board is their landing page and is opened again and again in a day; between
# two openings usually nothing on it has changed. Every write PeerPath makes to what the board
# shows (notes, contacts, evaluations, plans, authorizations, trainings, caseloads, outcomes,
# parameter overrides, through the services, the admin or an import) writes a change record in
# the same transaction (`peerpath.core.services`), so the newest change record's id tells
# whether anything may have changed: a board computed after it was read is reused until a
# newer change record exists, the day turns, or `PEERPATH_BOARD_CACHE_SECONDS` pass (a bound
# for writes made outside PeerPath, such as SQL by hand). Each server process keeps its own
# few boards; 0 seconds turns this off (the test settings do: factories write no history).

_BOARDS: OrderedDict[tuple[object, ...], tuple[float, Board]] = OrderedDict()
_BOARDS_LOCK = threading.Lock()
_BOARDS_KEPT = 64
_clock = monotonic  # the tests move it


def data_version() -> int:
    """The id of the newest change record: grows with every write PeerPath records."""
    newest = ChangeRecord.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def board_for(
    supervisor: StaffMember | None,
    *,
    on: dt.date,
    period_days: int = 30,
    choices: Sequence[StaffMember] = (),
) -> Board:
    """`team_board`, reused from an earlier request while nothing it shows can have changed
    (see above). The board returned is shared: read it, don't change it."""
    seconds = float(getattr(settings, "PEERPATH_BOARD_CACHE_SECONDS", 0))
    if seconds <= 0:
        return team_board(supervisor, on=on, period_days=period_days, choices=choices)
    key = (supervisor.pk if supervisor is not None else None, on, period_days, data_version())
    now = _clock()
    with _BOARDS_LOCK:
        kept = _BOARDS.get(key)
        if kept is not None and now - kept[0] < seconds:
            _BOARDS.move_to_end(key)
            board = kept[1]
            return replace(board, team=replace(board.team, choices=list(choices)))
    board = team_board(supervisor, on=on, period_days=period_days)
    with _BOARDS_LOCK:
        _BOARDS[key] = (now, board)
        _BOARDS.move_to_end(key)
        while len(_BOARDS) > _BOARDS_KEPT:
            _BOARDS.popitem(last=False)
    return replace(board, team=replace(board.team, choices=list(choices)))


def forget_boards() -> None:
    with _BOARDS_LOCK:
        _BOARDS.clear()


def team_loads(
    supervisor: StaffMember, *, on: dt.date, period_days: int
) -> tuple[list[tuple[StaffMember, Load]], Load | None]:
    """Each peer specialist's caseload and the supervisor's peer specialists on every day
    of the period (the engine's head-counts), for the board's chart, without the rest of
    the board."""
    lo = on - dt.timedelta(days=period_days - 1)
    team = Team(supervisor, team_on(supervision_spans(supervisor, lo, on), on))
    counted = caseloads([p.pk for p in team.peers], lo, on)
    mine = supervisor_loads([supervisor.pk], lo, on).get(supervisor.pk)
    return [(p, counted[p.pk]) for p in team.peers], mine


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


def caseload_after_move(staff: StaffMember, person: Person, on: dt.date) -> RatioCheck:
    """The peer specialist's caseload on `on` with `person` added (the engine's count)."""
    return _after_move(staff.pk, person.pk, on)


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
