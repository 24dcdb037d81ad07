"""Due dates, a named engine relation: the supervisor's face-to-face contacts,
professional evaluations, plan reviews, authorizations ending, certifications, trainings
and notes not signed in time. Every deadline comes from the pack (and contract variant)
the assignment relation gives the person on the day, or from the pack of the staff
member's program; each item carries the citation of the figure it was computed from, and
says so when that figure is only assumed. Each kind of record is read for the whole team
in one query."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Max, Min, Q
from django.db.models.functions import Lower

from peerpath.authorizations.models import Authorization, AuthStatus
from peerpath.core import formatting as fmt
from peerpath.people.models import Episode, Person
from peerpath.plans.models import Plan
from peerpath.services.models import NoteStatus, ServiceNote
from peerpath.staff.models import (
    Certification,
    ContactKind,
    Evaluation,
    Role,
    StaffMember,
    SupervisorContact,
    Training,
)

from .engine import Citation, citation_for
from .parameters import Pack
from .relations import add_months

READS: dict[str, tuple[str, ...]] = {
    "due.contact": ("supervision.first_contact_days", "supervision.contact_interval_days"),
    "due.evaluation": ("evaluation.first_due_months", "evaluation.interval_months"),
    "due.plan_review": ("plan.review_interval_days", "plan.name"),
    "due.authorization": ("authorization.prior_approval_required",),
    "due.certification": ("credential.renewal_years", "credential.required"),
    "due.training": ("training.requirements",),
    "due.unsigned_note": ("documentation.sign_within_days",),
}


class PackCache:
    """The pack judging each person on one day (their contract variant, from the
    assignment relation) and the pack of the program's state for staff."""

    def __init__(self, on: dt.date, people: Sequence[int] = (), staff: Sequence[int] = ()) -> None:
        from .api import packs_in_force
        from .relations import staff_packs

        self.on = on
        self._people = {pid: p.pack for pid, p in packs_in_force(people, on).items()}
        self._staff = staff_packs(staff, on)

    def _figure(self, pack: Pack | None, key: str) -> tuple[object, Citation] | None:
        if pack is None:
            return None
        try:
            entry = pack.entry(key, self.on)
        except LookupError:
            return None
        if entry.value is None:
            return None
        return entry.value, citation_for(pack, key, self.on)

    def person(self, person_id: int, key: str) -> tuple[object, Citation] | None:
        """The figure judging the person on the day, with its citation; None when no pack
        is in force or the pack states no figure (value null)."""
        return self._figure(self._people.get(person_id), key)

    def staff(self, staff_id: int, key: str) -> tuple[object, Citation] | None:
        return self._figure(self._staff.get(staff_id), key)


# How far ahead the board looks for things coming due. These are screen choices, not
# policy figures: the deadlines themselves come from the pack.
SOON_DAYS = {
    "contact": 14,
    "evaluation": 30,
    "plan_review": 30,
    "authorization": 14,
    "certification": 60,
    "training": 30,
    "outcome": 14,
}
SHOWN = 8  # items of a due list shown before "Show more"
# Which roles each training requirement's `who` applies to (as the training rules read it).
TRAINING_ROLES: Mapping[str, tuple[str, ...]] = {
    "all": (Role.CPSS.value, Role.SUPERVISOR.value),
    "supervisor": (Role.SUPERVISOR.value,),
}


def _active(day: dt.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


@dataclass(frozen=True)
class DueItem:
    """One thing due or overdue. `due` is the last day it may be done on; it is overdue
    from the day after. `action` names the form that clears it from the board, if any."""

    kind: str
    what: str
    due: dt.date
    on: dt.date
    citation: Citation | None
    person: Person | None = None
    staff: StaffMember | None = None
    action: str = ""
    note_id: int | None = None
    instrument: str = ""  # an outcome measure's instrument code
    occasion: str = ""  # ... and its occasion (admission, follow_up, discharge)

    @property
    def days_over(self) -> int:
        return (self.on - self.due).days

    @property
    def overdue(self) -> bool:
        return self.days_over > 0

    @property
    def status(self) -> str:
        days = self.days_over
        if days > 0:
            return f"{days} day{'s' if days != 1 else ''} overdue"
        if days == 0:
            return "due today"
        return f"due in {-days} day{'s' if days != -1 else ''}"


DUE_KINDS = (
    ("contact", "Supervisor face-to-face contacts"),
    ("evaluation", "Professional evaluations"),
    ("plan_review", "Plan reviews"),
    ("authorization", "Authorizations ending"),
    ("certification", "Certifications"),
    ("training", "Trainings"),
    ("unsigned_note", "Notes not signed in time"),
    ("outcome", "Outcome measures"),
)


@dataclass
class DueList:
    kind: str
    title: str
    items: list[DueItem]

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)

    @cached_property
    def citation(self) -> Citation | None:
        """The citation every item shares (shown once for the list), or None when they
        differ (each item shows its own)."""
        found = {i.citation.short() if i.citation else "" for i in self.items}
        return self.items[0].citation if len(found) == 1 else None

    @property
    def first(self) -> list[DueItem]:
        return self.items[:SHOWN]

    @property
    def rest(self) -> list[DueItem]:
        return self.items[SHOWN:]


# ---- due and overdue ------------------------------------------------------------------------


def _soon(kind: str, due: dt.date, on: dt.date) -> bool:
    return due <= on + dt.timedelta(days=SOON_DAYS[kind])


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def due_lists(
    *,
    peers: list[StaffMember],
    staff: list[StaffMember],
    people: dict[int, Person],
    on: dt.date,
) -> list[DueList]:
    """What is due or overdue for the team: `peers` are its peer specialists, `staff` all
    whose trainings count (the peers, other team members and the supervisor), `people`
    those on the peers' caseloads today."""
    ids = list(people)
    packs = PackCache(on, ids, sorted({s.pk for s in staff} | {p.pk for p in peers}))
    items: dict[str, list[DueItem]] = {kind: [] for kind, _ in DUE_KINDS}
    items["contact"] = _contacts_due(people, packs, on)
    items["evaluation"] = _evaluations_due(people, packs, on)
    items["plan_review"] = _plan_reviews_due(people, packs, on)
    items["authorization"] = _authorizations_ending(people, packs, on)
    items["certification"] = _certifications_due(peers, packs, on)
    items["training"] = _trainings_due(staff, packs, on)
    items["unsigned_note"] = _unsigned_notes(peers, packs, on)
    items["outcome"] = outcome_items(people, on)
    return [
        DueList(kind, title, sorted(items[kind], key=lambda i: (i.due, i.what)))
        for kind, title in DUE_KINDS
    ]


def outcome_items(people: Mapping[int, Person], on: dt.date) -> list[DueItem]:
    """Outcome measures due for these people (peerpath.policy.outcomes_due), as due items."""
    from .outcomes_due import measures_due

    return [
        DueItem(
            "outcome",
            f"{m.instrument}: {m.occasion.what}",
            m.occasion.due,
            on,
            m.citation,
            person=m.person,
            action="outcome",
            instrument=m.instrument,
            occasion=m.occasion.occasion,
        )
        for m in measures_due(people, on=on, soon_days=SOON_DAYS["outcome"])
    ]


def _contacts_due(people: dict[int, Person], packs: PackCache, on: dt.date) -> list[DueItem]:
    """The supervisor's face-to-face contact with each person: the first within N days of
    the first service, then at most M days apart (pack parameters)."""
    ids = list(people)
    # The status goes in the aggregate's filter, not the WHERE clause: there it would lead
    # the database to the (unselective) status index instead of the person's.
    judged = Q(status__in=(NoteStatus.SIGNED, NoteStatus.DRAFT))
    first = {
        pid: day
        for pid, day in ServiceNote.objects.filter(person_id__in=ids)
        .values("person_id")
        .annotate(first=Min("date", filter=judged))
        .values_list("person_id", "first")
        if day is not None
    }
    last = dict(
        SupervisorContact.objects.filter(person_id__in=ids, kind=ContactKind.FACE_TO_FACE)
        .values("person_id")
        .annotate(last=Max("date"))
        .values_list("person_id", "last")
    )
    out: list[DueItem] = []
    for pid, person in people.items():
        if pid in last:
            found = packs.person(pid, "supervision.contact_interval_days")
            if found is None or _int(found[0]) is None:
                continue
            due = last[pid] + dt.timedelta(days=int(str(found[0])))
            what = f"Face-to-face contact (last one {fmt.day(last[pid])})"
        elif pid in first:
            found = packs.person(pid, "supervision.first_contact_days")
            if found is None or _int(found[0]) is None:
                continue
            due = first[pid] + dt.timedelta(days=int(str(found[0])))
            what = f"First face-to-face contact (peer support began {fmt.day(first[pid])})"
        else:
            continue
        if _soon("contact", due, on):
            out.append(DueItem("contact", what, due, on, found[1], person=person, action="contact"))
    return out


def _evaluations_due(people: dict[int, Person], packs: PackCache, on: dt.date) -> list[DueItem]:
    """The professional evaluation (SC: an MHP's, within 6 months of admission, then every
    12 months), where the pack schedules one."""
    wanted = {
        pid: p
        for pid, p in people.items()
        if packs.person(pid, "evaluation.first_due_months") is not None
    }
    if not wanted:
        return []
    episodes: dict[int, dt.date] = {}
    for pid, start in (
        Episode.objects.filter(_active(on), person_id__in=list(wanted))
        .order_by("person_id", "start")
        .values_list("person_id", "start")
    ):
        episodes[pid] = start  # the latest episode open today
    last = dict(
        Evaluation.objects.filter(person_id__in=list(wanted))
        .values("person_id")
        .annotate(last=Max("date"))
        .values_list("person_id", "last")
    )
    out: list[DueItem] = []
    for pid, person in wanted.items():
        admitted = episodes.get(pid)
        if admitted is None:
            continue
        evaluated = last.get(pid)
        if evaluated is not None and evaluated >= admitted:
            found = packs.person(pid, "evaluation.interval_months")
            months = _int(found[0]) if found else None
            if found is None or months is None:
                continue
            due = add_months(evaluated, months)
            what = f"Evaluation (last one {fmt.day(evaluated)})"
        else:
            found = packs.person(pid, "evaluation.first_due_months")
            months = _int(found[0]) if found else None
            if found is None or months is None:
                continue
            due = add_months(admitted, months)
            what = f"First evaluation (admitted {fmt.day(admitted)})"
        if _soon("evaluation", due, on):
            out.append(
                DueItem("evaluation", what, due, on, found[1], person=person, action="evaluation")
            )
    return out


def _plan_reviews_due(people: dict[int, Person], packs: PackCache, on: dt.date) -> list[DueItem]:
    """The review date of the plan in force (the newest started, non-draft version)."""
    current: dict[int, tuple[int, dt.date]] = {}
    for pid, version, review_due in (
        Plan.objects.filter(person_id__in=list(people), start__lte=on)
        .exclude(status="draft")
        .values_list("person_id", "version", "review_due")
    ):
        if pid not in current or version > current[pid][0]:
            current[pid] = (version, review_due)
    out: list[DueItem] = []
    for pid, (_, review_due) in current.items():
        person = people[pid]
        if not _soon("plan_review", review_due, on):
            continue
        found = packs.person(pid, "plan.review_interval_days")
        name = packs.person(pid, "plan.name")
        label = str(name[0]) if name else "plan"
        out.append(
            DueItem(
                "plan_review",
                f"Review the {label} with the person",
                review_due,
                on,
                found[1] if found else None,
                person=person,
            )
        )
    return out


def _authorizations_ending(
    people: dict[int, Person], packs: PackCache, on: dt.date
) -> list[DueItem]:
    """The person's last approved authorization ends soon (or has ended) and no request
    for the time after it is waiting for a decision: ask for a continued stay in time.
    One query."""
    latest: dict[int, Authorization] = {}
    requests: dict[int, list[dt.date]] = defaultdict(list)
    for auth in Authorization.objects.filter(person_id__in=list(people)).only(
        "pk", "person_id", "number", "status", "start", "end"
    ):
        if auth.status in (AuthStatus.APPROVED, AuthStatus.PARTIAL):
            if auth.person_id not in latest or auth.end > latest[auth.person_id].end:
                latest[auth.person_id] = auth
        elif auth.status == AuthStatus.REQUESTED:
            requests[auth.person_id].append(auth.start)
    out: list[DueItem] = []
    for pid, auth in latest.items():
        if any(start > auth.start for start in requests[pid]):
            continue  # a continued-stay request is waiting for a decision
        if not _soon("authorization", auth.end, on):
            continue
        person = people[pid]
        found = packs.person(pid, "authorization.prior_approval_required")
        verb = "ended" if auth.end < on else "ends"
        number = f" {auth.number}" if auth.number else ""
        out.append(
            DueItem(
                "authorization",
                f"Authorization{number} {verb}; no continued-stay request yet",
                auth.end,
                on,
                found[1] if found else None,
                person=person,
            )
        )
    return out


def _certifications_due(peers: list[StaffMember], packs: PackCache, on: dt.date) -> list[DueItem]:
    """Each peer specialist's certification: expired, expiring soon, or none on file."""
    spans: dict[int, list[tuple[dt.date, dt.date | None, str]]] = defaultdict(list)
    for staff_id, start, end, kind in Certification.objects.filter(
        staff_id__in=[p.pk for p in peers]
    ).values_list("staff_id", "start", "end", "kind"):
        spans[staff_id].append((start, end, kind))
    out: list[DueItem] = []
    for peer in peers:
        found = packs.staff(peer.pk, "credential.renewal_years")
        required = packs.staff(peer.pk, "credential.required")
        citation = found[1] if found else (required[1] if required else None)
        certs = spans.get(peer.pk, [])
        if any(end is None for _, end, _ in certs):
            continue  # an open-ended certification
        if not certs:
            if peer.hire_date is None:
                continue
            out.append(
                DueItem(
                    "certification",
                    "No certification on file",
                    peer.hire_date,
                    on,
                    required[1] if required else citation,
                    staff=peer,
                )
            )
            continue
        _, end, kind = max(certs, key=lambda c: c[1] or dt.date.max)
        assert end is not None
        if _soon("certification", end, on):
            verb = "expired" if end < on else "expires"
            out.append(DueItem("certification", f"{kind} {verb}", end, on, citation, staff=peer))
    return out


def _trainings_due(staff: list[StaffMember], packs: PackCache, on: dt.date) -> list[DueItem]:
    """Required trainings not done by their deadline (N days after hire), and this year's
    continuing-education hours, from the pack's training table."""
    done: dict[tuple[int, str], list[tuple[dt.date, float]]] = defaultdict(list)
    for staff_id, topic, spent, completed in Training.objects.filter(
        staff_id__in=[s.pk for s in staff]
    ).values_list("staff_id", "topic", "hours", "completed_on"):
        done[(staff_id, topic)].append((completed, float(spent)))
    out: list[DueItem] = []
    for member in staff:
        found = packs.staff(member.pk, "training.requirements")
        if member.hire_date is None or found is None or not isinstance(found[0], Sequence):
            continue
        for req in [r for r in found[0] if isinstance(r, Mapping)]:
            roles = TRAINING_ROLES.get(str(req.get("who") or "all"), (str(req.get("who")),))
            hours = req.get("hours")
            due_rule = req.get("due")
            if member.role not in roles or not isinstance(hours, int | float):
                continue
            if not isinstance(due_rule, Mapping):
                continue
            req_id = str(req.get("id"))
            topic = str(req.get("topic") or req_id)
            records = done[(member.pk, req_id)]
            if due_rule.get("days_after_hire") is not None:
                deadline = member.hire_date + dt.timedelta(
                    days=int(str(due_rule["days_after_hire"]))
                )
                got = sum(h for _, h in records)
                if got >= hours or not _soon("training", deadline, on):
                    continue
                what = f"{topic}: {got:g} of {hours:g} hours done"
            elif due_rule.get("every_months"):
                months = int(str(due_rule["every_months"]))
                k = 0
                while add_months(member.hire_date, (k + 1) * months) <= on:
                    k += 1
                p_from = add_months(member.hire_date, k * months)
                deadline = add_months(member.hire_date, (k + 1) * months) - dt.timedelta(days=1)
                got = sum(h for day, h in records if p_from <= day <= deadline)
                if got >= hours or not _soon("training", deadline, on):
                    continue
                what = f"{topic}: {got:g} of {hours:g} hours since {fmt.day(p_from)}"
            else:
                continue
            out.append(DueItem("training", what, deadline, on, found[1], staff=member))
    return out


def unsigned_stale_before(staff_id: int, on: dt.date) -> dt.date | None:
    """A draft of this staff member dated before the returned day is past the signing
    deadline of the pack of their program on `on` (None: the pack sets no deadline)."""
    found = PackCache(on, staff=[staff_id]).staff(staff_id, "documentation.sign_within_days")
    days = _int(found[0]) if found else None
    return on - dt.timedelta(days=days) if days is not None else None


def _unsigned_notes(peers: list[StaffMember], packs: PackCache, on: dt.date) -> list[DueItem]:
    """Drafts older than the signing deadline of the pack of each peer's program."""
    limits = {p.pk: packs.staff(p.pk, "documentation.sign_within_days") for p in peers}
    found_days = [_int(f[0]) for f in limits.values() if f is not None]
    if not found_days:
        return []
    days = min(d for d in found_days if d is not None)
    # The status is compared through LOWER() so that the database reads the team's notes by
    # the staff index rather than every draft of the agency by the status index.
    notes = (
        ServiceNote.objects.filter(staff_id__in=list(limits), date__lt=on - dt.timedelta(days=days))
        .annotate(state=Lower("status"))
        .filter(state=NoteStatus.DRAFT)
        .select_related("person", "staff")
        .order_by("date", "pk")
    )
    out: list[DueItem] = []
    for n in notes:
        found = limits.get(n.staff_id)
        mine = _int(found[0]) if found else None
        if found is None or mine is None or n.date >= on - dt.timedelta(days=mine):
            continue
        out.append(
            DueItem(
                "unsigned_note",
                f"Note of {fmt.day(n.date)} by {n.staff.full_name} not signed",
                n.date + dt.timedelta(days=mine),
                on,
                found[1],
                person=n.person,
                staff=n.staff,
                note_id=n.pk,
            )
        )
    return out
