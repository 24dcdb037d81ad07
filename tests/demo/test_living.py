"""The living demo: its window ends the day before "today", and today every role has work and
nothing is overdue but what the generator planted on purpose. The tests keep a fixed date
(PEERPATH_DEMO_END in the test settings); outside them the window ends yesterday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import override_settings

from peerpath.authorizations.models import Authorization, AuthStatus
from peerpath.demo.generator import DemoReport, default_end, generate
from peerpath.demo.models import DefectKind, PlantedDefect
from peerpath.services.models import NoteStatus, ServiceNote
from peerpath.staff.models import Role, StaffMember
from peerpath.staff.selectors import team_board

DAY = dt.timedelta(days=1)


def test_the_window_ends_yesterday_unless_pinned() -> None:
    with override_settings(PEERPATH_DEMO_END=None):
        from django.utils import timezone

        assert default_end() == timezone.localdate() - DAY
    with override_settings(PEERPATH_DEMO_END="2026-03-31"):
        assert default_end() == dt.date(2026, 3, 31)
    assert default_end() == dt.date(2026, 9, 30)  # what the tests keep


@pytest.fixture(scope="class")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoReport]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield generate()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
class TestToday:
    def test_no_draft_is_older_than_a_week(self, demo: DemoReport) -> None:
        today = demo.end + DAY
        drafts = list(ServiceNote.objects.filter(status=NoteStatus.DRAFT))
        assert drafts, "a peer's day starts with a draft or two to finish"
        assert min(n.date for n in drafts) >= today - 7 * DAY

    def test_the_board_is_overdue_only_where_a_defect_was_planted(self, demo: DemoReport) -> None:
        today = demo.end + DAY
        people = {d.person_id for d in PlantedDefect.objects.all() if d.person_id}
        staff = {d.staff_id for d in PlantedDefect.objects.all() if d.staff_id}
        overdue = []
        for supervisor in StaffMember.objects.filter(role=Role.SUPERVISOR):
            board = team_board(supervisor, on=today)
            overdue += [i for d in board.due for i in d.items if i.overdue]
        assert overdue, "the planted defects show on the board"
        # Outcome measures are kept on the engine's schedule for everyone but the planted
        # ones: the overdue measures on the board are exactly those, one per team.
        planted = PlantedDefect.objects.filter(kind=DefectKind.OUTCOME_MEASURE_OVERDUE)
        assert planted.count() == StaffMember.objects.filter(role=Role.SUPERVISOR).count()
        outcomes = sorted(
            (i.person.pk, i.instrument, i.due) for i in overdue if i.kind == "outcome"
        )
        assert outcomes == sorted((d.person_id, "BARC-10", d.date - DAY) for d in planted)
        stray = [
            (i.kind, i.what)
            for i in overdue
            if not (
                (i.person is not None and i.person.pk in people)
                or (i.staff is not None and i.staff.pk in staff)
            )
        ]
        assert stray == []

    def test_continued_stay_requests_wait_for_the_reviewer(self, demo: DemoReport) -> None:
        today = demo.end + DAY
        waiting = list(Authorization.objects.filter(status=AuthStatus.REQUESTED))
        assert waiting
        for auth in waiting:
            assert auth.requested_at.date() <= demo.end
            previous = Authorization.objects.filter(
                person=auth.person, status=AuthStatus.APPROVED
            ).latest("end")
            assert previous.end + DAY == auth.start
            assert today - DAY <= previous.end <= today + 14 * DAY

    def test_every_peer_has_appointments_today_and_a_weekly_group(self, demo: DemoReport) -> None:
        from peerpath.schedule.models import Appointment, GroupSeries

        today = demo.end + DAY
        on_today = Q(caseload__start__lte=today) & (
            Q(caseload__end__isnull=True) | Q(caseload__end__gte=today)
        )
        peers = StaffMember.objects.filter(on_today, role=Role.CPSS).distinct()
        assert peers
        for peer in peers:
            todays = Appointment.objects.filter(staff=peer, date=today, kind="individual")
            assert todays.count() >= 3, peer
            assert GroupSeries.objects.filter(staff=peer, first_date__gte=today).exists()
        # Open appointments are all from today on; the past is kept, missed or cancelled.
        assert not Appointment.objects.filter(status="scheduled", date__lt=today).exists()
        kept = Appointment.objects.filter(status="kept").select_related("note")
        assert kept and all(a.note and a.note.date == a.date for a in kept)
        assert Appointment.objects.filter(status="no_show").exists()
        assert Appointment.objects.filter(status="cancelled").exclude(reason="").exists()
        # Nobody is booked in two places at once.
        spans: dict[tuple[int, dt.date], list[tuple[dt.time, dt.time]]] = {}
        for a in Appointment.objects.exclude(status="cancelled").order_by("start_time"):
            for s, e in spans.get((a.staff_id, a.date), []):
                assert a.start_time >= e or a.end_time <= s, a
            spans.setdefault((a.staff_id, a.date), []).append((a.start_time, a.end_time))


@pytest.mark.django_db
def test_billing_comes_alive_with_answered_claims_and_lines_waiting() -> None:
    """`bill_the_demo` (run by `peerpath demo`): older services billed and answered by an 835
    with paid, denied and partly paid claims; the last month's lines ready or held."""
    from peerpath.billing.models import Claim, ClaimLine, RemittanceFile
    from peerpath.demo.living import BILLED_AFTER_DAYS, bill_the_demo

    report = generate(people=30, months=3, seed=7)
    today = report.end + DAY
    life = bill_the_demo(today=today)
    assert RemittanceFile.objects.count() == life.remittances >= 1
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {"paid", "denied", "partly_paid"} <= statuses, statuses
    billed = ClaimLine.objects.filter(claim__isnull=False)
    assert max(billed.values_list("service_date", flat=True)) <= today - BILLED_AFTER_DAYS * DAY
    waiting = ClaimLine.objects.filter(claim__isnull=True, is_current=True)
    assert waiting.filter(status="ready").exists() and life.ready > 0
    assert life.held == ClaimLine.objects.filter(status="held", is_current=True).count()
    assert "paid" in life.summary()


@pytest.mark.django_db
def test_supervisors_have_notes_waiting_for_review() -> None:
    from peerpath.demo.living import REVIEWS_PER_TEAM, open_reviews
    from peerpath.services.review import review_queue

    report = generate(people=40, months=1, seed=7)
    today = report.end + DAY
    assert open_reviews(today=today) > 0
    for supervisor in StaffMember.objects.filter(role=Role.SUPERVISOR):
        queue = list(review_queue(supervisor, on=today))
        assert 0 < len(queue) <= REVIEWS_PER_TEAM
        assert all(today - 6 * DAY <= r.note.date < today for r in queue)
