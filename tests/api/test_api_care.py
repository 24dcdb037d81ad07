"""Group sessions, findings, claims and outcome measures through the API: scope as on the
pages, every read in the access log, Part 2 for payer staff, cursor pages, writes through the
service functions with errors naming the field and nothing half-written."""

from __future__ import annotations

import datetime as dt

from peerpath.access.capabilities import ROLE_CAPABILITIES
from peerpath.access.models import AccessLogEntry
from peerpath.api.tokens import token_create
from peerpath.billing.models import ClaimLine, LineHold
from peerpath.billing.selectors import PART2_HOLD
from peerpath.outcomes.models import Administration
from peerpath.policy.api import check_person
from peerpath.services.models import GroupAttendance, GroupSession
from tests.access.factories import StaffUserFactory
from tests.consent.factories import ConsentFactory
from tests.factories import DiagnosisFactory, NoteFactory

from .conftest import call, paid_claim

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def _payer_auditor(world):
    """An auditor who works for the person's payer (outside the agency)."""
    staff = StaffUserFactory(role="auditor", agency=None, payer=world.mine.payer, hire_date=None)
    _, raw = token_create(
        actor=staff.user, owner=staff.user, name="payer audit",
        capabilities=[str(c) for c in ROLE_CAPABILITIES["auditor"]], days=30,
    )  # fmt: skip
    return raw


# ---- group sessions ----------------------------------------------------------------------


def test_a_group_is_started_people_checked_in_and_read_back(world):
    token = world.token("cpss")
    body = {"topic": "Job search", "date": YESTERDAY, "start_time": "10:00:00",
            "end_time": "11:00:00"}  # fmt: skip
    made = call("POST", "/api/groups", token, body)
    assert made.status_code == 201, made.content
    group = made.json()
    assert group["facilitator_ids"] == [world.staff["cpss"].pk] and group["attendees"] == []
    url = f"/api/groups/{group['id']}/attendees"
    # Someone outside the caseload cannot be checked in, and nobody is then.
    refused = call("POST", url, token, {"person_ids": [world.mine.pk, world.theirs.pk]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "person_ids"
    assert not GroupAttendance.objects.filter(session_id=group["id"]).exists()
    done = call("POST", url, token, {"person_ids": [world.mine.pk]})
    assert done.status_code == 200
    assert [a["person_id"] for a in done.json()["attendees"]] == [world.mine.pk]
    again = call("POST", url, token, {"person_ids": [world.mine.pk]})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "person"
    before = AccessLogEntry.objects.filter(record_type="services.GroupAttendance").count()
    read = call("GET", f"/api/groups/{group['id']}", token).json()
    assert read["attendee_count"] == 1 and read["attendees"][0]["note_status"] is None
    assert AccessLogEntry.objects.filter(record_type="services.GroupAttendance").count() == (
        before + 1
    )
    # The list pages by cursor: the fixture's group and this one.
    first = call("GET", "/api/groups?limit=1", token).json()
    second = call("GET", f"/api/groups?limit=1&cursor={first['next_cursor']}", token).json()
    assert [g["id"] for g in first["items"] + second["items"]] == [world.group_id, group["id"]]
    assert second["next_cursor"] is None and first["items"][0]["attendees"] is None


def test_group_errors_name_the_field_and_others_groups_are_not_found(world):
    token = world.token("cpss")
    body = {"topic": "Job search", "date": YESTERDAY, "start_time": "11:00:00",
            "end_time": "10:00:00"}  # fmt: skip
    response = call("POST", "/api/groups", token, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "end_time"
    supervisor = world.staff["supervisor"]
    body |= {"end_time": "12:00:00", "co_facilitator_ids": [supervisor.pk]}
    response = call("POST", "/api/groups", token, body)
    assert response.json()["errors"][0]["field"] == "co_facilitator_ids"
    assert GroupSession.objects.count() == 1
    # Another peer specialist of the agency does not lead the group: 404, as on the page.
    other = StaffUserFactory(role="cpss", agency=world.staff["cpss"].agency)
    _, raw = token_create(actor=other.user, owner=other.user, name="t",
                          capabilities=["read_group"], days=5)  # fmt: skip
    assert call("GET", f"/api/groups/{world.group_id}", raw).status_code == 404
    # The supervisor of the peer who leads it reads it.
    supervisor_token = world.token("supervisor")
    assert call("GET", f"/api/groups/{world.group_id}", supervisor_token).status_code == 200


# ---- findings ----------------------------------------------------------------------------


def test_findings_are_the_policy_engines_about_the_person(world):
    token = world.token("cpss")
    url = f"/api/people/{world.mine.pk}/findings"
    response = call("GET", url + "?limit=200", token)
    assert response.status_code == 200
    items = response.json()["items"]
    found = check_person(world.mine.pk, as_of=dt.date.today())
    engine = [f for f in found if f.person_id == world.mine.pk]
    assert engine, "the fixture's record should draw findings"
    assert sorted((f["rule_id"], f["evidence"]) for f in items) == sorted(
        (f.rule_id, f.evidence) for f in engine
    )
    assert all(f["citation"] and f["fix"] for f in items)
    severities = [f["severity"] for f in items]
    assert severities == sorted(severities, key=lambda s: {"deny": 0, "warn": 1}.get(s, 2))
    assert AccessLogEntry.objects.filter(
        person_id=world.mine.pk, record_type="policy.Finding"
    ).exists()
    # A page at a time.
    first = call("GET", url + "?limit=1", token).json()
    if len(items) > 1:
        nxt = call("GET", url + f"?limit=1&cursor={first['next_cursor']}", token).json()
        assert nxt["items"][0] == items[1]
    denials = call("GET", url + "?severity=deny", token).json()["items"]
    assert {f["severity"] for f in denials} <= {"deny"}
    bad = call("GET", url + "?severity=maybe", token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "severity"


# ---- outcome measures --------------------------------------------------------------------


def test_a_measure_is_entered_scored_and_read(world):
    token = world.token("cpss")
    url = f"/api/people/{world.mine.pk}/outcomes"
    body = {"instrument": "BARC-10", "date": YESTERDAY,
            "answers": {str(i): "4" for i in range(1, 11)}}  # fmt: skip
    bad = call("POST", url, token, body | {"answers": body["answers"] | {"3": "9"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "answers.3"
    unknown = call("POST", url, token, body | {"instrument": "XYZ", "mode": "fax"})
    assert {e["field"] for e in unknown.json()["errors"]} == {"instrument", "mode"}
    assert not Administration.objects.exists()
    made = call("POST", url, token, body)
    assert made.status_code == 201, made.content
    measure = made.json()
    assert measure["status"] == "completed" and measure["total"] == 40
    assert len(measure["answers"]) == 10
    listed = call("GET", url, token).json()["items"]
    assert [m["id"] for m in listed] == [measure["id"]]
    assert AccessLogEntry.objects.filter(record_type="outcomes.Administration").exists()


def test_payer_staff_see_recovery_measures_only_with_consent(world):
    call("POST", f"/api/people/{world.mine.pk}/outcomes", world.token("cpss"),
         {"instrument": "BARC-10", "date": YESTERDAY,
          "answers": {str(i): "5" for i in range(1, 11)}})  # fmt: skip
    auditor = _payer_auditor(world)
    url = f"/api/people/{world.mine.pk}/outcomes"
    assert call("GET", url, auditor).json()["items"] == []
    ConsentFactory(person=world.mine)
    assert len(call("GET", url, auditor).json()["items"]) == 1
    assert world.mine.disclosures.filter(part2_included=True).exists()


# ---- claims ------------------------------------------------------------------------------


def test_claims_and_lines_with_their_status(world):
    claim = paid_claim(world.note, paid="12.50")
    token = world.token("billing")
    claims = call("GET", f"/api/people/{world.mine.pk}/claims", token)
    assert claims.status_code == 200
    (c,) = claims.json()["items"]
    assert c["id"] == claim.pk and c["status"] == "paid"
    assert c["lines"][0]["status"] == "paid" and c["lines"][0]["paid_amount"] == "12.50"
    assert c["payments"][0]["paid"] == "12.50" and c["payments"][0]["status_code"] == "1"
    lines = call("GET", f"/api/people/{world.mine.pk}/claim-lines?status=paid", token).json()
    assert [x["claim_id"] for x in lines["items"]] == [claim.pk]
    bad = call("GET", f"/api/people/{world.mine.pk}/claim-lines?status=lost", token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    logged = AccessLogEntry.objects.filter(person_id=world.mine.pk)
    assert logged.filter(record_type="billing.Claim").exists()
    assert logged.filter(record_type="billing.ClaimLine").exists()
    # Out of scope: not found; a peer specialist has no read_billing at all.
    assert call("GET", f"/api/people/{world.elsewhere.pk}/claims", token).status_code == 404
    assert call("GET", f"/api/people/{world.mine.pk}/claims", world.token("cpss")).status_code == (
        403
    )


def test_payer_staff_see_no_line_held_for_want_of_part2_consent(world):
    DiagnosisFactory(person=world.mine, code="F11.20", category="SUD", is_primary=False)
    paid_claim(world.note)
    note = NoteFactory(person=world.mine, staff=world.staff["cpss"], date=dt.date(2026, 4, 7),
                       goal=world.intervention.goal, intervention=world.intervention)  # fmt: skip
    held = ClaimLine.objects.get()
    held.pk, held.note, held.claim, held.status, held.service_date = (
        None, note, None, "held", note.date,
    )  # fmt: skip
    held.save()
    LineHold.objects.create(
        line=held, rule_id=PART2_HOLD, title="Part 2 consent needed", citation="42 CFR 2.31",
        evidence="", fix="Ask for consent.",
    )  # fmt: skip
    url = f"/api/people/{world.mine.pk}/claim-lines"
    own = call("GET", url, world.token("billing")).json()["items"]
    assert {x["status"] for x in own} == {"paid", "held"}
    assert own[-1]["holds"][0]["rule_id"] == PART2_HOLD
    outside = call("GET", url, _payer_auditor(world)).json()["items"]
    assert [x["status"] for x in outside] == ["paid"]


def test_payer_staff_see_no_finding_about_part2_records_without_consent(world):
    from peerpath.consent import part2

    DiagnosisFactory(person=world.mine, code="F11.20", category="SUD", is_primary=False,
                     start=dt.date(2026, 1, 1))  # fmt: skip
    url = f"/api/people/{world.mine.pk}/findings?limit=200"
    p2_notes = part2.part2_note_ids(world.mine)

    def sud(f):
        return (f["subject_type"] == "note" and f["subject_id"] in p2_notes) or (
            "F11" in f["evidence"]
        )

    own = call("GET", url, world.token("cpss")).json()["items"]
    assert any(sud(f) for f in own), "the record should draw a finding about Part 2 records"
    auditor = _payer_auditor(world)
    outside = call("GET", url, auditor).json()["items"]
    assert not any(sud(f) for f in outside)
    assert len(outside) < len(own)
    ConsentFactory(person=world.mine)
    consented = call("GET", url, auditor).json()["items"]
    assert any(sud(f) for f in consented)
