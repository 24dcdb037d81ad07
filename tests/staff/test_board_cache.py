"""The supervisor's board kept between requests (peerpath.staff.selectors.board_for): reused
while no change has been recorded, computed afresh after any recorded write, on a new day
and after PEERPATH_BOARD_CACHE_SECONDS; every showing is still logged as a read of PHI."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.staff import selectors
from peerpath.staff.models import CaseloadAssignment
from tests.access.factories import StaffUserFactory
from tests.staff.test_board import (  # noqa: F401 (fixtures)
    add_person,
    client_for,
    days,
    fresh_cache,
    make_team,
    no_second_factor,
    section,
    today,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_second_factor", "fresh_cache", "kept_boards"),
]


@pytest.fixture
def kept_boards(settings):
    settings.PEERPATH_BOARD_CACHE_SECONDS = 60
    selectors.forget_boards()
    yield
    selectors.forget_boards()


def _queries(client, url="/team/"):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    return page, len(ctx.captured_queries)


def test_a_board_opened_again_without_changes_is_reused_and_the_reading_still_logged():
    qp, _, _ = make_team(peers=1, people_each=3)
    client = client_for(qp)
    first, computed = _queries(client)
    logged = AccessLogEntry.objects.filter(record_type="people.Person").count()
    again, reused = _queries(client)
    assert reused < computed - 10  # the engine's due lists and head-counts were not asked
    assert section(again, "due-h") == section(first, "due-h")
    assert section(again, "ratios-h") == section(first, "ratios-h")
    assert AccessLogEntry.objects.filter(record_type="people.Person").count() == logged + 1


def test_recording_a_contact_takes_it_off_a_board_that_was_kept():
    qp, (peer,), payer = make_team(peers=1, people_each=1)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    client = client_for(qp)
    contacts = "/team/?kind=contact"
    assert late.display_name in section(client.get(contacts).content.decode(), "due-h")
    response = client.post(
        f"/team/people/{late.pk}/contact/",
        {"date": today().isoformat(), "kind": "face_to_face", "summary": "Talked about housing."},
    )
    assert response.status_code == 302
    assert late.display_name not in section(client.get(contacts).content.decode(), "due-h")


def _caseload_of(page: str, staff) -> str:
    """The 'who supports whom' list of one peer specialist on the board."""
    blocks = section(page, "people-h").split('<details class="pp-load"')[1:]
    return next(b for b in blocks if f"{staff.full_name} <span" in b)


def test_a_reassignment_shows_on_the_next_board():
    qp, (first, second), _ = make_team(peers=2, people_each=1)
    person = first.caseload.get().person
    client = client_for(qp)
    before = client.get("/team/").content.decode()
    assert person.display_name in _caseload_of(before, first)
    assert person.display_name not in _caseload_of(before, second)
    response = client.post(
        f"/team/people/{person.pk}/reassign/",
        {"staff": second.pk, "start": today().isoformat(), "reason": "Closer to home"},
    )
    assert response.status_code == 302
    after = client.get("/team/").content.decode()
    assert f"moves to {second.full_name}" in after
    assert person.display_name not in _caseload_of(after, first)
    assert person.display_name in _caseload_of(after, second)
    assert CaseloadAssignment.objects.filter(person=person, staff=second, end=None).exists()


def test_a_write_without_history_shows_once_the_kept_board_is_older_than_the_setting(
    monkeypatch,
):
    # Rows written around PeerPath's services (here by a factory, as SQL by hand would) carry
    # no change record; the setting bounds how long a kept board can miss them.
    qp, (peer,), payer = make_team(peers=1, people_each=1)
    client = client_for(qp)
    contacts = "/team/?kind=contact"
    client.get(contacts)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    assert late.display_name not in section(client.get(contacts).content.decode(), "due-h")
    now = selectors._clock()
    monkeypatch.setattr(selectors, "_clock", lambda: now + 61)
    assert late.display_name in section(client.get(contacts).content.decode(), "due-h")


def test_a_new_day_computes_the_board_afresh():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    new = add_person(peer, payer=payer, qp=qp, seen_days_ago=20, met_days_ago=None)
    page = client_for(qp).get("/team/?kind=contact").content.decode()
    assert "due in 10 days" in section(page, "due-h")
    with time_machine.travel(timezone.now() + days(3)):
        due = section(client_for(qp).get("/team/?kind=contact").content.decode(), "due-h")
    assert new.display_name in due and "due in 7 days" in due


def test_each_viewer_gets_their_own_choice_of_teams_on_a_kept_board():
    qp, _, _ = make_team(peers=1, people_each=1)
    admin = StaffUserFactory(role="admin", agency=qp.agency)
    mine = client_for(qp).get("/team/").content.decode()
    theirs = client_for(admin).get(f"/team/?team={qp.pk}").content.decode()
    assert 'id="board-team"' not in mine
    assert 'id="board-team"' in theirs and "Team of" in theirs
    assert 'id="board-team"' not in client_for(qp).get("/team/").content.decode()


@pytest.mark.parametrize("value", ["abc", "-5", "nan"])
def test_a_bad_keeping_time_is_refused_at_start_naming_the_setting(value):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PEERPATH_BOARD_CACHE_SECONDS": value, "PEERPATH_TESTING": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    probe = "import os; os.environ['DJANGO_SETTINGS_MODULE']='peerpath.settings'\n"
    probe += "import django; django.setup()"
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert run.returncode != 0
    assert (
        f"PEERPATH_BOARD_CACHE_SECONDS must be a number of seconds, 0 or more; got {value!r}"
        in run.stderr
    )
