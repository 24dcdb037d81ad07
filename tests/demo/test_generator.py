"""The demo agency: deterministic, at the promised size, clean by the rules except for the
defects it plants, and every planted defect pointing at a real record.

The invariant checks below are written as plain queries over what was stored, not with the
generator's own bookkeeping, so they prove that the clean records are clean.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction

from peerpath.authorizations.models import Authorization
from peerpath.core import codes
from peerpath.demo.generator import DemoError, DemoReport, generate, units_for
from peerpath.demo.models import DefectKind, PlantedDefect
from peerpath.organizations.models import Agency, ContractRate, Payer, Site
from peerpath.people.models import (
    Assessment,
    Diagnosis,
    Discharge,
    Episode,
    FamilyRelationship,
    OtherService,
    Person,
    ProgramEnrollment,
    ServiceOrder,
)
from peerpath.plans.models import CrisisPlan, Intervention, Plan, PlanSignature
from peerpath.policy.parameters import load_packs
from peerpath.services.models import GroupAttendance, GroupSession, ServiceNote
from peerpath.staff.models import (
    CaseloadAssignment,
    Certification,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)
from tests.factories import AgencyFactory

NEW_YORK = ZoneInfo("America/New_York")
DEMO_APPS = {"auth", "organizations", "staff", "people", "plans", "authorizations", "services"}
DEMO_APPS |= {"demo"}
STATIC_MODELS = {"auth.Permission", "auth.Group", "auth.Group_permissions"}
COVERED = {
    "peer_mentoring",
    "resource_connecting",
    "skills_group",
    "building_community",
    "crisis_support",
    "advocacy",
}
STAFF_KINDS = {
    DefectKind.CERTIFICATION_EXPIRED,
    DefectKind.TRAINING_MISSED,
    DefectKind.CASELOAD_OVER_RATIO,
}


# ----------------------------------------------------------------------------- helpers


def canonical_dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every demo table, every column, in id order."""
    dump = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if model._meta.app_label not in DEMO_APPS or label in STATIC_MODELS:
            continue
        columns = [f.attname for f in model._meta.concrete_fields]
        dump[label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return dump


class _Undo(Exception):
    pass


def generate_then_undo(**kwargs: Any) -> tuple[DemoReport, dict[str, list[tuple[Any, ...]]]]:
    """Generate, dump every table, and roll everything back."""
    kept: dict[str, Any] = {}
    try:
        with transaction.atomic():
            kept["report"] = generate(**kwargs)
            kept["dump"] = canonical_dump()
            raise _Undo
    except _Undo:
        pass
    return kept["report"], kept["dump"]


def minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def planted(kind: str) -> list[PlantedDefect]:
    return list(PlantedDefect.objects.filter(kind=kind))


def planted_ids(kind: str, field: str = "record_id") -> set[int]:
    return {getattr(d, field) for d in planted(kind)}


def planted_people() -> set[int]:
    return {d.person_id for d in PlantedDefect.objects.all() if d.person_id}


def planted_staff() -> set[int]:
    return {d.staff_id for d in PlantedDefect.objects.filter(kind__in=STAFF_KINDS)}


def planted_notes() -> set[int]:
    return {d.record_id for d in PlantedDefect.objects.filter(record_type="services.ServiceNote")}


# ----------------------------------------------------------------------------- whole runs


@pytest.mark.django_db
def test_same_seed_gives_the_same_records_and_another_seed_does_not() -> None:
    first, dump_a = generate_then_undo(seed=11)
    again, dump_b = generate_then_undo(seed=11)
    _, dump_c = generate_then_undo(seed=12)
    assert dump_a == dump_b
    assert first.defects == again.defects and first.counts == again.counts
    assert sum(len(rows) for rows in dump_a.values()) > 5000
    assert dump_c != dump_a
    assert dump_c["services.ServiceNote"] != dump_a["services.ServiceNote"]
    assert dump_c["people.Person"] != dump_a["people.Person"]


@pytest.mark.django_db
def test_refuses_a_database_that_already_has_an_agency() -> None:
    AgencyFactory()
    with pytest.raises(DemoError, match="empty database"):
        generate(people=10)
    assert Agency.objects.count() == 1


@pytest.mark.django_db
def test_small_clean_demo_plants_nothing_when_the_rate_is_zero() -> None:
    report, dump = generate_then_undo(people=30, months=2, defect_rate=0, seed=3)
    assert report.defects == [] and dump["demo.PlantedDefect"] == []
    assert len(dump["people.Person"]) == 30
    assert len(dump["services.ServiceNote"]) > 30


@pytest.mark.slow
@pytest.mark.django_db
def test_two_thousand_people_in_bulk() -> None:
    began = time.perf_counter()
    report, dump = generate_then_undo(people=2000, seed=5)
    seconds = time.perf_counter() - began
    assert report.counts["people.Person"] == 2000
    assert report.counts["services.ServiceNote"] > 2000 * 20
    assert set(Counter(d.kind for d in report.defects)) == set(DefectKind)
    # One overdue outcome measure per team on top of the defect rate (docs/demo-data.md).
    outcome = DefectKind.OUTCOME_MEASURE_OVERDUE
    planned = [d for d in report.defects if d.kind != outcome]
    assert round(0.06 * 2000) * 0.8 <= len(planned) <= round(0.06 * 2000)
    role = [f.attname for f in StaffMember._meta.concrete_fields].index("role")
    teams = sum(1 for row in dump["staff.StaffMember"] if row[role] == "supervisor")
    assert len(report.defects) - len(planned) == teams
    print(f"\n2,000 people in {seconds:.1f} s ({report.counts['services.ServiceNote']:,} notes)")


# ----------------------------------------------------------------------------- the default demo


@pytest.fixture(scope="class")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoReport]:
    """One default demo (seed 7, 160 people) shared by the checks, rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield generate()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestDefaultDemo:
    # ------------------------------------------------------------------ size and shape

    def test_counts_meet_the_minimums(self, demo: DemoReport) -> None:
        assert Agency.objects.get().state == "NC"
        assert Site.objects.count() == 2
        assert set(Payer.objects.values_list("kind", flat=True)) == {"lme_mco"}
        assert Payer.objects.count() == 2
        rates = set(ContractRate.objects.values_list("modifiers", "rate_per_unit"))
        assert {(m, str(r)) for m, r in rates} == {("", "11.97"), ("HQ", "2.88")}
        roles = Counter(StaffMember.objects.values_list("role", flat=True))
        assert roles["supervisor"] >= 2 and roles["cpss"] >= 8
        assert roles["billing"] == roles["admin"] == roles["auditor"] == 1
        assert roles["um_reviewer"] >= 1
        assert Person.objects.count() == 160
        assert GroupSession.objects.exists() and Training.objects.exists()
        assert SupervisorContact.objects.exists()
        months = {d.month for d in ServiceNote.objects.values_list("date", flat=True)}
        assert len(months) == 6
        assert ServiceNote.objects.filter(kind="group").count() > 500
        for label, count in demo.counts.items():
            assert apps.get_model(label)._default_manager.count() == count, label

    def test_staff_have_unusable_logins_with_first_last_usernames(self) -> None:
        for staff in StaffMember.objects.select_related("user"):
            assert staff.user is not None and not staff.user.has_usable_password()
            assert staff.user.username.startswith(f"{staff.first_name}.{staff.last_name}".lower())
        assert get_user_model().objects.count() == StaffMember.objects.count()

    def test_records_made_after_the_demo_get_fresh_ids(self) -> None:
        taken = max(Site.objects.values_list("pk", flat=True))
        site = Site.objects.create(agency=Agency.objects.get(), name="Willow Creek Sanford")
        assert site.pk > taken

    def test_summary_names_the_counts_and_every_planted_kind(self, demo: DemoReport) -> None:
        text = demo.summary()
        assert "services.ServiceNote" in text
        for kind in DefectKind:
            assert kind.value in text

    # ------------------------------------------------------------------ planted defects

    def test_every_defect_kind_is_planted_on_an_existing_record(self, demo: DemoReport) -> None:
        rows = list(PlantedDefect.objects.all())
        assert {d.kind for d in rows} == set(DefectKind)
        assert len(rows) == len(demo.defects)
        for d in rows:
            model = apps.get_model(d.record_type)
            assert model._default_manager.filter(pk=d.record_id).exists(), d
            assert d.description
        assert {(d.kind, d.record_type, d.record_id) for d in demo.defects} == {
            (d.kind, d.record_type, d.record_id) for d in rows
        }

    def test_planted_defects_show_in_the_records(self) -> None:
        for d in planted(DefectKind.GROUP_OVER_SIZE):
            assert GroupAttendance.objects.filter(session_id=d.record_id).count() == 13
        for d in planted(DefectKind.NOTE_WITHOUT_GOAL):
            note = ServiceNote.objects.get(pk=d.record_id)
            assert note.status == "signed" and note.goal_id is None
        for d in planted(DefectKind.NOT_COVERED_ACTIVITY):
            assert ServiceNote.objects.get(pk=d.record_id).activity in {
                "transportation",
                "recreation",
            }
        for d in planted(DefectKind.FAMILY_MEMBER_DELIVERS):
            note = ServiceNote.objects.get(pk=d.record_id)
            assert FamilyRelationship.objects.filter(
                person=note.person_id, staff=note.staff_id
            ).exists()
        for d in planted(DefectKind.UNDER_AGE):
            assert Person.objects.get(pk=d.record_id).age_on(d.date) == 17
        for d in planted(DefectKind.TOO_FEW_NEEDS_AREAS):
            assert Assessment.objects.get(pk=d.record_id).needs_areas == []
        for d in planted(DefectKind.NO_CRISIS_PLAN):
            plan = Plan.objects.get(pk=d.record_id)
            assert plan.status == "active" and not CrisisPlan.objects.filter(plan=plan).exists()
        for d in planted(DefectKind.CASELOAD_OVER_RATIO):
            on = CaseloadAssignment.objects.filter(staff=d.record_id, start__lte=d.date).exclude(
                end__lt=d.date
            )
            assert on.count() == 13
        for d in planted(DefectKind.UNITS_OVER_AUTHORIZATION):
            auth = Authorization.objects.get(pk=d.record_id)
            used = sum(
                units_for(minutes(n.end_time) - minutes(n.start_time))
                for n in ServiceNote.objects.filter(
                    person=auth.person, date__gte=auth.start, date__lte=auth.end, status="signed"
                )
            )
            assert used > auth.units_approved
        for d in planted(DefectKind.CERTIFICATION_EXPIRED):
            cert = Certification.objects.get(pk=d.record_id)
            assert ServiceNote.objects.filter(
                staff=cert.staff, date__gt=cert.end, status="signed"
            ).exists()

    # ------------------------------------------------------------------ time

    def test_no_person_has_two_notes_at_once(self) -> None:
        by_day = defaultdict(list)
        for n in ServiceNote.objects.all():
            by_day[(n.person_id, n.date)].append((minutes(n.start_time), minutes(n.end_time)))
        for spans in by_day.values():
            spans.sort()
            for a, b in itertools.pairwise(spans):
                assert not overlaps(a, b)

    def test_no_staff_member_is_in_two_places_at_once(self) -> None:
        blocks = defaultdict(set)  # one block per individual note or per group session
        for n in ServiceNote.objects.all():
            key = ("g", n.group_session_id) if n.group_session_id else ("n", n.pk)
            blocks[(n.staff_id, n.date)].add((minutes(n.start_time), minutes(n.end_time), key))
        for spans in blocks.values():
            ordered = sorted(spans)
            for a, b in itertools.pairwise(ordered):
                assert not overlaps(a[:2], b[:2])

    def test_notes_fall_in_the_window_on_weekday_hours(self, demo: DemoReport) -> None:
        episodes = {e.person_id: e for e in Episode.objects.all()}
        drafts = 0
        notes = list(ServiceNote.objects.all())
        for n in notes:
            assert demo.start <= n.date <= demo.end and n.date.weekday() < 5
            assert minutes(n.start_time) >= 8 * 60 and minutes(n.end_time) <= 18 * 60
            length = minutes(n.end_time) - minutes(n.start_time)
            assert (30 <= length <= 75) if n.kind == "individual" else (60 <= length <= 90)
            assert n.setting != "emergency_department"
            episode = episodes[n.person_id]
            assert episode.start <= n.date and (episode.end is None or n.date <= episode.end)
            if n.status == "draft":
                drafts += 1
                assert n.signed_at is None and n.date > demo.end - dt.timedelta(days=15)
                continue
            assert n.signed_by_id == n.staff_id and n.signed_credential == "CPSS"
            signed = n.signed_at.astimezone(NEW_YORK)
            assert 0 <= (signed.date() - n.date).days <= 2
            assert signed >= dt.datetime.combine(n.date, n.end_time, tzinfo=NEW_YORK)
        assert 0 < drafts <= 0.05 * len(notes)

    def test_telehealth_stays_a_minority_of_each_persons_units(self) -> None:
        total, remote = Counter(), Counter()
        for n in ServiceNote.objects.all():
            u = units_for(minutes(n.end_time) - minutes(n.start_time))
            total[n.person_id] += u
            if n.modality != "in_person":
                remote[n.person_id] += u
        assert sum(remote.values()) > 0
        for person, units in remote.items():
            assert units <= 0.5 * total[person]

    # ------------------------------------------------------------------ staffing

    def test_caseloads_stay_within_the_ratio(self, demo: DemoReport) -> None:
        over = planted_ids(DefectKind.CASELOAD_OVER_RATIO)
        spans = defaultdict(list)
        for c in CaseloadAssignment.objects.all():
            spans[c.staff_id].append((c.start, c.end))
        for staff_id, rows in spans.items():
            if staff_id in over:
                continue
            for day in {s for s, _ in rows} | {demo.start, demo.end}:
                on = sum(1 for s, e in rows if s <= day and (e is None or day <= e))
                assert on <= 11, (staff_id, day, on)

    def test_each_person_is_on_one_caseload_for_the_whole_episode(self) -> None:
        for e in Episode.objects.all():
            rows = sorted(
                CaseloadAssignment.objects.filter(person=e.person_id).values_list("start", "end")
            )
            assert rows[0][0] == e.start and rows[-1][1] == e.end
            for (_, end), (start, _) in itertools.pairwise(rows):
                assert end is not None and start == end + dt.timedelta(days=1)
        cpss = set(StaffMember.objects.filter(role="cpss").values_list("pk", flat=True))
        assert set(CaseloadAssignment.objects.values_list("staff", flat=True)) <= cpss

    def test_supervisors_have_at_most_eight_peer_specialists(self) -> None:
        per = Counter(SupervisionAssignment.objects.values_list("supervisor", flat=True))
        assert per and max(per.values()) <= 8
        assert (
            SupervisionAssignment.objects.count() == StaffMember.objects.filter(role="cpss").count()
        )

    def test_note_authors_are_certified_on_every_note_date(self) -> None:
        expired = planted_ids(DefectKind.CERTIFICATION_EXPIRED, "staff_id")
        certs = defaultdict(list)
        for c in Certification.objects.all():
            certs[c.staff_id].append(c)
        for n in ServiceNote.objects.filter(status="signed").exclude(staff__in=expired):
            assert any(c.active_on(n.date) for c in certs[n.staff_id]), n.pk
        staff = StaffMember.objects.filter(role="cpss").exclude(pk__in=expired)
        for s in staff:
            assert any(c.start <= s.hire_date for c in certs[s.pk])
            assert all(c.kind == "NC Certified Peer Support Specialist" for c in certs[s.pk])

    def test_staff_complete_the_pack_training_schedule_on_time(self, demo: DemoReport) -> None:
        requirements = load_packs()["nc-8g-2025"].value("training.requirements", demo.start)
        missed = planted_ids(DefectKind.TRAINING_MISSED)
        trainings = defaultdict(list)
        for t in Training.objects.all():
            trainings[(t.staff_id, t.topic)].append(t)
        checked = 0
        for s in StaffMember.objects.filter(role__in=["cpss", "supervisor"]):
            if s.pk in missed:
                continue
            for req in requirements:
                if req["who"] not in ("all", s.role):
                    continue
                done = trainings[(s.pk, req["id"])]
                due = req["due"]
                if "days_after_hire" in due:
                    deadline = s.hire_date + dt.timedelta(days=due["days_after_hire"])
                    if deadline > demo.end:
                        continue
                    assert any(
                        t.completed_on <= deadline and t.hours >= req["hours"] for t in done
                    ), (s.pk, req["id"])
                else:
                    year = dt.timedelta(days=366)
                    start = s.hire_date
                    while start + year <= demo.end:
                        assert any(start <= t.completed_on < start + year for t in done)
                        start += dt.timedelta(days=365)
                checked += 1
        assert checked > 100

    # ------------------------------------------------------------------ the person's record

    def test_people_are_adults_with_entrance_records_before_service(self, demo: DemoReport) -> None:
        young = planted_ids(DefectKind.UNDER_AGE)
        late_cca = planted_ids(DefectKind.CCA_AFTER_FIRST_SERVICE)
        late_order = planted_ids(DefectKind.SERVICE_ORDER_LATE)
        few_needs = planted_ids(DefectKind.TOO_FEW_NEEDS_AREAS)
        areas = {
            a["code"]
            for a in load_packs()["nc-8g-2025"].value("eligibility.needs_areas", demo.start)
        }
        first_note = {}
        for n in ServiceNote.objects.order_by("date"):
            first_note.setdefault(n.person_id, n.date)
        ages_checked = 0
        for p in Person.objects.all():
            assert p.medicaid_id[:9].isdigit() and p.medicaid_id[9].isalpha()
            dates = ServiceNote.objects.filter(person=p).values_list("date", flat=True)
            if p.pk not in young:
                assert all(19 <= p.age_on(d) <= 70 for d in dates)
                ages_checked += len(dates)
            if p.pk not in first_note:
                continue
            (cca,) = Assessment.objects.filter(person=p)
            if cca.pk not in late_cca:
                assert cca.date < first_note[p.pk]
            if cca.pk not in few_needs:
                assert 1 <= len(cca.needs_areas) <= 4 and set(cca.needs_areas) <= areas
            assert cca.medical_necessity and cca.no_equally_effective_alternative
            (order,) = ServiceOrder.objects.filter(person=p)
            if order.pk not in late_order:
                assert order.signed_on <= first_note[p.pk]
            assert order.credential in {"MD", "DO", "LCSW", "LCAS", "LPC", "LP"}
        assert ages_checked > 1000
        assert Person.objects.values("medicaid_id").distinct().count() == 160

    def test_diagnoses_are_billable_codes_with_a_realistic_mix(self) -> None:
        primary = list(Diagnosis.objects.filter(is_primary=True))
        assert len(primary) == 160
        for d in Diagnosis.objects.all():
            assert codes.icd10_problem(d.code) is None
            assert d.category == codes.diagnosis_category(d.code) and d.description
        sud = sum(1 for d in primary if d.category == "SUD") / len(primary)
        assert 0.1 <= sud <= 0.4
        both = Counter(Diagnosis.objects.values_list("person", flat=True))
        assert any(n > 1 for n in both.values())

    def test_plans_are_signed_versioned_and_carry_a_crisis_plan(self) -> None:
        missing = planted_ids(DefectKind.NO_CRISIS_PLAN)
        by_person = defaultdict(list)
        for plan in Plan.objects.order_by("version"):
            by_person[plan.person_id].append(plan)
            if plan.pk not in missing:
                crisis = CrisisPlan.objects.get(plan=plan)
                assert all(c["name"] and c["phone"] for c in crisis.contacts)
            roles = set(
                PlanSignature.objects.filter(plan=plan, signed_on=plan.start).values_list(
                    "role", flat=True
                )
            )
            assert roles == {"person", "cpss", "supervisor"}
            assert plan.review_due == plan.start + dt.timedelta(days=365)
            goals = plan.goals.all()
            assert 1 <= len(goals) <= 3
            for goal in goals:
                assert goal.own_words.startswith("I ")
                assert goal.objectives.count() == 1
                assert 1 <= goal.interventions.exclude(activity="skills_group").count() <= 2
        discharged = set(Episode.objects.filter(end__isnull=False).values_list("person", flat=True))
        revised = 0
        for person, plans in by_person.items():
            *older, latest = plans
            assert latest.status == ("closed" if person in discharged else "active")
            for prev, nxt in itertools.pairwise(plans):
                assert nxt.previous_id == prev.pk and prev.status == "superseded"
                assert nxt.start > prev.start
            revised += bool(older)
        assert revised >= 5

    def test_supervisor_contacts_keep_the_30_and_60_day_schedule(self, demo: DemoReport) -> None:
        missed = planted_ids(DefectKind.MISSED_SUPERVISOR_CONTACT)
        supervisor_of = dict(SupervisionAssignment.objects.values_list("staff", "supervisor"))
        for e in Episode.objects.exclude(person__in=missed):
            contacts = list(SupervisorContact.objects.filter(person=e.person_id).order_by("date"))
            assert contacts[0].date <= e.start + dt.timedelta(days=30)
            first_note = ServiceNote.objects.filter(person=e.person_id).order_by("date").first()
            if e.start < demo.start and first_note is not None:
                # Admitted before the window: also seen within 30 days of the first note in it.
                deadline = first_note.date + dt.timedelta(days=30)
                assert any(demo.start <= c.date <= deadline for c in contacts)
            last = e.end or demo.end
            dates = [c.date for c in contacts] + [last]
            assert all((b - a).days <= 60 for a, b in itertools.pairwise(dates))
            assert all(c.kind == "face_to_face" and c.date <= last for c in contacts)
            caseload = CaseloadAssignment.objects.filter(person=e.person_id)
            supervisors = {supervisor_of[c.staff_id] for c in caseload}
            assert {c.supervisor_id for c in contacts} <= supervisors

    def test_discharges_follow_the_nc_criteria_and_end_the_notes(self) -> None:
        reasons = {
            "functioning_improved_with_transition_plan",
            "positive_life_outcomes",
            "no_progress_strategies_exhausted",
            "person_declines",
        }
        discharges = list(Discharge.objects.select_related("episode"))
        assert discharges
        for d in discharges:
            assert d.reason in reasons and d.transition_plan and d.natural_supports
            assert d.episode.end == d.date
            assert not ServiceNote.objects.filter(person=d.episode.person_id, date__gt=d.date)

    # ------------------------------------------------------------------ billing rules

    def test_clean_notes_fall_inside_an_approved_authorization_with_room(self) -> None:
        # That person's visits after their last authorization use the unmanaged units
        # first; the planted note is the one that goes past them.
        outside_people = planted_ids(DefectKind.NOTE_OUTSIDE_AUTHORIZATION, "person_id")
        over = planted_ids(DefectKind.UNITS_OVER_AUTHORIZATION)
        reviewers = set(StaffMember.objects.filter(role="um_reviewer").values_list("pk", flat=True))
        auths = defaultdict(list)
        # Continued-stay requests still waiting for a decision: tests/demo/test_living.py.
        for a in Authorization.objects.exclude(status="requested"):
            assert a.status == "approved" and a.number.startswith("PA")
            assert a.reviewer_id in reviewers and a.payer_id == a.person.payer_id
            assert a.requested_at < a.decided_at
            assert (a.decided_at - a.requested_at).days <= 7
            assert (a.end - a.start).days == 179
            auths[a.person_id].append(a)
        used = Counter()
        for n in ServiceNote.objects.all():
            found = [a for a in auths[n.person_id] if a.start <= n.date <= a.end]
            if n.person_id in outside_people and not found:
                assert n.date > max(a.end for a in auths[n.person_id])
                continue
            assert len(found) == 1, n.pk
            used[found[0].pk] += units_for(minutes(n.end_time) - minutes(n.start_time))
        for person_auths in auths.values():
            for a in person_auths:
                if a.pk not in over:
                    assert used[a.pk] * 1.1 <= a.units_approved
        for a in Authorization.objects.filter(kind="initial"):
            cca = Assessment.objects.get(person=a.person_id)
            assert a.start == Episode.objects.get(person=a.person_id).start
            if cca.pk not in planted_ids(DefectKind.CCA_AFTER_FIRST_SERVICE):
                assert cca.date < a.requested_at.date()

    def test_clean_notes_follow_the_plan_in_effect(self) -> None:
        skip_notes = planted_notes()
        expired_people = planted_ids(DefectKind.PLAN_EXPIRED, "person_id")
        plans = defaultdict(list)
        for plan in Plan.objects.order_by("version"):
            plans[plan.person_id].append(plan)
        interventions = {i.pk: i for i in Intervention.objects.select_related("goal__plan")}
        checked = 0
        for n in ServiceNote.objects.filter(status="signed"):
            if n.pk in skip_notes or n.person_id in expired_people:
                continue
            assert n.activity in COVERED
            intervention = interventions[n.intervention_id]
            assert intervention.goal_id == n.goal_id and intervention.activity == n.activity
            plan = intervention.goal.plan
            assert plan.person_id == n.person_id
            in_effect = [p for p in plans[n.person_id] if p.start <= n.date][-1]
            assert plan.pk == in_effect.pk and n.date <= plan.review_due
            assert (n.kind == "group") == (n.activity == "skills_group")
            checked += 1
        assert checked > 3000

    def test_groups_have_four_to_ten_people_each_with_a_note(self) -> None:
        big = planted_ids(DefectKind.GROUP_OVER_SIZE)
        for session in GroupSession.objects.prefetch_related("facilitators"):
            people = set(
                GroupAttendance.objects.filter(session=session).values_list("person", flat=True)
            )
            assert (len(people) == 13) if session.pk in big else (4 <= len(people) <= 10)
            (facilitator,) = session.facilitators.all()
            notes = ServiceNote.objects.filter(group_session=session)
            assert {n.person_id for n in notes} == people
            for n in notes:
                assert n.kind == "group" and n.staff_id == facilitator.pk
                assert (n.date, n.start_time, n.end_time) == (
                    session.date,
                    session.start_time,
                    session.end_time,
                )

    def test_clean_notes_never_overlap_another_service(self) -> None:
        planted_overlaps = planted_ids(DefectKind.OVERLAP_OTHER_SERVICE)
        others = defaultdict(list)
        for o in OtherService.objects.all():
            others[(o.person_id, o.date)].append((minutes(o.start_time), minutes(o.end_time)))
        assert len(others) > 100
        hits = set()
        for n in ServiceNote.objects.all():
            span = (minutes(n.start_time), minutes(n.end_time))
            if any(overlaps(span, o) for o in others[(n.person_id, n.date)]):
                hits.add(n.pk)
        assert hits == planted_overlaps

    def test_excluded_programs_only_in_their_last_30_days(self) -> None:
        planted_people = planted_ids(DefectKind.EXCLUDED_PROGRAM, "person_id")
        clean_cases = 0
        for e in ProgramEnrollment.objects.all():
            assert e.program in {"ACTT", "CST", "INNOVATIONS"}
            dates = ServiceNote.objects.filter(
                person=e.person_id, date__gte=e.start, date__lte=e.end
            ).values_list("date", flat=True)
            inside = [d for d in dates if (e.end - d).days >= 30]
            if e.person_id in planted_people:
                assert inside
            else:
                assert dates and not inside
                clean_cases += 1
        assert clean_cases >= 1

    def test_family_relationships_exist_only_where_planted(self) -> None:
        notes = planted_ids(DefectKind.FAMILY_MEMBER_DELIVERS)
        pairs = set(FamilyRelationship.objects.values_list("person", "staff"))
        assert pairs == {
            (n.person_id, n.staff_id) for n in ServiceNote.objects.filter(pk__in=notes)
        }
        for person, staff in pairs:
            authored = ServiceNote.objects.filter(person=person, staff=staff)
            assert set(authored.values_list("pk", flat=True)) <= notes

    def test_defects_touch_few_people_and_stay_apart(self, demo: DemoReport) -> None:
        people = planted_people()
        assert len(people) <= 0.15 * 160
        per_person = Counter(
            d.person_id for d in PlantedDefect.objects.exclude(kind__in=STAFF_KINDS) if d.person_id
        )
        assert max(per_person.values()) == 1
        staff = planted_staff()
        caseload_people = set(
            CaseloadAssignment.objects.filter(staff__in=staff).values_list("person", flat=True)
        )
        assert not (caseload_people & people)
