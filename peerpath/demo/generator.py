"""A deterministic demo agency: a North Carolina peer support provider with six months of
records, clean by the rules of the nc-8g-2025 policy pack except for a known set of planted
defects.

    report = generate(seed=7, people=160)
    print(report.summary())

Same seed and arguments, on an empty database, give the same records with the same ids.
Everything is written in one transaction, in bulk, a team (one supervisor and up to eight
peer specialists with their people) at a time, so a hundred thousand people fit in memory.
Up to 2,000 people every record is validated (`full_clean`) before anything is written.
See docs/demo-data.md for what the agency holds and the table of planted defects.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import gc
import math
import random
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from peerpath.authorizations.models import Authorization, AuthStatus
from peerpath.consent.models import Consent, Purpose
from peerpath.core import codes
from peerpath.demo import names, texts
from peerpath.demo.bulk import ModelMaker, TableWriter
from peerpath.demo.models import DefectKind, PlantedDefect
from peerpath.organizations.models import Agency, ContractRate, Payer, PayerContract, Site
from peerpath.outcomes.demo import DemoPerson, add_measures
from peerpath.outcomes.models import Administration, Answer
from peerpath.people.models import (
    Assessment,
    Diagnosis,
    Discharge,
    DischargeReason,
    Episode,
    FamilyRelationship,
    OtherService,
    Person,
    ProgramEnrollment,
    ServiceOrder,
)
from peerpath.plans.models import (
    CrisisPlan,
    Goal,
    Intervention,
    Objective,
    Plan,
    PlanSignature,
    PlanStatus,
)
from peerpath.schedule.models import Appointment, AppointmentStatus, GroupSeries
from peerpath.services.models import GroupAttendance, GroupSession, NoteStatus, ServiceNote
from peerpath.staff.models import (
    CaseloadAssignment,
    Certification,
    Role,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)

TZ = ZoneInfo("America/New_York")
DAY = dt.timedelta(days=1)
BATCH_SIZE = 2000
VALIDATE_UP_TO = 2000  # people; above this, records are built valid but not full_clean()ed
FLUSH_EVERY = 1000  # people buffered in memory before a bulk write
CASELOAD_MAX = 11  # clean caseloads stay at or under this (the pack allows 12)
SUPERVISEES_MAX = 8  # the pack's QP:CPSS ratio
OVER_RATIO_CASELOAD = 13
OVER_SIZE_GROUP = 13
PACK_ID = "nc-8g-2025"

CERT_KIND = "NC Certified Peer Support Specialist"
RATE_SOURCE = "LME-MCO fee schedule 2019 (secondary)"
RATES = (("", Decimal("11.97")), ("HQ", Decimal("2.88")))
CONTRACT_START = dt.date(2019, 11, 1)

AGENCY = {
    "name": "Willow Creek Peer Recovery Collective",
    "address": "410 Foster St",
    "city": "Durham",
    "postal_code": "27701-2813",  # ZIP+4: an 837P billing provider needs all nine digits
    "phone": "919-555-0100",
}
SITES = (
    ("Willow Creek Durham", "410 Foster St", "Durham", "27701", "919-555-0100"),
    ("Willow Creek Fayetteville", "225 Hay St", "Fayetteville", "28301", "910-555-0101"),
)
PAYERS = (
    ("Briar Ridge Health Partners", "BRHP1", "briarridge.example"),
    ("Cedar Sound Managed Care", "CSMC2", "cedarsound.example"),
)
STAFF_DOMAIN = "willowcreekpeers.example"

SUD_CODES = ("F11.20", "F10.20", "F14.20", "F15.20", "F12.20", "F11.21", "F10.21", "F13.20")
MH_CODES = (
    "F33.1",
    "F31.81",
    "F20.9",
    "F25.0",
    "F41.1",
    "F43.10",
    "F60.3",
    "F32.A",
    "F33.0",
    "F31.9",
    "F43.12",
    "F20.0",
    "F25.1",
    "F33.2",
)
CLINICIAN_CREDENTIALS = ("LCSW", "LCAS", "LPC", "MD", "DO", "LP", "LCSW", "LPC", "LCAS", "MD")
INDIVIDUAL_ACTIVITIES = (
    "peer_mentoring",
    "resource_connecting",
    "building_community",
    "crisis_support",
    "advocacy",
)
DURATIONS = tuple(range(30, 76, 5))
GROUP_LENGTHS = (60, 75, 90)
GROUP_STARTS = (10 * 60, 10 * 60 + 30, 13 * 60, 13 * 60 + 30, 14 * 60, 15 * 60)
DAY_START, DAY_END = 8 * 60, 18 * 60
SIGN_HOUR = 17
DISCHARGE_REASONS = (
    DischargeReason.FUNCTIONING_IMPROVED,
    DischargeReason.POSITIVE_OUTCOMES,
    DischargeReason.NO_PROGRESS,
    DischargeReason.PERSON_DECLINES,
)
OTHER_SERVICES = (
    # category, procedure code, minutes, days between visits
    ("THERAPY", "90834", 45, (14, 21)),
    ("THERAPY", "90837", 60, (14, 21)),
    ("MEDICATION_MANAGEMENT", "99214", 25, (28, 35)),
    ("CASE_MANAGEMENT", "T1017", 30, (21, 28)),
)

STAFF_KINDS = (
    DefectKind.CERTIFICATION_EXPIRED,
    DefectKind.TRAINING_MISSED,
    DefectKind.CASELOAD_OVER_RATIO,
)
IN_WINDOW_KINDS = (
    DefectKind.CCA_AFTER_FIRST_SERVICE,
    DefectKind.SERVICE_ORDER_LATE,
    DefectKind.UNDER_AGE,
)
# Admitted before the window, so the defect has room to show inside it.
PRE_WINDOW_KINDS = (
    DefectKind.MISSED_SUPERVISOR_CONTACT,
    DefectKind.UNITS_OVER_AUTHORIZATION,
    DefectKind.EXCLUDED_PROGRAM,
)
# Planted by the outcome measures, not by the plan of defects: with their own random stream,
# so the rest of the demo is the same with or without them.
OUTCOMES_OVERDUE_PER_TEAM = 1
ALL_KINDS = tuple(k for k in DefectKind if k != DefectKind.OUTCOME_MEASURE_OVERDUE)

M = TypeVar("M", bound=models.Model)


class DemoError(RuntimeError):
    """The demo cannot be generated here (for example, the database is not empty)."""


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Defect:
    """One planted defect, as written to `PlantedDefect`."""

    kind: str
    record_type: str
    record_id: int
    person_id: int | None
    staff_id: int | None
    date: dt.date | None
    description: str


@dataclass
class DemoReport:
    seed: int
    people: int
    start: dt.date
    end: dt.date
    counts: dict[str, int]
    defects: list[Defect]

    def summary(self) -> str:
        lines = [
            f"Demo agency (seed {self.seed}): {self.people} people, "
            f"{self.start.isoformat()} to {self.end.isoformat()}",
            "",
            "Records written:",
        ]
        width = max((len(k) for k in self.counts), default=10)
        lines += [f"  {k:<{width}}  {v:>9,}" for k, v in sorted(self.counts.items())]
        by_kind: dict[str, list[Defect]] = defaultdict(list)
        for d in self.defects:
            by_kind[d.kind].append(d)
        lines += [
            "",
            f"Planted defects: {len(self.defects)} in {len(by_kind)} kinds, naming "
            f"{people_touched(self.defects)} of {self.people} people",
        ]
        for kind in sorted(by_kind):
            found = by_kind[kind]
            lines.append(f"  {kind} ({len(found)})")
            for d in found[:5]:
                lines.append(f"    {d.record_type} #{d.record_id}: {d.description}")
            if len(found) > 5:
                lines.append(f"    ... and {len(found) - 5} more")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ policy


@dataclass(frozen=True)
class TrainingRequirement:
    id: str
    hours: Decimal
    days_after_hire: int | None
    every_months: int | None
    who: str  # "all", "supervisor" or "cpss"

    def applies_to(self, role: str) -> bool:
        return self.who == "all" or self.who == role


FALLBACK_TRAINING = (
    TrainingRequirement("pss_policy", Decimal(3), 30, None, "all"),
    TrainingRequirement("crisis_plan", Decimal(3), 30, None, "all"),
    TrainingRequirement("pcp_elements", Decimal(3), 30, None, "all"),
    TrainingRequirement("documentation", Decimal(3), 30, None, "all"),
    TrainingRequirement("mi_intro", Decimal(13), 90, None, "all"),
    TrainingRequirement("person_centered_thinking", Decimal(12), 90, None, "all"),
    TrainingRequirement("crisis_response", Decimal(6), 90, None, "all"),
    TrainingRequirement("peer_support_supervision", Decimal(3), 90, None, "supervisor"),
    TrainingRequirement("continuing_education", Decimal(10), None, 12, "all"),
)
FALLBACK_NEEDS_AREAS = (
    "symptom_skills",
    "self_advocacy",
    "work_readiness",
    "peer_modeling",
    "daily_living",
)


def _policy(day: dt.date) -> tuple[tuple[TrainingRequirement, ...], tuple[str, ...], int]:
    """Training schedule, needs-area codes and unmanaged units from the NC pack in effect,
    or the fallback."""
    try:
        from peerpath.policy.api import state_pack

        on = day
        pack = state_pack("NC", on)
        if pack is None:
            return FALLBACK_TRAINING, FALLBACK_NEEDS_AREAS, UNMANAGED_UNITS
        raw_reqs = pack.value("training.requirements", on)
        raw_areas = pack.value("eligibility.needs_areas", on)
        unmanaged = pack.value("authorization.unmanaged_units", on)
    except Exception:  # no pack, or a malformed one: the demo still works
        return FALLBACK_TRAINING, FALLBACK_NEEDS_AREAS, UNMANAGED_UNITS
    reqs: list[TrainingRequirement] = []
    for item in raw_reqs or ():  # type: ignore[attr-defined]
        due = item.get("due") or {}
        days, every = due.get("days_after_hire"), due.get("every_months")
        if not item.get("id") or not item.get("hours") or (days is None and every is None):
            continue
        reqs.append(
            TrainingRequirement(
                str(item["id"]), Decimal(str(item["hours"])), days, every, item.get("who", "all")
            )
        )
    areas = tuple(
        str(a.get("code")) if hasattr(a, "get") else str(a)
        for a in raw_areas or ()  # type: ignore[attr-defined]
    )
    units = unmanaged if isinstance(unmanaged, int) else UNMANAGED_UNITS
    return (tuple(reqs) or FALLBACK_TRAINING), (areas or FALLBACK_NEEDS_AREAS), units


def _outcome_schedule(day: dt.date) -> Mapping[str, object] | None:
    """When the NC pack in force on `day` asks for BARC-10 measures (`outcomes.schedule`),
    or None when it names no BARC-10: the engine turns it into due dates (`next_occasion`)."""
    from peerpath.policy.api import state_pack

    pack = state_pack("NC", day)
    if pack is None:
        return None
    try:
        named = pack.value("outcomes.instruments", day)
        schedule = pack.value("outcomes.schedule", day)
    except LookupError:
        return None
    if not isinstance(named, list | tuple) or "BARC-10" not in [str(n) for n in named]:
        return None
    return schedule if isinstance(schedule, Mapping) else None


# ------------------------------------------------------------------------------ dates


@functools.cache
def _unit_rule() -> Callable[[int], int]:
    """The engine's unit rule of the NC pack in force today (the demo agency is in NC)."""
    from peerpath.policy.api import units_counter

    return units_counter("NC", dt.date.today())


def units_for(minutes: int) -> int:
    return _unit_rule()(minutes)


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += DAY
    return day


def prev_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= DAY
    return day


def at(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=TZ)


def clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


# Fallback for NC 8G's unmanaged units per fiscal year and episode; the generator reads
# authorization.unmanaged_units from the pack in force (see _policy).
UNMANAGED_UNITS = 24


def minutes_of(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ------------------------------------------------------------------------------ working state


@dataclass(eq=False)
class _Version:
    plan: Plan
    individual: list[Intervention]
    group: Intervention | None
    goals: list[tuple[Goal, Objective, list[Intervention]]]


@dataclass(eq=False)
class _Cpss:
    staff: StaffMember
    index: int
    hire: dt.date
    in_window: bool
    roster: int
    group_day: int
    group_start: int
    group_len: int
    defect: str | None = None
    persons: list[_Person] = field(default_factory=list)
    incoming: int = 0
    certification: Certification | None = None


@dataclass(eq=False)
class _Person:
    obj: Person
    cpss: _Cpss
    defect: str | None = None
    admission: dt.date = dt.date.min
    discharge: dt.date | None = None
    first_day: dt.date = dt.date.min
    last_day: dt.date = dt.date.min
    # note_outside_authorization: weekly visits after the last authorization ends, enough
    # to use up the unmanaged units (NC 8G: 24 per fiscal year and episode) and go past them.
    extra_days: list[dt.date] = field(default_factory=list)
    unmanaged_used: dict[int, int] = field(default_factory=dict)
    spans: list[tuple[dt.date, dt.date | None, _Cpss]] = field(default_factory=list)
    versions: list[_Version] = field(default_factory=list)
    notes: list[ServiceNote] = field(default_factory=list)
    units: int = 0
    tele_units: int = 0
    setting: str = "community"
    request_offset: int = 7
    wants_group: bool = True
    episode: Episode | None = None
    assessment: Assessment | None = None
    order: ServiceOrder | None = None
    family: _Cpss | None = None
    family_week: int | None = None
    revision: dt.date | None = None

    @property
    def first(self) -> str:
        return self.obj.preferred_name or self.obj.first_name

    @property
    def clean(self) -> bool:
        return self.defect is None and self.cpss.defect is None

    def cpss_on(self, day: dt.date) -> _Cpss:
        for start, end, cpss in self.spans:
            if start <= day and (end is None or day <= end):
                return cpss
        return self.spans[-1][2]

    def version_on(self, day: dt.date) -> _Version:
        found = self.versions[0]
        for v in self.versions:
            if v.plan.start <= day:
                found = v
        return found


@dataclass(eq=False)
class _Team:
    index: int
    site: Site
    supervisor: StaffMember
    cpss: list[_Cpss]
    persons: list[_Person] = field(default_factory=list)
    person_cal: dict[tuple[int, dt.date], list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    staff_cal: dict[tuple[int, dt.date], list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    oversize: _Cpss | None = None
    oversize_week: int = 0
    oversize_session: GroupSession | None = None
    placed: list[str] = field(default_factory=list)


def _free(
    cal: dict[tuple[int, dt.date], list[tuple[int, int]]],
    key: int,
    day: dt.date,
    start: int,
    end: int,
) -> bool:
    return all(end <= s or start >= e for s, e in cal.get((key, day), ()))


# ------------------------------------------------------------------------------ the generator


def default_end() -> dt.date:
    """The demo's last day of service: yesterday, so that today has work to do. The tests
    pin it with the PEERPATH_DEMO_END setting, so that their demo never changes."""
    pinned = getattr(settings, "PEERPATH_DEMO_END", None)
    if pinned:
        return pinned if isinstance(pinned, dt.date) else dt.date.fromisoformat(str(pinned))
    return timezone.localdate() - DAY


def generate(
    *,
    seed: int = 7,
    people: int = 160,
    end: dt.date | None = None,
    months: int = 6,
    defect_rate: float = 0.06,
    validate: bool | None = None,
) -> DemoReport:
    """Write a demo agency to an empty database and say what was written.

    `end` is the last day of service (default `default_end()`: yesterday, so the demo is
    alive today). `validate` (default: when people <= 2,000) runs full_clean() on every
    record first.
    """
    if end is None:
        end = default_end()
    if people < 1:
        raise ValueError("people must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if not 0 <= defect_rate <= 1:
        raise ValueError("defect_rate must be between 0 and 1")
    # Millions of short-lived objects with reference cycles: collect once per flush instead
    # of letting the cyclic collector rescan the growing heap thousands of times.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(seed, people, end, months, defect_rate, validate)
    finally:
        if collecting:
            gc.enable()


def _generate(
    seed: int, people: int, end: dt.date, months: int, defect_rate: float, validate: bool | None
) -> DemoReport:
    with transaction.atomic():
        if Agency.objects.exists():
            raise DemoError(
                "The database already holds an agency. The demo generator only writes to an "
                "empty database: use a fresh one."
            )
        gen = _Generator(
            seed=seed,
            people=people,
            end=end,
            months=months,
            defect_rate=defect_rate,
            validate=people <= VALIDATE_UP_TO if validate is None else validate,
        )
        return gen.run()


class _Generator:
    def __init__(
        self,
        *,
        seed: int,
        people: int,
        end: dt.date,
        months: int,
        defect_rate: float,
        validate: bool,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_people = people
        self.we = end
        self.ws = add_months(end + DAY, -months)
        self.window_days = (self.we - self.ws).days + 1
        self.defect_rate = defect_rate
        self.validate = validate
        self.training, self.needs_areas, self.unmanaged_units = _policy(self.ws)
        self.user_model = get_user_model()
        self.facilitator_through = GroupSession.facilitators.through
        self.order: list[type[models.Model]] = [
            Agency,
            Site,
            Payer,
            PayerContract,
            ContractRate,
            self.user_model,
            StaffMember,
            Certification,
            Training,
            SupervisionAssignment,
            Person,
            Episode,
            Discharge,
            Diagnosis,
            Consent,
            Assessment,
            ServiceOrder,
            FamilyRelationship,
            ProgramEnrollment,
            OtherService,
            Plan,
            Goal,
            Objective,
            Intervention,
            PlanSignature,
            CrisisPlan,
            CaseloadAssignment,
            SupervisorContact,
            GroupSession,
            self.facilitator_through,
            GroupAttendance,
            ServiceNote,
            Authorization,
            PlantedDefect,
            Administration,
            Answer,
            GroupSeries,
            Appointment,
        ]
        self.buffer: dict[type[models.Model], list[models.Model]] = {m: [] for m in self.order}
        self.makers = {m: ModelMaker(m) for m in self.order}
        self.writers = {m: TableWriter(m, connection) for m in self.order}
        self.next_pk: dict[type[models.Model], int] = {}
        self.counts: Counter[str] = Counter()
        self.defects: list[Defect] = []
        self.buffered_people = 0
        self.usernames: set[str] = set()
        self.medicaid_ids: set[str] = set()
        self.dx_cache: dict[str, tuple[str, str]] = {}
        self.npi_next = 1_200_000_00 + self.rng.randrange(0, 40_000_000)
        self.cert_next = 10_000 + self.rng.randrange(0, 50_000)

    # ---------------------------------------------------------------- plumbing

    def new(self, model: type[M], **values: Any) -> M:
        pk = self.next_pk[model]
        self.next_pk[model] = pk + 1
        obj = self.makers[model](pk, values)
        self.buffer[model].append(obj)
        return obj  # type: ignore[return-value]

    def flush(self) -> None:
        if self.validate:
            for model in self.order:
                exclude = [f.name for f in model._meta.concrete_fields if f.is_relation]
                for obj in self.buffer[model]:
                    obj.full_clean(
                        exclude=exclude, validate_unique=False, validate_constraints=False
                    )
        for model in self.order:
            objs = self.buffer[model]
            if objs:
                self.writers[model].write(objs, BATCH_SIZE)
                self.counts[model._meta.label] += len(objs)
                self.buffer[model] = []
        self.buffered_people = 0
        gc.collect()

    def reset_sequences(self) -> None:
        # Explicit ids leave PostgreSQL's sequences behind; SQLite follows on its own.
        if connection.vendor == "sqlite":
            return
        sql = connection.ops.sequence_reset_sql(no_style(), self.order)
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def days(self, lo: int, hi: int) -> dt.timedelta:
        return dt.timedelta(days=self.rng.randint(lo, hi))

    def day_between(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def npi(self) -> str:
        self.npi_next += 1 + self.rng.randrange(3)
        return codes.npi_with_check_digit(f"{self.npi_next:09d}")

    def diagnosis_text(self, code: str) -> tuple[str, str]:
        if code not in self.dx_cache:
            self.dx_cache[code] = (
                codes.icd10_description(code)[:250],
                codes.diagnosis_category(code),
            )
        return self.dx_cache[code]

    def unusable_password(self) -> str:
        # As set_unusable_password() does ("!" + random text), but from the seeded generator.
        alphabet = string.ascii_letters + string.digits
        return "!" + "".join(alphabet[self.rng.randrange(len(alphabet))] for _ in range(40))

    def person_name(self, sex: str) -> tuple[str, str]:
        firsts = {"F": names.FEMALE_FIRST, "M": names.MALE_FIRST}.get(sex, names.NEUTRAL_FIRST)
        return self.pick(firsts), self.pick(names.LAST)

    # ---------------------------------------------------------------- run

    def run(self) -> DemoReport:
        for model in self.order:
            top = model._default_manager.aggregate(top=Max("pk"))["top"]
            self.next_pk[model] = (top or 0) + 1
        self.usernames = set(self.user_model._default_manager.values_list("username", flat=True))
        self.setup_organization()
        n_cpss = max(
            8, math.ceil(self.n_people * 0.8 / CASELOAD_MAX), math.ceil(self.n_people / 10)
        )
        n_teams = max(2, math.ceil(n_cpss / SUPERVISEES_MAX))
        team_sizes = split(n_cpss, n_teams)
        rosters = split(self.n_people, n_cpss)
        kinds = self.plan_defects(n_teams)
        carry: list[str] = []
        offset = 0
        for t, size in enumerate(team_sizes):
            wanted = carry + kinds[t]
            carry = self.build_team(t, rosters[offset : offset + size], wanted)
            offset += size
            if self.buffered_people >= FLUSH_EVERY:
                self.flush()
        self.flush()
        self.reset_sequences()
        return DemoReport(
            seed=self.seed,
            people=self.n_people,
            start=self.ws,
            end=self.we,
            counts=dict(sorted(self.counts.items())),
            defects=list(self.defects),
        )

    def plan_defects(self, n_teams: int) -> list[list[str]]:
        """Which defect kinds each team plants: every kind at least once from 150 people,
        and about `defect_rate` of the people in all."""
        if self.defect_rate <= 0:
            return [[] for _ in range(n_teams)]
        minimum = len(ALL_KINDS) if self.n_people >= 150 else 0
        n = max(minimum, round(self.defect_rate * self.n_people))
        order = [str(k) for k in ALL_KINDS]
        self.rng.shuffle(order)
        per_team: list[list[str]] = [[] for _ in range(n_teams)]
        for i in range(n):
            per_team[i * n_teams // n].append(order[i % len(order)])
        return per_team

    # ---------------------------------------------------------------- organization

    def setup_organization(self) -> None:
        rng = self.rng
        self.agency = self.new(
            Agency, state="NC", npi=self.npi(), tax_id=f"56{rng.randrange(10**7):07d}", **AGENCY
        )
        self.sites = [
            self.new(Site, agency=self.agency, name=n, address=a, city=c, postal_code=z)
            for n, a, c, z, _ in SITES
        ]
        self.site_phones = [s[4] for s in SITES]
        self.payers = [
            self.new(Payer, name=n, payer_id=pid, state="NC", kind="lme_mco")
            for n, pid, _ in PAYERS
        ]
        for payer, (_, pid, _) in zip(self.payers, PAYERS, strict=True):
            contract = self.new(
                PayerContract,
                agency=self.agency,
                payer=payer,
                number=f"{pid[:4]}-2019-{rng.randrange(1000, 9999)}",
                start=CONTRACT_START,
            )
            for modifiers, rate in RATES:
                self.new(
                    ContractRate,
                    contract=contract,
                    procedure_code="H0038",
                    modifiers=modifiers,
                    start=CONTRACT_START,
                    rate_per_unit=rate,
                    source=RATE_SOURCE,
                )
        office_hire = self.ws - self.days(400, 2000)
        self.new_staff(Role.ADMIN, hire=office_hire, site=self.sites[0])
        self.new_staff(Role.BILLING, hire=office_hire + self.days(30, 300), site=self.sites[0])
        self.reviewers = {
            payer.pk: self.new_staff(
                Role.UM_REVIEWER, hire=None, payer=payer, domain=PAYERS[i][2], credential="LCSW"
            )
            for i, payer in enumerate(self.payers)
        }
        self.new_staff(Role.AUDITOR, hire=None, payer=self.payers[0], domain=PAYERS[0][2])
        self.clinicians = [
            (f"{' '.join(self.person_name(self.pick('FM')))}", cred, self.pick(names.CLINICS))
            for cred in CLINICIAN_CREDENTIALS
        ]

    def new_staff(
        self,
        role: str,
        *,
        hire: dt.date | None,
        site: Site | None = None,
        payer: Payer | None = None,
        domain: str = STAFF_DOMAIN,
        credential: str = "",
        npi: bool = False,
    ) -> StaffMember:
        first, last = self.person_name(self.pick("FFMMU"))
        base = f"{first}.{last}".lower()
        username, n = base, 1
        while username in self.usernames:
            n += 1
            username = f"{base}{n}"
        self.usernames.add(username)
        joined = hire or (self.ws - self.days(200, 900))
        user = self.new(
            self.user_model,
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{domain}",
            password=self.unusable_password(),
            is_staff=role == Role.ADMIN,
            is_active=True,
            date_joined=at(joined, 9 * 60),
        )
        return self.new(
            StaffMember,
            user=user,
            role=role,
            first_name=first,
            last_name=last,
            credential=credential,
            agency=None if payer else self.agency,
            payer=payer,
            site=site,
            npi=self.npi() if npi else "",
            hire_date=hire,
        )

    def add_trainings(
        self, staff: StaffMember, hire: dt.date, role: str, missing: str | None = None
    ) -> None:
        rng = self.rng
        for req in self.training:
            if not req.applies_to(role) or req.id == missing:
                continue
            provider = self.pick(names.TRAINING_PROVIDERS)
            if req.days_after_hire is not None:
                done = hire + self.days(1, max(1, req.days_after_hire - 2))
                self.new(
                    Training,
                    staff=staff,
                    topic=req.id,
                    hours=req.hours,
                    completed_on=min(done, self.we),
                    provider=provider,
                )
                continue
            assert req.every_months is not None
            k = 0
            while (period := add_months(hire, k * req.every_months)) <= self.we:
                period_end = add_months(hire, (k + 1) * req.every_months) - DAY
                span = (period_end - period).days
                done = period + dt.timedelta(days=rng.randint(min(20, span), max(20, span - 5)))
                done = min(done, period_end, self.we)
                self.new(
                    Training,
                    staff=staff,
                    topic=req.id,
                    hours=req.hours,
                    completed_on=done,
                    provider=provider,
                )
                k += 1

    def missing_training_id(self) -> str:
        """The requirement a `training_missed` defect leaves out: the longest one due within
        a set number of days of hire (the 13-hour motivational interviewing course in NC)."""
        timed = [r for r in self.training if r.days_after_hire and r.applies_to("cpss")]
        return max(timed, key=lambda r: (r.days_after_hire or 0, r.hours)).id

    # ---------------------------------------------------------------- a team

    def build_team(self, t: int, rosters: list[int], kinds: list[str]) -> list[str]:
        """Make one supervisor's team and its people; return the defect kinds not placed."""
        rng = self.rng
        site = self.sites[t % len(self.sites)]
        sup_hire = prev_weekday(self.ws - self.days(900, 3000))
        supervisor = self.new_staff(Role.SUPERVISOR, hire=sup_hire, site=site, credential="QP")
        self.add_trainings(supervisor, sup_hire, "supervisor")
        team = _Team(t, site, supervisor, [])
        self.team = team
        late_hire = len(rosters) >= 4  # the team's last peer specialist joins in the window
        for j, roster in enumerate(rosters):
            in_window = late_hire and j == len(rosters) - 1
            if in_window:
                hire = next_weekday(self.ws + self.days(0, min(40, self.window_days // 4)))
            else:
                hire = prev_weekday(self.ws - self.days(400, 2400))
            staff = self.new_staff(Role.CPSS, hire=hire, site=site, credential="CPSS", npi=True)
            cpss = _Cpss(
                staff=staff,
                index=j,
                hire=hire,
                in_window=in_window,
                roster=roster,
                group_day=rng.randrange(5),
                group_start=self.pick(GROUP_STARTS),
                group_len=self.pick(GROUP_LENGTHS),
            )
            team.cpss.append(cpss)
            self.new(SupervisionAssignment, supervisor=supervisor, staff=staff, start=hire)

        person_kinds: list[str] = []
        for kind in kinds:
            if kind not in STAFF_KINDS:
                person_kinds.append(kind)
            else:
                self.assign_staff_defect(team, kind)

        for cpss in team.cpss:
            cert_start = cpss.hire - self.days(10, 300)
            if cpss.defect == DefectKind.CERTIFICATION_EXPIRED:
                # Expires with four to eight weeks of the window left, unrenewed.
                cert_end = max(self.ws + 14 * DAY, self.we - self.days(28, 56))
            else:
                cert_end = self.we + self.days(365, 730)
            self.cert_next += 1 + rng.randrange(5)
            cpss.certification = self.new(
                Certification,
                staff=cpss.staff,
                kind=CERT_KIND,
                number=f"NC-CPSS-{self.cert_next:06d}",
                start=cert_start,
                end=cert_end,
            )
            missing = (
                self.missing_training_id() if cpss.defect == DefectKind.TRAINING_MISSED else None
            )
            self.add_trainings(cpss.staff, cpss.hire, "cpss", missing)

        for cpss in team.cpss:
            for _ in range(cpss.roster):
                team.persons.append(self.new_person_stub(team, cpss))
        self.buffered_people += len(team.persons)

        self.assign_person_defects(team, person_kinds)
        for p in team.persons:
            self.set_episode_dates(team, p)
        self.plan_reassignments(team)
        for p in team.persons:
            self.write_record(team, p)
        self.schedule(team)
        self.other_services(team)
        self.finish_defects(team)
        for p in team.persons:
            self.authorizations(p)
            for start, end, cpss in p.spans:
                self.new(CaseloadAssignment, staff=cpss.staff, person=p.obj, start=start, end=end)
        self.appointments(team)
        self.caseload_defect(team)
        self.outcome_measures(team)
        self.check_team(team)
        return list((Counter(kinds) - Counter(team.placed)).elements())

    def outcome_measures(self, team: _Team) -> None:
        """BARC-10 measures tied to the units each person received, on the engine's schedule,
        with one follow-up per team left overdue on purpose (peerpath.outcomes.demo)."""
        people = [
            DemoPerson(
                p.obj,
                p.admission,
                p.discharge,
                lambda day, p=p: p.cpss_on(day).staff,  # type: ignore[misc]
                [
                    (n.date, units_for(minutes_of(n.end_time) - minutes_of(n.start_time)))
                    for n in p.notes
                    if n.status == NoteStatus.SIGNED
                ],
                may_plant=p.clean and p.discharge is None and not p.extra_days,
            )
            for p in team.persons
        ]
        schedule = _outcome_schedule(self.we + DAY)
        if schedule is None:
            return  # no pack names BARC-10 the day after the demo: nothing is asked
        measures = add_measures(
            self.new,
            people,
            end=self.we,
            seed=self.seed * 1000 + team.index,
            schedule=schedule,
            plant=OUTCOMES_OVERDUE_PER_TEAM if self.defect_rate > 0 else 0,
        )
        for o in measures.overdue:
            self.defect(
                DefectKind.OUTCOME_MEASURE_OVERDUE,
                o.person.person,
                person=o.person.person,
                day=o.due + DAY,
                text=f"The {o.instrument} follow-up ({o.what}) was due by {o.due.isoformat()} "
                "and was not done: it shows overdue on the board.",
            )

    def assign_staff_defect(self, team: _Team, kind: str) -> bool:
        candidates = [c for c in team.cpss if c.defect is None and not c.in_window]
        if len(candidates) < 2:  # keep at least one clean peer specialist on the team
            return False
        cpss = self.pick(candidates)
        if kind == DefectKind.CASELOAD_OVER_RATIO:
            need = OVER_RATIO_CASELOAD - cpss.roster
            donors = [c for c in team.cpss if c is not cpss]
            spare = sum(max(0, c.roster - 2) for c in donors)
            if need > spare:
                return False
            while cpss.roster < OVER_RATIO_CASELOAD:
                donor = max(donors, key=lambda c: (c.roster, -c.index))
                donor.roster -= 1
                cpss.roster += 1
        cpss.defect = kind
        return True

    # ---------------------------------------------------------------- people

    def new_person_stub(self, team: _Team, cpss: _Cpss) -> _Person:
        rng = self.rng
        sex = rng.choices("FMU", weights=(48, 48, 4))[0]
        first, last = self.person_name(sex)
        preferred = self.pick(names.NEUTRAL_FIRST) if rng.random() < 0.08 else ""
        pronouns = ""
        if rng.random() < 0.7:
            pronouns = {"F": "she/her", "M": "he/him"}.get(sex, "they/them")
        while True:
            medicaid_id = f"{rng.randrange(10**9):09d}{self.pick(string.ascii_uppercase)}"
            if medicaid_id not in self.medicaid_ids:
                self.medicaid_ids.add(medicaid_id)
                break
        half = len(names.CITIES) // 2
        cities = names.CITIES[:half] if team.site is self.sites[0] else names.CITIES[half:]
        city, postal, area = self.pick(cities)
        email = ""
        if rng.random() < 0.4:
            email = f"{first}.{last}{rng.randint(1, 99)}@example.com".lower()
        person = self.new(
            Person,
            agency=self.agency,
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            pronouns=pronouns,
            date_of_birth=dt.date(1970, 1, 1),  # set with the episode dates
            sex=sex,
            medicaid_id=medicaid_id,
            payer=self.pick(self.payers),
            phone=f"{area}-555-01{rng.randrange(100):02d}",
            email=email,
            address=f"{rng.randint(100, 9999)} {self.pick(names.STREETS)}",
            city=city,
            state="NC",
            postal_code=postal,
        )
        p = _Person(obj=person, cpss=cpss)
        p.setting = rng.choices(("home", "community", "office"), weights=(40, 40, 20))[0]
        p.wants_group = rng.random() < 0.75
        cpss.persons.append(p)
        return p

    def assign_person_defects(self, team: _Team, kinds: list[str]) -> None:
        """Choose who carries each person-level defect (never a person whose peer
        specialist carries a staff-level one, so each defect stays on its own)."""
        pool = [p for p in team.persons if p.cpss.defect is None and not p.cpss.in_window]
        for kind in kinds:
            if kind == DefectKind.GROUP_OVER_SIZE:
                hosts = [c for c in team.cpss if c.defect is None and not c.in_window]
                if team.oversize is None and hosts and len(team.persons) >= 24:
                    team.oversize = self.pick(hosts)
                    team.oversize_week = self.rng.randint(4, max(4, self.window_days // 7 - 6))
                continue
            free = [p for p in pool if p.defect is None]
            if kind == DefectKind.FAMILY_MEMBER_DELIVERS:
                pairs = [
                    (p, c)
                    for p in free
                    for c in team.cpss
                    if c is not p.cpss and c.defect is None and not c.in_window
                ]
                if not pairs:
                    continue
                p, relative = self.pick(pairs)
                p.family = relative
            elif not free:
                continue
            else:
                p = self.pick(free)
            p.defect = kind

    def set_episode_dates(self, team: _Team, p: _Person) -> None:
        rng, ws, we = self.rng, self.ws, self.we
        latest_admission = min(
            ws + dt.timedelta(days=119), ws + (self.window_days * 2) // 3 * DAY, we - 21 * DAY
        )
        latest_admission = max(latest_admission, ws)
        earliest = max(ws, p.cpss.hire + 3 * DAY)
        kind = p.defect
        over_ratio = p.cpss.defect == DefectKind.CASELOAD_OVER_RATIO
        if over_ratio:
            # Twelve people from before the window; the thirteenth arrives in it.
            is_last = p is p.cpss.persons[-1]
            if is_last:
                adm = next_weekday(ws + self.days(10, max(10, min(60, self.window_days // 3))))
            else:
                adm = prev_weekday(ws - self.days(1, 180))
        elif p.cpss.in_window or kind in IN_WINDOW_KINDS:
            adm = next_weekday(self.day_between(earliest, max(earliest, latest_admission)))
        elif kind == DefectKind.PLAN_EXPIRED:
            # Admitted about a year ago: the plan's yearly review falls inside the window.
            adm = prev_weekday(
                ws - 365 * DAY + self.days(20, max(20, min(100, self.window_days - 50)))
            )
        elif kind == DefectKind.NOTE_OUTSIDE_AUTHORIZATION:
            lo = ws + (21 - 179) * DAY
            hi = min(ws - DAY, we - (84 + 179) * DAY)
            adm = prev_weekday(self.day_between(lo, max(lo, hi)))
        elif kind in PRE_WINDOW_KINDS or rng.random() < 0.72:
            adm = prev_weekday(ws - self.days(1, 180))
        else:
            adm = next_weekday(self.day_between(earliest, max(earliest, latest_admission)))
        p.admission = adm
        p.first_day = max(adm, ws)
        p.last_day = we
        if kind == DefectKind.NOTE_OUTSIDE_AUTHORIZATION:
            cutoff = adm + 179 * DAY
            if p.first_day + 14 * DAY <= cutoff <= we - 14 * DAY:
                p.last_day = cutoff
                first = next_weekday(cutoff + self.days(3, 9))
                p.extra_days = [d for d in (first + 7 * k * DAY for k in range(26)) if d <= we]
        elif p.clean and not over_ratio and rng.random() < 0.08:
            lo, hi = p.first_day + 28 * DAY, we - 7 * DAY
            if lo <= hi:
                p.discharge = next_weekday(self.day_between(lo, hi))
                if p.discharge > we:
                    p.discharge = None
                else:
                    p.last_day = p.discharge
        # Adults 19 to 70 on every day they are served (under_age is set after scheduling).
        oldest = add_years(we, -70) + DAY
        youngest = add_years(min(adm, ws), -19) - DAY
        p.obj.date_of_birth = self.day_between(oldest, youngest)
        p.spans = [(adm, p.discharge, p.cpss)]
        if p.clean and not over_ratio and rng.random() < 0.10:
            lo = max(p.first_day + 21 * DAY, adm + 30 * DAY)
            hi = p.last_day - 21 * DAY
            if lo <= hi:
                p.revision = next_weekday(self.day_between(lo, hi))
                if p.revision > hi:
                    p.revision = None
        if p.defect == DefectKind.FAMILY_MEMBER_DELIVERS:
            weeks = (p.last_day - p.first_day).days // 7
            p.family_week = (p.first_day - self.first_monday).days // 7 + rng.randint(
                1, max(1, weeks - 3)
            )

    @property
    def first_monday(self) -> dt.date:
        return self.ws - self.ws.weekday() * DAY

    def plan_reassignments(self, team: _Team) -> None:
        """A few people move to another peer specialist mid-window (one span ends, the next
        starts the next day); each receiver takes at most one, staying within the ratio."""
        rng = self.rng
        for p in team.persons:
            if not p.clean or p.discharge or rng.random() >= 0.03:
                continue
            lo, hi = p.first_day + 21 * DAY, p.last_day - 21 * DAY
            if lo > hi:
                continue
            day = next_weekday(self.day_between(lo, hi))
            receivers = [
                c
                for c in team.cpss
                if c is not p.cpss
                and c.defect is None
                and c.incoming == 0
                and c.roster + 1 <= CASELOAD_MAX
                and c.hire <= day
            ]
            if not receivers or day > hi:
                continue
            to = self.pick(receivers)
            to.incoming += 1
            p.spans = [(p.admission, day - DAY, p.cpss), (day, None, to)]

    # ---------------------------------------------------------------- clinical record

    def write_record(self, team: _Team, p: _Person) -> None:
        rng = self.rng
        first = p.first
        p.episode = self.new(
            Episode,
            person=p.obj,
            start=p.admission,
            end=p.discharge,
            referral_source=self.pick(names.REFERRAL_SOURCES),
        )
        if p.discharge:
            self.new(
                Discharge,
                episode=p.episode,
                date=p.discharge,
                reason=self.pick(DISCHARGE_REASONS),
                transition_plan=self.pick(texts.TRANSITION_PLANS),
                natural_supports=self.pick(texts.NATURAL_SUPPORTS),
            )
        p.request_offset = rng.randint(5, 10)
        cca_date = p.admission - self.days(max(p.request_offset + 1, 3), 20)
        author, credential, clinic = self.pick(self.clinicians)
        # Diagnoses: about a quarter primary SUD, the rest mental health; some have both.
        sud_first = rng.random() < 0.25
        primary = self.pick(SUD_CODES if sud_first else MH_CODES)
        dx_codes = [primary]
        if rng.random() < 0.2:
            dx_codes.append(self.pick(MH_CODES if sud_first else SUD_CODES))
        for i, code in enumerate(dx_codes):
            description, category = self.diagnosis_text(code)
            self.new(
                Diagnosis,
                person=p.obj,
                code=code,
                description=description,
                category=category,
                is_primary=i == 0,
                start=cca_date,
                diagnosed_by=f"{author}, {credential}",
            )
        if any(self.diagnosis_text(code)[1] == "SUD" for code in dx_codes):
            # A person with a substance-use diagnosis signs a 42 CFR Part 2 consent at intake,
            # so that claims may name the diagnosis to their payer. No random draw: the rest
            # of the data stays as it was for the same seed.
            self.new(
                Consent,
                person=p.obj,
                recipient_payer=p.obj.payer,
                purposes=[Purpose.TREATMENT.value, Purpose.PAYMENT.value, Purpose.OPERATIONS.value],
                effective=cca_date,
                signed_on=cca_date,
            )
        if p.defect == DefectKind.TOO_FEW_NEEDS_AREAS:
            areas: list[str] = []
        else:
            count = min(len(self.needs_areas), rng.choices((1, 2, 3, 4), (30, 35, 25, 10))[0])
            chosen = set(rng.sample(self.needs_areas, count))
            areas = [a for a in self.needs_areas if a in chosen]
        p.assessment = self.new(
            Assessment,
            person=p.obj,
            date=cca_date,
            author_name=f"{author} ({clinic})",
            author_credential=credential,
            medical_necessity=True,
            needs_areas=areas,
            no_equally_effective_alternative=True,
            summary=self.pick(texts.ASSESSMENT_SUMMARY).format(first=first),
        )
        so_author, so_credential, _ = self.pick(self.clinicians)
        p.order = self.new(
            ServiceOrder,
            person=p.obj,
            signed_by=so_author,
            credential=so_credential,
            signed_on=self.day_between(cca_date, p.admission),
            procedure_code="H0038",
        )
        # Plan versions: v1 at admission; a revision for some; a yearly renewal if the
        # window outlasts the plan (never for plan_expired, whose review is missed on purpose).
        self.add_version(team, p, p.admission, None)
        if p.revision:
            self.add_version(team, p, p.revision, p.versions[-1])
        while p.defect != DefectKind.PLAN_EXPIRED and p.versions[-1].plan.review_due < p.last_day:
            due = p.versions[-1].plan.review_due
            self.add_version(
                team,
                p,
                max(p.versions[-1].plan.start + DAY, due - self.days(0, 14)),
                p.versions[-1],
            )
        if p.discharge:
            p.versions[-1].plan.status = PlanStatus.CLOSED
        self.supervisor_contacts(team, p)

    def add_version(
        self, team: _Team, p: _Person, start: dt.date, previous: _Version | None
    ) -> None:
        rng = self.rng
        if previous is not None:
            previous.plan.status = PlanStatus.SUPERSEDED
        plan = self.new(
            Plan,
            person=p.obj,
            episode=p.episode,
            version=len(p.versions) + 1,
            previous=previous.plan if previous else None,
            status=PlanStatus.ACTIVE,
            start=start,
            review_due=start + 365 * DAY,
            strengths=". ".join(rng.sample(texts.STRENGTHS, 3)) + ".",
        )
        version = _Version(plan, [], None, [])
        if previous is None:
            picks = rng.sample(texts.GOALS, rng.choices((1, 2, 3), (30, 50, 20))[0])
        else:
            same = [g[0].own_words for g in previous.goals]
            picks = [next(x for x in texts.GOALS if x[0] == w) for w in same]
            if len(picks) < 3 and rng.random() < 0.5:
                picks.append(self.pick([x for x in texts.GOALS if x[0] not in same]))
        for order, (words, factor, objective, activities) in enumerate(picks, start=1):
            goal = self.new(
                Goal,
                plan=plan,
                order=order,
                own_words=words,
                whole_health_factor=factor if factor and rng.random() < 0.7 else "",
                status="active",
            )
            target = start + self.days(90, 240)
            obj = self.new(
                Objective,
                goal=goal,
                target_date=target,
                description=objective.format(target=f"{target:%B} {target.year}"),
            )
            acts = [self.pick(activities)]
            if rng.random() < 0.35:
                acts.append(self.pick([a for a in INDIVIDUAL_ACTIVITIES if a not in acts]))
            interventions = [self.intervention(goal, a) for a in acts]
            version.individual += interventions
            version.goals.append((goal, obj, interventions))
        if p.wants_group:
            goal, _, interventions = self.pick(version.goals)
            version.group = self.intervention(goal, "skills_group")
            interventions.append(version.group)
        cpss = p.cpss_on(start)
        signers = (
            ("person", f"{p.obj.first_name} {p.obj.last_name}", ""),
            ("cpss", cpss.staff.full_name, "CPSS"),
            ("supervisor", team.supervisor.full_name, "QP"),
        )
        for role, name, credential in signers:
            self.new(
                PlanSignature,
                plan=plan,
                role=role,
                name=name,
                credential=credential,
                signed_on=start,
            )
        if not (p.defect == DefectKind.NO_CRISIS_PLAN and previous is None):
            self.crisis_plan(plan, p, cpss, team, start)
        p.versions.append(version)

    def intervention(self, goal: Goal, activity: str) -> Intervention:
        frequencies = texts.FREQUENCIES.get(activity, texts.FREQUENCIES[""])
        return self.new(
            Intervention,
            goal=goal,
            activity=activity,
            description=self.pick(texts.INTERVENTIONS[activity]),
            frequency=self.pick(frequencies),
        )

    def crisis_plan(self, plan: Plan, p: _Person, cpss: _Cpss, team: _Team, day: dt.date) -> None:
        rng = self.rng
        contacts = []
        for _ in range(rng.randint(1, 2)):
            sex = self.pick("FMU")
            first, last = self.person_name(sex)
            contacts.append(
                {
                    "name": f"{first} {last}",
                    "relationship": self.pick(names.RELATIONSHIPS[sex]),
                    "phone": f"{p.obj.phone[:3]}-555-01{rng.randrange(100):02d}",
                }
            )
        contacts.append(
            {
                "name": cpss.staff.full_name,
                "relationship": "peer specialist",
                "phone": self.site_phones[self.sites.index(team.site)],
            }
        )
        contacts.append(
            {"name": "988 Suicide & Crisis Lifeline", "relationship": "crisis line", "phone": "988"}
        )
        self.new(
            CrisisPlan,
            plan=plan,
            triggers="; ".join(rng.sample(texts.TRIGGERS, 2)) + ".",
            early_signs="; ".join(rng.sample(texts.EARLY_SIGNS, 2)) + ".",
            what_helps="; ".join(rng.sample(texts.WHAT_HELPS, rng.randint(2, 3))) + ".",
            what_does_not_help="; ".join(rng.sample(texts.WHAT_DOES_NOT_HELP, rng.randint(1, 2)))
            + ".",
            contacts=contacts,
            preferences=self.pick(texts.PREFERENCES) if rng.random() < 0.6 else "",
            updated_on=day,
        )

    def supervisor_contacts(self, team: _Team, p: _Person) -> None:
        """Face to face within 30 days of admission, then every 35-55 days (the rule is 60);
        missed_supervisor_contact leaves one gap of 70-85 days inside the window."""
        last = p.discharge or self.we
        day = next_weekday(p.admission + self.days(3, 25))
        long_gap = p.defect == DefectKind.MISSED_SUPERVISOR_CONTACT
        while day <= last:
            self.new(
                SupervisorContact,
                supervisor=team.supervisor,
                person=p.obj,
                date=day,
                kind="face_to_face",
                summary=self.pick(texts.SUPERVISOR_CONTACT).format(first=p.first),
            )
            gap = self.days(35, 55)
            if long_gap and day >= self.ws and day + 85 * DAY <= last:
                gap = self.days(70, 85)
                long_gap = False
                team.placed.append(DefectKind.MISSED_SUPERVISOR_CONTACT)
                self.defect(
                    DefectKind.MISSED_SUPERVISOR_CONTACT,
                    p.obj,
                    person=p.obj,
                    staff=team.supervisor,
                    day=day + 61 * DAY,
                    text=f"No supervisor face-to-face contact for {gap.days} days after "
                    f"{day.isoformat()} (the rule is every 60 days); overdue from "
                    f"{(day + 61 * DAY).isoformat()}.",
                )
            following = day + gap
            if day < self.ws and following > self.ws + 25 * DAY:
                # People admitted earlier also see the supervisor within 30 days of their
                # first note in the window, whichever start a rule counts from.
                following = self.ws + self.days(3, 20)
            day = next_weekday(following)

    # ---------------------------------------------------------------- scheduling

    def schedule(self, team: _Team) -> None:
        monday, week = self.first_monday, 0
        while monday <= self.we:
            days = [d for d in (monday + i * DAY for i in range(5)) if self.ws <= d <= self.we]
            if days:
                for cpss in team.cpss:
                    self.group_session(team, cpss, monday, week)
                for p in team.persons:
                    self.individual_note(team, p, days, week)
            monday += 7 * DAY
            week += 1

    def group_session(self, team: _Team, cpss: _Cpss, monday: dt.date, week: int) -> None:
        rng = self.rng
        day = monday + cpss.group_day * DAY
        if not (self.ws <= day <= self.we) or day < cpss.hire + 14 * DAY:
            return
        start, end = cpss.group_start, cpss.group_start + cpss.group_len
        if not _free(team.staff_cal, cpss.staff.pk, day, start, end):
            return

        def can_attend(p: _Person) -> bool:
            return (
                p.first_day <= day <= p.last_day
                and p.version_on(day).group is not None
                and _free(team.person_cal, p.obj.pk, day, start, end)
            )

        own = [p for p in cpss.persons if p.cpss_on(day) is cpss and can_attend(p)]
        own += [
            p
            for p in team.persons
            if p.cpss is not cpss and p.cpss_on(day) is cpss and can_attend(p)
        ]
        oversize = (
            team.oversize is cpss and team.oversize_session is None and week >= team.oversize_week
        )
        base: list[_Person] = []
        if oversize:
            extra = [
                p for p in team.persons if p.clean and p.cpss_on(day) is not cpss and can_attend(p)
            ]
            if len(own) + len(extra) < OVER_SIZE_GROUP:
                oversize = False
            else:
                base = rng.sample(own, min(len(own), 10))
                attendees = base + rng.sample(extra, OVER_SIZE_GROUP - len(base))
        if not oversize:
            if len(own) < 4:
                return
            attendees = rng.sample(own, rng.randint(4, min(10, len(own))))
        topic, skill = texts.GROUP_TOPICS[(week + cpss.index) % len(texts.GROUP_TOPICS)]
        session = self.new(
            GroupSession,
            agency=self.agency,
            site=team.site,
            topic=topic,
            date=day,
            start_time=clock(start),
            end_time=clock(end),
            modality="in_person",
            setting="office",
            shared_narrative=self.pick(texts.GROUP_SHARED).format(topic=skill),
        )
        self.new(self.facilitator_through, groupsession=session, staffmember=cpss.staff)
        team.staff_cal[(cpss.staff.pk, day)].append((start, end))
        for p in sorted(attendees, key=lambda x: x.obj.pk):
            self.new(
                GroupAttendance,
                session=session,
                person=p.obj,
                checked_in_at=at(day, start - rng.randint(0, 10)),
            )
            version = p.version_on(day)
            assert version.group is not None
            self.note(
                team,
                p,
                cpss,
                day,
                start,
                end,
                version.group,
                kind="group",
                session=session,
                modality="in_person",
                setting="office",
                text=self.pick(texts.GROUP_NOTE_TEXT).format(first=p.first, topic=skill),
            )
        if oversize:
            team.oversize_session = session
            team.placed.append(DefectKind.GROUP_OVER_SIZE)
            self.defect(
                DefectKind.GROUP_OVER_SIZE,
                session,
                staff=cpss.staff,
                day=day,
                text=f"{OVER_SIZE_GROUP} people attended with one facilitator (the most is "
                f"12); {OVER_SIZE_GROUP - len(base)} came from other peer specialists' "
                "caseloads.",
            )

    def individual_note(self, team: _Team, p: _Person, days: list[dt.date], week: int) -> None:
        rng = self.rng
        family = p.family_week == week
        candidates = [d for d in days if p.first_day <= d <= p.last_day]
        extra = next((d for d in p.extra_days if d in days), None)
        if extra is not None:
            candidates, family = [extra], False
        elif not candidates or (rng.random() < 0.12 and not family):
            return
        rng.shuffle(candidates)
        for day in candidates:
            author = p.family if family and p.family else p.cpss_on(day)
            if author.hire > day:
                continue
            minutes = self.pick(DURATIONS)
            starts = list(range(DAY_START, DAY_END - minutes + 1, 15))
            tries = [self.pick(starts) for _ in range(8)]
            if extra == day or family:
                tries += starts  # these notes must happen: try every slot
            for start in tries:
                end = start + minutes
                if _free(team.person_cal, p.obj.pk, day, start, end) and _free(
                    team.staff_cal, author.staff.pk, day, start, end
                ):
                    version = p.version_on(day)
                    intervention = self.pick(version.individual)
                    note = self.note(
                        team,
                        p,
                        author,
                        day,
                        start,
                        end,
                        intervention,
                        kind="individual",
                        force_signed=family or extra == day,
                    )
                    if family:
                        p.family_week = None
                        self.family_defect(p, author, note)
                    if extra == day:
                        self.count_unmanaged(p, note)
                    return
        if family:
            p.family_week = week + 1  # no room this week: the relative covers next week

    def note(
        self,
        team: _Team,
        p: _Person,
        author: _Cpss,
        day: dt.date,
        start: int,
        end: int,
        intervention: Intervention,
        *,
        kind: str,
        session: GroupSession | None = None,
        modality: str | None = None,
        setting: str | None = None,
        text: str | None = None,
        force_signed: bool = False,
    ) -> ServiceNote:
        rng = self.rng
        minutes = end - start
        units = units_for(minutes)
        if modality is None:
            r = rng.random()
            modality = "in_person" if r < 0.85 else "audio_video" if r < 0.97 else "audio_only"
            # Keep telehealth under 40% of each person's units (the pack's assumed cap is 50%).
            if modality != "in_person" and (p.tele_units + units) > 0.4 * (p.units + units):
                modality = "in_person"
            setting = (
                p.setting
                if rng.random() < 0.7 or modality != "in_person"
                else self.pick(("home", "community", "office"))
            )
        assert setting is not None
        goal = intervention.goal
        goal_words = goal.own_words.rstrip(".")
        objective = next((o.description for g, o, _ in p.version_on(day).goals if g is goal), "")
        first = p.first
        if text is None:
            if modality == "audio_video":
                where = "over video"
            elif modality == "audio_only":
                where = "by phone"
            elif setting == "home":
                where = f"at {first}'s home"
            elif setting == "office":
                where = "at our office"
            else:
                where = f"at {self.pick(texts.COMMUNITY_PLACES)}"
            text = self.pick(texts.NOTE_TEXT[intervention.activity]).format(
                first=first,
                where=where,
                resource=self.pick(texts.RESOURCES),
                community=self.pick(texts.COMMUNITY_PLACES),
            )
        purpose = self.pick(texts.PURPOSE).format(first=first, goal=goal_words, objective=objective)
        response = self.pick(texts.RESPONSES).format(first=first)
        next_steps = self.pick(texts.NEXT_STEPS).format(
            first=first, action=self.pick(texts.ACTIONS)
        )
        sign_after = self.pick((0, 0, 1, 1, 2))
        if sign_after == 0 and end > SIGN_HOUR * 60:
            sign_after = 1
        signed_day = day + sign_after * DAY
        # Drafts are the last day or two only: a note left unsigned longer would be overdue
        # on the board today (the pack's signing deadline), and the demo plants no such note.
        draft = signed_day > self.we or (
            day > self.we - 14 * DAY
            and rng.random() < 0.12
            and not force_signed
            and day >= self.we - DAY
        )
        if force_signed and signed_day > self.we:
            signed_day, draft = day, False
        values: dict[str, Any] = {}
        if not draft:
            sign_at = SIGN_HOUR * 60 if signed_day > day else max(SIGN_HOUR * 60, end + 10)
            values = {
                "status": NoteStatus.SIGNED,
                "signed_by": author.staff,
                "signed_credential": "CPSS",
                "signed_at": at(signed_day, sign_at),
            }
        note = self.new(
            ServiceNote,
            person=p.obj,
            staff=author.staff,
            date=day,
            start_time=clock(start),
            end_time=clock(end),
            modality=modality,
            setting=setting,
            kind=kind,
            group_session=session,
            activity=intervention.activity,
            goal=goal,
            intervention=intervention,
            intervention_text=text,
            purpose=purpose,
            response=response,
            next_steps=next_steps,
            **values,
        )
        team.person_cal[(p.obj.pk, day)].append((start, end))
        if kind == "individual":
            team.staff_cal[(author.staff.pk, day)].append((start, end))
        p.notes.append(note)
        p.units += units
        if modality != "in_person":
            p.tele_units += units
        return note

    # ---------------------------------------------------------------- other services

    def other_services(self, team: _Team) -> None:
        rng = self.rng
        for p in team.persons:
            if p.notes and p.clean and rng.random() < 0.03:
                self.transition_enrollment(p)
            if rng.random() >= 0.4:
                continue
            category, code, minutes, (lo, hi) = self.pick(OTHER_SERVICES)
            provider = self.pick(names.CLINICS)
            day = p.first_day + self.days(0, lo)
            while day <= p.last_day:
                if day.weekday() < 5:
                    starts = list(range(DAY_START, 17 * 60 - minutes + 1, 15))
                    for start in [self.pick(starts) for _ in range(6)]:
                        if _free(team.person_cal, p.obj.pk, day, start, start + minutes):
                            self.other_service(
                                team, p, category, code, provider, day, start, start + minutes
                            )
                            break
                day += self.days(lo, hi)

    def other_service(
        self,
        team: _Team,
        p: _Person,
        category: str,
        code: str,
        provider: str,
        day: dt.date,
        start: int,
        end: int,
    ) -> OtherService:
        team.person_cal[(p.obj.pk, day)].append((start, end))
        return self.new(
            OtherService,
            person=p.obj,
            category=category,
            procedure_code=code,
            provider_name=provider,
            date=day,
            start_time=clock(start),
            end_time=clock(end),
        )

    def transition_enrollment(self, p: _Person) -> None:
        """The clean exception: ACTT or CST ending within 30 days after peer support starts."""
        first = min(n.date for n in p.notes)
        self.new(
            ProgramEnrollment,
            person=p.obj,
            program=self.pick(("ACTT", "CST")),
            provider_name=self.pick(names.ACT_TEAMS),
            start=first - self.days(200, 700),
            end=first + self.days(0, 29),
        )

    # ---------------------------------------------------------------- defects

    def defect(
        self,
        kind: str,
        record: models.Model,
        *,
        person: Person | None = None,
        staff: StaffMember | None = None,
        day: dt.date | None = None,
        text: str,
    ) -> None:
        info = Defect(
            kind=str(kind),
            record_type=record._meta.label,
            record_id=int(record.pk),
            person_id=person.pk if person else None,
            staff_id=staff.pk if staff else None,
            date=day,
            description=text,
        )
        self.defects.append(info)
        self.new(
            PlantedDefect,
            kind=info.kind,
            record_type=info.record_type,
            record_id=info.record_id,
            person=person,
            staff=staff,
            date=day,
            description=text,
        )

    def family_defect(self, p: _Person, author: _Cpss, note: ServiceNote) -> None:
        relationship = self.pick(names.FAMILY_RELATIONSHIPS)
        self.new(FamilyRelationship, person=p.obj, staff=author.staff, relationship=relationship)
        p.family = None
        self.team.placed.append(DefectKind.FAMILY_MEMBER_DELIVERS)
        self.defect(
            DefectKind.FAMILY_MEMBER_DELIVERS,
            note,
            person=p.obj,
            staff=author.staff,
            day=note.date,
            text=f"{author.staff.full_name} ({relationship} of the person) covered this visit "
            f"for the usual peer specialist, {p.cpss_on(note.date).staff.full_name}.",
        )

    def count_unmanaged(self, p: _Person, note: ServiceNote) -> None:
        """Unauthorized visits use the unmanaged units of their state fiscal year (July to
        June); the visit that goes past them is the planted defect."""
        fiscal_year = note.date.year + (1 if note.date.month >= 7 else 0)
        before = p.unmanaged_used.get(fiscal_year, 0)
        after = before + units_for(minutes_of(note.end_time) - minutes_of(note.start_time))
        p.unmanaged_used[fiscal_year] = after
        if before <= self.unmanaged_units < after and DefectKind.NOTE_OUTSIDE_AUTHORIZATION not in (
            self.team.placed
        ):
            self.outside_auth_defect(p, note, after)

    def outside_auth_defect(self, p: _Person, note: ServiceNote, used: int) -> None:
        cutoff = p.last_day
        self.team.placed.append(DefectKind.NOTE_OUTSIDE_AUTHORIZATION)
        self.defect(
            DefectKind.NOTE_OUTSIDE_AUTHORIZATION,
            note,
            person=p.obj,
            staff=note.staff,
            day=note.date,
            text=f"The last authorization ended {cutoff.isoformat()} and no continued-stay "
            f"request was made; this visit on {note.date.isoformat()} brings the fiscal "
            f"year's unauthorized units to {used}, past the {self.unmanaged_units} unmanaged "
            "units.",
        )

    def signed(self, p: _Person, kind: str | None = None) -> list[ServiceNote]:
        return [
            n for n in p.notes if n.status == NoteStatus.SIGNED and (kind is None or n.kind == kind)
        ]

    def finish_defects(self, team: _Team) -> None:
        """Defects that need the schedule: change a note, date a record after the first
        service, add an overlapping service or an excluded program."""
        for p in team.persons:
            if p.defect is None or not p.notes:
                continue
            notes = sorted(p.notes, key=lambda n: (n.date, n.start_time))
            first = notes[0]
            singles = [n for n in self.signed(p, "individual") if n is not first]
            kind = p.defect
            if kind == DefectKind.NOTE_WITHOUT_GOAL and singles:
                note = self.pick(singles)
                note.goal = None
                note.intervention = None
                note.purpose = f"Talked about how the week went and what {p.first} wants next."
                self.place(
                    team,
                    kind,
                    note,
                    p,
                    f"Signed note on {note.date.isoformat()} names "
                    "no plan goal and no intervention.",
                )
            elif kind == DefectKind.NOT_COVERED_ACTIVITY and singles:
                note = self.pick(singles)
                note.activity = "transportation"
                note.modality, note.setting = "in_person", "community"
                note.intervention_text = self.pick(texts.TRANSPORT_TEXT).format(first=p.first)
                self.place(
                    team,
                    kind,
                    note,
                    p,
                    "Signed note records a ride (transportation), "
                    "which peer support does not cover; the plan goal is still named.",
                )
            elif kind == DefectKind.OVERLAP_OTHER_SERVICE:
                self.overlap_defect(team, p, singles)
            elif kind == DefectKind.CCA_AFTER_FIRST_SERVICE:
                assert p.assessment is not None
                p.assessment.date = first.date + self.days(2, 10)
                self.place(
                    team,
                    kind,
                    p.assessment,
                    p,
                    f"The only CCA is dated {p.assessment.date.isoformat()}, after the "
                    f"first service on {first.date.isoformat()}; it is also after the "
                    "initial authorization request.",
                    day=first.date,
                )
            elif kind == DefectKind.SERVICE_ORDER_LATE:
                assert p.order is not None
                p.order.signed_on = first.date + self.days(2, 10)
                self.place(
                    team,
                    kind,
                    p.order,
                    p,
                    f"Service order signed {p.order.signed_on.isoformat()}, after the "
                    f"first service on {first.date.isoformat()}.",
                    day=first.date,
                )
            elif kind == DefectKind.UNDER_AGE:
                birthday = first.date + self.days(21, 60)
                p.obj.date_of_birth = add_years(birthday, -18)
                before = sum(1 for n in notes if n.date < birthday)
                self.place(
                    team,
                    kind,
                    p.obj,
                    p,
                    f"Turns 18 on {birthday.isoformat()}; {before} service notes come "
                    f"before that, the first on {first.date.isoformat()}.",
                    day=first.date,
                )
            elif kind == DefectKind.TOO_FEW_NEEDS_AREAS:
                assert p.assessment is not None
                self.place(
                    team,
                    kind,
                    p.assessment,
                    p,
                    "The CCA documents no needs area (the pack requires at least 1).",
                    day=p.assessment.date,
                )
            elif kind == DefectKind.NO_CRISIS_PLAN:
                plan = p.versions[0].plan
                self.place(
                    team,
                    kind,
                    plan,
                    p,
                    f"Plan version {plan.version} is active with no crisis plan.",
                    day=plan.start,
                )
            elif kind == DefectKind.PLAN_EXPIRED:
                due = p.versions[-1].plan.review_due
                late = [n for n in notes if n.date > due and n.status == NoteStatus.SIGNED]
                if late:
                    self.place(
                        team,
                        kind,
                        late[0],
                        p,
                        f"The plan was due for review on {due.isoformat()} and was not "
                        f"renewed; {len(late)} signed notes come after, the first on "
                        f"{late[0].date.isoformat()}.",
                    )
            elif kind == DefectKind.EXCLUDED_PROGRAM:
                self.excluded_program_defect(team, p, notes)
        for cpss in team.cpss:
            if cpss.defect == DefectKind.CERTIFICATION_EXPIRED:
                assert cpss.certification is not None and cpss.certification.end is not None
                expired = cpss.certification.end
                after = sorted(
                    (
                        n
                        for p in team.persons
                        for n in p.notes
                        if n.staff is cpss.staff
                        and n.date > expired
                        and n.status == NoteStatus.SIGNED
                    ),
                    key=lambda n: (n.date, n.start_time, n.pk),
                )
                if after:
                    team.placed.append(cpss.defect)
                    self.defect(
                        cpss.defect,
                        cpss.certification,
                        staff=cpss.staff,
                        day=expired + DAY,
                        text=f"Certification expired {expired.isoformat()} and was not renewed; "
                        f"{len(after)} signed notes follow, the first #{after[0].pk} on "
                        f"{after[0].date.isoformat()}.",
                    )
            elif cpss.defect == DefectKind.TRAINING_MISSED:
                missing = self.missing_training_id()
                req = next(r for r in self.training if r.id == missing)
                due = cpss.hire + dt.timedelta(days=req.days_after_hire or 0)
                team.placed.append(cpss.defect)
                self.defect(
                    cpss.defect,
                    cpss.staff,
                    staff=cpss.staff,
                    day=due,
                    text=f"No record of the required '{missing}' training ({req.hours} h, due "
                    f"within {req.days_after_hire} days of hire, by {due.isoformat()}).",
                )

    def place(
        self,
        team: _Team,
        kind: str,
        record: models.Model,
        p: _Person,
        text: str,
        day: dt.date | None = None,
    ) -> None:
        team.placed.append(kind)
        if day is None:
            day = getattr(record, "date", None)
        staff = record.staff if isinstance(record, ServiceNote) else None
        self.defect(kind, record, person=p.obj, staff=staff, day=day, text=text)

    def overlap_defect(self, team: _Team, p: _Person, singles: list[ServiceNote]) -> None:
        for note in singles:
            start, end = minutes_of(note.start_time), minutes_of(note.end_time)
            o_start = start + 15
            o_end = o_start + 45
            others = [iv for iv in team.person_cal[(p.obj.pk, note.date)] if iv != (start, end)]
            if o_end > DAY_END + 60 or any(not (o_end <= s or o_start >= e) for s, e in others):
                continue
            service = self.other_service(
                team, p, "THERAPY", "90834", self.pick(names.CLINICS), note.date, o_start, o_end
            )
            self.place(
                team,
                DefectKind.OVERLAP_OTHER_SERVICE,
                note,
                p,
                f"Therapy (other service #{service.pk}) from {clock(o_start):%H:%M} to "
                f"{clock(o_end):%H:%M} overlaps this note "
                f"({note.start_time:%H:%M}-{note.end_time:%H:%M}).",
            )
            return

    def excluded_program_defect(self, team: _Team, p: _Person, notes: list[ServiceNote]) -> None:
        first = notes[0].date
        end = first + self.days(45, 75)
        program = self.pick(("ACTT", "CST"))
        self.new(
            ProgramEnrollment,
            person=p.obj,
            program=program,
            provider_name=self.pick(names.ACT_TEAMS),
            start=first - self.days(60, 400),
            end=end,
        )
        affected = [n for n in notes if (end - n.date).days >= 30]
        if affected:
            self.place(
                team,
                DefectKind.EXCLUDED_PROGRAM,
                affected[0],
                p,
                f"In {program} until {end.isoformat()}; {len(affected)} notes fall before that "
                "enrollment's last 30 days (the transition exception), the first on "
                f"{affected[0].date.isoformat()}.",
            )

    def caseload_defect(self, team: _Team) -> None:
        for cpss in team.cpss:
            if cpss.defect != DefectKind.CASELOAD_OVER_RATIO:
                continue
            spans = [(s, e) for p in team.persons for s, e, c in p.spans if c is cpss]
            day = min(s for s, _ in spans)
            while day <= self.we:
                on = sum(1 for s, e in spans if s <= day and (e is None or day <= e))
                if on >= OVER_RATIO_CASELOAD:
                    team.placed.append(cpss.defect)
                    self.defect(
                        cpss.defect,
                        cpss.staff,
                        staff=cpss.staff,
                        day=day,
                        text=f"{on} people on the caseload from {day.isoformat()} (the pack "
                        "allows 12; the LME-MCO notice says 15).",
                    )
                    break
                day += DAY

    # ---------------------------------------------------------------- authorizations

    def authorizations(self, p: _Person) -> None:
        """Back-to-back approved authorizations from admission: initial, then continued stay,
        each 180 days, with at least 10% more units than the notes in it use."""
        rng = self.rng
        last = (
            p.last_day
            if p.defect == DefectKind.NOTE_OUTSIDE_AUTHORIZATION and p.extra_days
            else (p.discharge or self.we)
        )
        spans: list[tuple[dt.date, dt.date]] = []
        start = p.admission
        while start <= last:
            spans.append((start, start + 179 * DAY))
            start += 180 * DAY
        used = [0] * len(spans)
        signed = [0] * len(spans)
        for n in p.notes:
            for i, (s, e) in enumerate(spans):
                if s <= n.date <= e:
                    u = units_for(minutes_of(n.end_time) - minutes_of(n.start_time))
                    used[i] += u
                    if n.status == NoteStatus.SIGNED:
                        signed[i] += u
        over = -1
        if p.defect == DefectKind.UNITS_OVER_AUTHORIZATION:
            best = max(range(len(spans)), key=lambda i: signed[i])
            if signed[best] >= 10:
                over = best
        reviewer = self.reviewers[p.obj.payer.pk]
        for i, (s, e) in enumerate(spans):
            requested_on = s - self.days(5, 10) if i else s - p.request_offset * DAY
            requested = at(requested_on, rng.randint(9 * 60, 16 * 60))
            decided = at(requested_on + self.days(1, 5), rng.randint(9 * 60, 17 * 60))
            approved = max(math.ceil(used[i] * 1.1) + 2, self.pick((96, 104, 120, 130, 156)))
            if i == over:
                approved = signed[i] - rng.randint(2, 4)
            auth = self.new(
                Authorization,
                person=p.obj,
                payer=p.obj.payer,
                kind="concurrent" if i else "initial",
                urgency="standard",
                procedure_code="H0038",
                requested_at=requested,
                units_requested=approved,
                start=s,
                end=e,
                status=AuthStatus.APPROVED,
                units_approved=approved,
                decided_at=decided,
                reviewer=reviewer,
            )
            auth.number = f"PA{s.year % 100:02d}{auth.pk:07d}"
            if i == over:
                self.team.placed.append(DefectKind.UNITS_OVER_AUTHORIZATION)
                self.defect(
                    DefectKind.UNITS_OVER_AUTHORIZATION,
                    auth,
                    person=p.obj,
                    day=s,
                    text=f"Approves {approved} units; signed notes dated inside it use "
                    f"{signed[i]} units.",
                )
        self.continued_stay_request(p, spans[-1][1] if spans else None)

    def continued_stay_request(self, p: _Person, last_end: dt.date | None) -> None:
        """A person still served whose authorization ends within two weeks of today has a
        continued-stay request waiting for the payer's decision, as an agency that keeps up
        would have sent (the reviewer's queue has work, and the board nothing overdue)."""
        today = self.we + DAY
        if last_end is None or (p.discharge is not None and p.discharge <= self.we):
            return
        if p.defect == DefectKind.NOTE_OUTSIDE_AUTHORIZATION:
            return
        if not today - DAY <= last_end <= today + 14 * DAY:
            return
        start = last_end + DAY
        requested_on = min(self.we, start - self.days(5, 10))
        units = self.pick((96, 104, 120, 130))
        auth = self.new(
            Authorization,
            person=p.obj,
            payer=p.obj.payer,
            kind="concurrent",
            urgency="standard",
            procedure_code="H0038",
            requested_at=at(requested_on, self.rng.randint(9 * 60, 16 * 60)),
            units_requested=units,
            start=start,
            end=start + 179 * DAY,
            status=AuthStatus.REQUESTED,
        )
        auth.number = f"PA{start.year % 100:02d}{auth.pk:07d}"

    # ---------------------------------------------------------------- the schedule

    def appointments(self, team: _Team) -> None:
        """The schedule around today (the day after the window): the last two weeks' visits
        as kept appointments, each with the note written from it; a few no-shows and
        cancellations; visits today and over the next two weeks for everyone still served;
        each peer's weekly group from today on. Drawn from a generator of its own, so the
        records of the window do not depend on it."""
        rng = random.Random(self.seed * 1009 + team.index)
        today = self.we + DAY
        booked: dict[tuple[int, dt.date], list[tuple[int, int]]] = defaultdict(list)

        def free_slot(cpss: _Cpss, day: dt.date, minutes: int) -> int | None:
            starts = list(range(9 * 60, 16 * 60 + 1, 30))
            rng.shuffle(starts)
            taken = booked[(cpss.staff.pk, day)] + team.staff_cal.get((cpss.staff.pk, day), [])
            for start in starts:
                if all(start + minutes <= s or start >= e for s, e in taken):
                    return start
            return None

        def book(cpss: _Cpss, person: Person | None, day: dt.date, start: int, end: int,
                 **values: Any) -> Appointment:  # fmt: skip
            booked[(cpss.staff.pk, day)].append((start, end))
            return self.new(
                Appointment,
                agency=self.agency,
                staff=cpss.staff,
                person=person,
                kind="individual" if person is not None else "group",
                date=day,
                start_time=clock(start),
                end_time=clock(end),
                created_at=at(min(day, today) - 7 * DAY, 9 * 60),
                **values,
            )

        for p in team.persons:
            for n in p.notes:
                if n.kind == "individual" and today - 14 * DAY <= n.date < today:
                    book(
                        p.cpss_on(n.date), p.obj, n.date, minutes_of(n.start_time),
                        minutes_of(n.end_time), modality=n.modality, setting=n.setting,
                        status=AppointmentStatus.KEPT, note=n,
                    )  # fmt: skip

        def served(cpss: _Cpss, day: dt.date) -> list[_Person]:
            return [
                p
                for p in team.persons
                if p.cpss_on(day) is cpss
                and p.first_day <= min(day, self.we)
                and (p.discharge is None or p.discharge > self.we)
            ]

        for cpss in team.cpss:
            if cpss.hire > self.we:
                continue
            # Missed visits in the last two weeks: not billed, counted on the chart.
            for k in range(rng.randint(1, 3)):
                day = prev_weekday(today - rng.randint(1, 13) * DAY)
                people = served(cpss, day)
                minutes = rng.choice(DURATIONS) if people else 0
                start = free_slot(cpss, day, minutes) if people else None
                if start is None:
                    continue
                no_show = k % 2 == 0
                book(
                    cpss, rng.choice(people).obj, day, start, start + minutes,
                    setting=rng.choice(people).setting,
                    status=AppointmentStatus.NO_SHOW if no_show else AppointmentStatus.CANCELLED,
                    reason=rng.choice(texts.NO_SHOW_REASONS if no_show else texts.CANCEL_REASONS),
                )  # fmt: skip
            # The weekly group, from today on.
            first = today + dt.timedelta(days=(cpss.group_day - today.weekday()) % 7)
            start, end = cpss.group_start, cpss.group_start + cpss.group_len
            series = self.new(
                GroupSeries,
                agency=self.agency,
                staff=cpss.staff,
                topic=rng.choice(texts.GROUP_SERIES_TOPICS),
                first_date=first,
                last_date=first + 7 * 7 * DAY,
                every_weeks=1,
                start_time=clock(start),
                end_time=clock(end),
                setting="community",
                created_at=at(today - 14 * DAY, 9 * 60),
            )
            for week in range(8):
                book(cpss, None, first + week * 7 * DAY, start, end, series=series,
                     topic=series.topic, setting="community")  # fmt: skip
            # Visits: three or four today, then about one a week for everyone served.
            people = served(cpss, today)
            rng.shuffle(people)
            for i, p in enumerate(people):
                days = [today] if i < rng.randint(3, 4) else []
                for week in range(2):
                    day = today + (week * 7 + rng.randint(1, 6)) * DAY
                    if day.weekday() >= 5:
                        day = next_weekday(day)
                    if day not in days:
                        days.append(day)
                for day in days:
                    minutes = rng.choice(DURATIONS)
                    start = free_slot(cpss, day, minutes)
                    if start is not None:
                        book(cpss, p.obj, day, start, start + minutes, setting=p.setting)

    # ---------------------------------------------------------------- checks

    def check_team(self, team: _Team) -> None:
        """Cheap guards on what the rules will check; a failure here is a generator bug."""
        for cpss in team.cpss:
            if cpss.defect == DefectKind.CASELOAD_OVER_RATIO:
                continue
            spans = [(s, e) for p in team.persons for s, e, c in p.spans if c is cpss]
            points = sorted({s for s, _ in spans})
            for day in points:
                on = sum(1 for s, e in spans if s <= day and (e is None or day <= e))
                if on > CASELOAD_MAX:
                    raise AssertionError(f"caseload {on} for {cpss.staff} on {day}")


def people_touched(defects: Iterable[Defect]) -> int:
    """People named by at least one planted defect."""
    return len({d.person_id for d in defects if d.person_id is not None})
