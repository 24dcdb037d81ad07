"""What the API answers: scope as on the pages, one access-log entry per record shown,
Part 2 for payer staff, cursor pages, errors that name the field and repeat no PHI, and the
tokens page."""

from __future__ import annotations

import datetime as dt

from django.test import Client, override_settings
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.api.models import PersonalAccessToken
from tests.consent.factories import ConsentFactory
from tests.factories import CaseloadFactory, DiagnosisFactory

from .conftest import call, note_body


def test_people_outside_the_scope_are_not_found(world):
    token = world.token("cpss")
    assert call("GET", f"/api/people/{world.mine.pk}", token).status_code == 200
    for other in (world.theirs, world.elsewhere):
        response = call("GET", f"/api/people/{other.pk}", token)
        assert response.status_code == 404
        assert other.last_name not in response.content.decode()
    # The agency's billing staff see the agency, not the other agency.
    billing = world.token("billing")
    assert call("GET", f"/api/people/{world.theirs.pk}", billing).status_code == 200
    assert call("GET", f"/api/people/{world.elsewhere.pk}", billing).status_code == 404
    # Search lists only the caseload.
    found = call("GET", "/api/people", token).json()["items"]
    assert [p["id"] for p in found] == [world.mine.pk]


def test_each_read_writes_the_access_log_in_the_owners_name(world):
    token = world.token("cpss")
    before = AccessLogEntry.objects.filter(person_id=world.mine.pk).count()
    call("GET", f"/api/people/{world.mine.pk}", token)
    entries = AccessLogEntry.objects.filter(person_id=world.mine.pk).order_by("id")
    new = list(entries)[before:]
    assert len(new) == 1
    entry = new[0]
    prefix = PersonalAccessToken.objects.get().prefix
    assert entry.user_id == world.staff["cpss"].user_id and entry.action == "view"
    assert prefix in entry.reason
    call("GET", "/api/people?q=Morgan", token)
    search = AccessLogEntry.objects.filter(action="search").latest("id")
    assert "Morgan" not in search.reason and "Morgan" not in search.record_id


def test_search_pages_by_cursor(world):
    cpss = world.staff["cpss"]
    for _ in range(4):
        CaseloadFactory(staff=cpss, person__agency=cpss.agency, start=dt.date(2020, 1, 1))
    token = world.token("cpss")
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/people?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", url, token).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5 and seen == sorted(seen)
    bad = call("GET", "/api/people?cursor=forged", token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_errors_name_the_field_and_repeat_nothing_sent(world):
    token = world.token("cpss")
    body = note_body(world) | {"end_time": "09:00:00", "response": "Alex Morgan said X"}
    response = call("POST", f"/api/people/{world.mine.pk}/notes/check", token, body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "end_time"
    assert "Alex Morgan" not in response.content.decode()
    response = call("POST", f"/api/people/{world.mine.pk}/notes", token, {"date": "soon"})
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"date", "start_time", "end_time", "intervention_id"} <= fields
    assert "soon" not in response.content.decode()


def test_a_draft_is_checked_saved_and_read_back(world):
    token = world.token("cpss")
    url = f"/api/people/{world.mine.pk}/notes"
    checked = call("POST", url + "/check", token, note_body(world)).json()
    assert "allowed_to_sign" in checked and isinstance(checked["findings"], list)
    created = call("POST", url, token, note_body(world))
    assert created.status_code == 201
    note = created.json()
    assert note["status"] == "draft" and note["response"] == "Made the call."
    # Billing staff may not read notes at all; an auditor reads them.
    assert call("GET", f"/api/notes/{note['id']}", world.token("auditor")).status_code == 200


def test_payer_staff_see_part2_diagnoses_only_with_consent(world):
    DiagnosisFactory(person=world.mine, code="F11.20", category="SUD", is_primary=False)
    reviewer = world.token("um_reviewer")
    record = call("GET", f"/api/people/{world.mine.pk}", reviewer).json()
    assert [d["code"] for d in record["diagnoses"]] == ["F33.1"] and record["part2_withheld"]
    # The agency's own staff see the whole record.
    own = call("GET", f"/api/people/{world.mine.pk}", world.token("cpss")).json()
    assert {d["code"] for d in own["diagnoses"]} == {"F33.1", "F11.20"}
    ConsentFactory(person=world.mine)
    record = call("GET", f"/api/people/{world.mine.pk}", reviewer).json()
    assert {d["code"] for d in record["diagnoses"]} == {"F33.1", "F11.20"}
    assert world.mine.disclosures.filter(part2_included=True).exists()


def test_a_token_cannot_carry_more_than_its_owner(world):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        world.token("cpss", ["read_person", "decide_authorization"])
    assert "decide_authorization" in str(refused.value)
    assert PersonalAccessToken.objects.count() == 0
    raw = world.token("cpss", ["read_person"])
    stored = PersonalAccessToken.objects.get()
    assert raw not in (stored.key_hash, stored.prefix) and stored.key_hash != raw


@override_settings(PEERPATH_REQUIRE_2FA=False)
def test_the_tokens_page_makes_shows_once_and_revokes(world):
    client = Client()
    client.force_login(world.staff["cpss"].user)
    page = client.get("/account/tokens/")
    assert page.status_code == 200 and b"write_note" in page.content
    assert b"decide_authorization" not in page.content
    made = client.post(
        "/account/tokens/", {"name": "phone app", "days": "30", "capabilities": ["read_person"]}
    )
    raw = made.context["created"]
    assert raw.startswith("pp_") and raw.encode() in made.content
    again = client.get("/account/tokens/")
    assert raw.encode() not in again.content and b"phone app" in again.content
    assert call("GET", f"/api/people/{world.mine.pk}", raw).status_code == 200
    token = PersonalAccessToken.objects.get()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert call("GET", f"/api/people/{world.mine.pk}", raw).status_code == 401
    refused = client.post("/account/tokens/", {"name": "", "days": "900"})
    assert refused.status_code == 400


def test_the_check_says_what_signing_would_refuse_as_the_note_page_does(world):
    token = world.token("cpss")
    url = f"/api/people/{world.mine.pk}/notes/check"
    empty = call("POST", url, token, note_body(world) | {"response": "  "}).json()
    assert empty["allowed_to_sign"] is False
    assert [r["field"] for r in empty["refusals"]] == ["response"]
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    ahead = call("POST", url, token, note_body(world) | {"date": future}).json()
    assert ahead["allowed_to_sign"] is False
    assert "date" in [r["field"] for r in ahead["refusals"]]
