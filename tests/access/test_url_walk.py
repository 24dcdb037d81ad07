"""Every URL, for every role and for someone not signed in, answers as its declaration says:
the capability it declares, given to roles by the registry (peerpath.access.capabilities).

The URLs come from the project's resolver, so a new page is walked as soon as it exists;
a page without a declaration fails test_every_project_url_is_declared; a page whose URL
this walk cannot build fails here until the walk learns how.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, override_settings

from peerpath.access.capabilities import ROLE_CAPABILITIES
from peerpath.access.models import AccessLogEntry
from peerpath.access.permissions import url_declarations
from peerpath.authorizations.models import Authorization
from peerpath.plans.models import Plan
from peerpath.services.models import GroupAttendance, GroupSession
from peerpath.staff.models import Role
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AuthorizationFactory,
    CaseloadFactory,
    CrisisPlanFactory,
    GroupSessionFactory,
    InterventionFactory,
    NoteFactory,
    PayerFactory,
    PersonFactory,
)

# Sign-in pages behave differently once signed in (they redirect); tests/accounts has them.
SIGN_IN = {"signin", "signin-verify", "signin-setup", "signout"}
START = dt.date(2020, 1, 1)


@pytest.fixture
def world(db):
    cpss = StaffUserFactory(role="cpss")
    agency = cpss.agency
    mine = CaseloadFactory(staff=cpss, person__agency=agency, start=START).person
    theirs = PersonFactory(agency=agency, payer=mine.payer)
    elsewhere = PersonFactory()  # another agency and payer
    users = {Role.CPSS.value: cpss}
    users["supervisor"] = SupervisionFactory(
        staff=cpss, supervisor__agency=agency, start=START
    ).supervisor
    mhp = StaffUserFactory(role="mhp", agency=agency, credential="LPC")
    SupervisionFactory(staff=cpss, supervisor=mhp, start=START)
    users["mhp"] = mhp
    for role in ("billing", "auditor", "admin"):
        users[role] = StaffUserFactory(role=role, agency=agency)
    users["um_reviewer"] = StaffUserFactory(
        role="um_reviewer", agency=None, payer=mine.payer, hire_date=None
    )
    AuthorizationFactory(
        person=mine, status="requested", units_approved=None, decided_at=None, number=""
    )
    # A decided request of `theirs` before another payer: its notice opens from the chart
    # (and it leaves `theirs` outside the reviewer's scope).
    AuthorizationFactory(person=theirs, payer=PayerFactory())
    # A draft note about `mine` by the peer specialist, for the note pages (their URLs hold
    # a note id, not a person's; tests/services checks notes outside one's scope).
    note = NoteFactory(person=mine, staff=cpss)
    # A group the peer specialist leads, with `mine` checked in (its URLs hold a session id).
    session = GroupSessionFactory(agency=agency)
    session.facilitators.set([cpss])
    GroupAttendance.objects.create(session=session, person=mine)
    # A plan (with a goal and a crisis plan) for each person, for the plan pages, whose URLs
    # hold the plan's version.
    for person in (mine, theirs, elsewhere):
        goal = InterventionFactory(goal__plan__person=person).goal
        CrisisPlanFactory(plan=goal.plan)
    return users, mine, theirs, elsewhere, note


def build(route: str, person_id: int, note_id: int | None = None, user=None) -> str:
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    unknown = set(params) - {
        "person_id",
        "authorization_id",
        "note_id",
        "session_id",
        "version",
        "line_id",
        "batch_id",
        "job_id",
        "aid",
        "item",
        "code",
        "token_id",
        "appointment_id",
        "rule_id",
        "fmt",
        "refusal_id",
        "action_id",
    }
    assert not unknown, f"teach the walk how to build {route!r} (parameters {unknown})"
    url = "/" + re.sub(r"<(?:\w+:)?person_id>", str(person_id), route)
    if "authorization_id" in params:
        # The world's pending request for the person (its payer's reviewer may open it).
        # Only `mine` has one; for the others an id that exists for no one (their pages
        # answer 404 for the person before the request is looked up).
        auth = Authorization.objects.filter(person_id=person_id, status="requested").first()
        auth = auth or Authorization.objects.filter(person_id=person_id).first()
        url = re.sub(r"<(?:\w+:)?authorization_id>", str(auth.pk if auth else 10**9), url)
    if "note_id" in params:
        url = re.sub(r"<(?:\w+:)?note_id>", str(note_id), url)
    if "session_id" in params:
        # The world's group, led by the peer specialist; their supervisors may open it.
        session = GroupSession.objects.get()
        url = re.sub(r"<(?:\w+:)?session_id>", str(session.pk), url)
    if "version" in params:
        # The person's newest plan version (every person in the world has one).
        plan = Plan.objects.filter(person_id=person_id).order_by("-version").first()
        url = re.sub(r"<(?:\w+:)?version>", str(plan.version if plan else 1), url)
    if "line_id" in params:
        # A claim line for the world's note (billing pages hold a line id, not a person's).
        url = re.sub(r"<(?:\w+:)?line_id>", str(_line_for(note_id).pk), url)
    if "batch_id" in params:
        url = re.sub(r"<(?:\w+:)?batch_id>", str(_batch_for(note_id).pk), url)
    if "aid" in params:
        # An outcome measure of the person, being answered (peerpath/outcomes).
        url = re.sub(r"<(?:\w+:)?aid>", str(_measure_for(person_id).pk), url)
    url = re.sub(r"<(?:\w+:)?item>", "1", url)
    url = re.sub(r"<(?:\w+:)?code>", "BARC-10", url)
    if "token_id" in params:
        # Revoking a token is POST only, and finds only the visitor's own tokens.
        url = re.sub(r"<(?:\w+:)?token_id>", "1", url)
    # The audit workspace: one rule's findings, and the findings as CSV.
    url = re.sub(r"<(?:\w+:)?rule_id>", "NOTE.PLAN_GOAL", url)
    url = re.sub(r"<(?:\w+:)?fmt>", "csv", url)
    if "refusal_id" in params:
        # A denied line of the world's note, with an appeal (the denial and letter pages).
        refusal, action = _refusal_for(note_id)
        url = re.sub(r"<(?:\w+:)?refusal_id>", str(refusal.pk), url)
        url = re.sub(r"<(?:\w+:)?action_id>", str(action.pk), url)
    if "job_id" in params:
        # A job the visitor started (whoever starts a job may follow it, whatever the role).
        url = re.sub(r"<(?:\w+:)?job_id>", str(_job_for(user).pk), url)
    if "appointment_id" in params:
        url = re.sub(r"<(?:\w+:)?appointment_id>", str(_appointment_for(note_id).pk), url)
    return url


def _measure_for(person_id):
    import datetime as dt

    from peerpath.outcomes.models import Administration

    found = Administration.objects.filter(person_id=person_id).first()
    return found or Administration.objects.create(
        person_id=person_id, instrument="BARC-10", date=dt.date(2026, 4, 1)
    )


def _appointment_for(note_id):
    """An appointment of the world's peer specialist with the person of the world's note."""
    from peerpath.schedule.models import Appointment
    from peerpath.services.models import ServiceNote

    note = ServiceNote.objects.select_related("person", "staff").get(pk=note_id)
    found = Appointment.objects.filter(staff=note.staff).first()
    return found or Appointment.objects.create(
        agency_id=note.person.agency_id, staff=note.staff, person=note.person, date=note.date,
        start_time=note.start_time, end_time=note.end_time,
    )  # fmt: skip


def _job_for(user):
    from peerpath.jobs.models import Job

    job = Job.objects.filter(started_by=user).first()
    return job or Job.objects.create(
        kind="billing.scrub", target=f"walk:{user.pk if user else 0}", label="walk",
        started_by=user, status="succeeded",
    )  # fmt: skip


def _line_for(note_id):
    from peerpath.billing.models import ClaimLine
    from peerpath.services.models import ServiceNote

    note = ServiceNote.objects.select_related("person").get(pk=note_id)
    line, _ = ClaimLine.objects.get_or_create(
        note=note,
        is_current=True,
        defaults=dict(
            person=note.person,
            payer=note.person.payer,
            service_date=note.date,
            procedure_code="H0038",
            units=1,
            charge=1,
            status="held",
        ),
    )
    return line


def _batch_for(note_id):
    from peerpath.billing.models import ClaimBatch

    line = _line_for(note_id)
    batch = ClaimBatch.objects.filter(agency=line.person.agency).first()
    return batch or ClaimBatch.objects.create(
        agency=line.person.agency, payer=line.payer, isa_control=1, file_name="walk.x12"
    )


def _refusal_for(note_id):
    from peerpath.billing.models import (
        Claim,
        ClaimPayment,
        DenialAction,
        LinePayment,
        Payment,
        RemittanceFile,
    )

    line = _line_for(note_id)
    found = LinePayment.objects.filter(line=line).first()
    if found is not None:
        return found, DenialAction.objects.get(refusal=found)
    batch = _batch_for(note_id)
    claim = Claim.objects.create(
        batch=batch, person=line.person, payer=line.payer, patient_control_number="WALK-1",
        total_charge=line.charge, first_service_date=line.service_date,
        last_service_date=line.service_date, payer_claim_number="ICN1", status="denied",
    )  # fmt: skip
    line.claim, line.status = claim, "denied"
    line.save()
    file = RemittanceFile.objects.create(
        agency=batch.agency, file_text="ISA", file_sha256="0" * 64, isa_control="1", sender_id="X"
    )
    payment = Payment.objects.create(
        file=file, agency=batch.agency, payer=line.payer, trace_number="T1",
        payer_identifier="1", st_control="0001", amount=0, method="NON",
    )  # fmt: skip
    cp = ClaimPayment.objects.create(
        payment=payment, claim=claim, status_code="4", charge=line.charge, paid=0,
        payer_claim_number="ICN1",
    )  # fmt: skip
    refusal = LinePayment.objects.create(
        claim_payment=cp, line=line, charge=line.charge, paid=0, units_paid=0,
        outcome="denied", denial_group="CO", denial_reason="16",
    )  # fmt: skip
    action = DenialAction.objects.create(
        refusal=refusal, kind="appealed", reason="walk", actor_label="walk"
    )
    return refusal, action


def entries():
    return [
        e
        for e in url_declarations()
        if e.name not in SIGN_IN
        and e.declaration is not None
        and e.declaration.roles not in ("admin-site", "api-token")
    ]


def expected(declaration, role: str | None, person_in_scope: bool | None) -> str:
    # The roles that may open the page: those the registry gives its capability.
    roles = declaration.roles
    if role is None:
        return "ok" if roles == "public" else "signin"
    if roles in ("public", "authenticated") or role in roles:
        if declaration.person_param and not person_in_scope:
            return "404"
        return "ok"
    return "403"


def outcome(response) -> str:
    # 405: let through by the declaration, but the page takes another method (POST only).
    if response.status_code in (200, 302, 405) and not (
        response.status_code == 302 and response["Location"].startswith("/signin/")
    ):
        return "ok"
    if response.status_code == 302:
        return "signin"
    return str(response.status_code)


@override_settings(PEERPATH_REQUIRE_2FA=False)  # the second factor has its own tests
def test_every_url_answers_every_role_as_declared(world):
    users, mine, theirs, elsewhere, note = world
    # Every role of the registry is walked.
    assert set(users) == set(ROLE_CAPABILITIES)
    walked = 0
    for entry in entries():
        targets = [(mine, True), (theirs, False), (elsewhere, False)]
        if not entry.declaration.person_param:
            targets = [(mine, None)]
        for role in [None, *users]:
            client = Client()
            if role is not None:
                client.force_login(users[role].user)
            for person, mine_flag in targets:
                in_scope = mine_flag
                if entry.declaration.person_param and role in ("billing", "auditor", "admin"):
                    in_scope = person.agency_id == mine.agency_id
                if entry.declaration.person_param and role == "um_reviewer":
                    in_scope = person == mine
                url = build(entry.route, person.pk, note.pk, users[role].user if role else None)
                before = AccessLogEntry.objects.filter(person_id=person.pk).count()
                response = client.get(url)
                got = outcome(response)
                want = expected(entry.declaration, role, in_scope)
                assert got == want, f"{url} as {role or 'anonymous'}: got {got}, want {want}"
                if entry.declaration.person_param and response.status_code == 200:
                    # Every read of a person's record writes exactly one access-log entry.
                    written = AccessLogEntry.objects.filter(person_id=person.pk).count() - before
                    assert written == 1, f"{url} as {role}: {written} access-log entries"
                walked += 1
    assert walked >= 20
    assert {
        "home",
        "health",
        "people",
        "person-chart",
        "person-emergency-access",
        "um-queue",
        "um-request",
        "my-day",
        "note-new",
        "note-check",
        "note-detail",
        "note-edit",
        "note-amend",
        "group-new",
        "group-detail",
        "group-check-in",
        "group-check",
        "plan-home",
        "plan-start",
        "plan-version",
        "plan-goals",
        "plan-goal-parts",
        "plan-crisis",
        "plan-crisis-contacts",
        "plan-sign",
        "plan-reopen",
        "plan-details",
        "plan-pdf",
        "plan-crisis-pdf",
        "team-board",
        "team-findings",
        "team-reassign",
        "team-contact",
        "team-evaluation",
        "billing-lines",
        "billing-release",
        "billing-batches",
        "billing-batch-new",
        "billing-batch-file",
    } <= {e.name for e in entries()}
