"""Recording measures in the browser, the person's view, the program view and exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.audit.models import ChangeRecord
from peerpath.outcomes.models import Administration, Answer
from peerpath.outcomes.services import administration_enter
from tests.access.factories import StaffUserFactory
from tests.factories import NoteFactory

from .conftest import client_for, days, today

pytestmark = pytest.mark.django_db

BARC_47 = ["5", "4", "6", "5", "3", "4", "5", "6", "4", "5"]


def start(client, person) -> Administration:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/people/{person.pk}/measures/new/",
        {"instrument": "BARC-10", "occasion": "admission", "action": "phone"},
    )
    record = Administration.objects.get(person=person)
    assert response["Location"] == f"/people/{person.pk}/measures/{record.pk}/q/1/"
    return record


def test_the_day_page_lists_the_measure_due_with_a_link_to_record_it(team) -> None:
    person = team["person"]
    page = client_for(team["peer"]).get("/day/").content.decode()
    assert "Recovery measures due" in page
    assert f"/people/{person.pk}/measures/new/?instrument=BARC-10&amp;occasion=admission" in page


def test_a_peer_records_a_barc10_one_question_a_screen_saved_as_it_goes(team) -> None:
    person, client = team["person"], client_for(team["peer"])
    record = start(client, person)
    for n, value in enumerate(BARC_47, start=1):
        url = f"/people/{person.pk}/measures/{record.pk}/q/{n}/"
        response = client.post(url, {"answer": value}, HTTP_HX_REQUEST="true")
        # Saved at once, before the person reaches the end.
        assert Answer.objects.get(administration=record, item=n).value == int(value)
        if n < 10:
            assert response["HX-Push-Url"] == f"/people/{person.pk}/measures/{record.pk}/q/{n + 1}/"
            assert f"question {n + 1} of 10" in response.content.decode()
        else:
            assert response["HX-Redirect"] == f"/people/{person.pk}/measures/{record.pk}/finish/"
    client.post(f"/people/{person.pk}/measures/{record.pk}/finish/", {"action": "finish"})
    record.refresh_from_db()
    assert (record.status, record.total, record.reached) == ("completed", 47.0, True)
    assert ChangeRecord.objects.filter(
        record_type="outcomes.Administration", action="complete"
    ).exists()
    page = client.get(f"/people/{person.pk}/measures/").content.decode()
    assert f"{today():%Y}" in page or "47" in page
    assert "47" in page and "Yes" in page
    svg = client.get(f"/people/{person.pk}/measures/chart/BARC-10.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content


def test_a_skipped_question_is_missing_and_the_total_is_prorated(team) -> None:
    person, client = team["person"], client_for(team["peer"])
    record = start(client, person)
    for n, value in enumerate(BARC_47[:9], start=1):
        client.post(f"/people/{person.pk}/measures/{record.pk}/q/{n}/", {"answer": value})
    response = client.post(f"/people/{person.pk}/measures/{record.pk}/q/10/", {"answer": ""})
    assert response.status_code == 302
    client.post(f"/people/{person.pk}/measures/{record.pk}/finish/", {"action": "finish"})
    record.refresh_from_db()
    assert record.total == 47.0 and record.scores["prorated"] is True


def test_an_answer_outside_the_options_is_refused_on_the_question(team) -> None:
    person, client = team["person"], client_for(team["peer"])
    record = start(client, person)
    page = client.post(f"/people/{person.pk}/measures/{record.pk}/q/1/", {"answer": "9"})
    assert "is not one of the answers" in page.content.decode()
    assert not Answer.objects.exists()


def test_a_refusal_needs_a_reason_and_is_recorded_with_it(team) -> None:
    person, client = team["person"], client_for(team["peer"])
    url = f"/people/{person.pk}/measures/new/"
    page = client.post(url, {"instrument": "BARC-10", "action": "decline", "reason": " "})
    assert "Say why it was not done." in page.content.decode()
    assert not Administration.objects.exists()
    client.post(url, {"instrument": "BARC-10", "action": "decline", "reason": "Not today, tired"})
    record = Administration.objects.get()
    assert (record.status, record.reason) == ("refused", "Not today, tired")
    assert "Not today, tired" in client.get(f"/people/{person.pk}/measures/").content.decode()


def test_a_paper_form_is_entered_whole_or_not_at_all(team) -> None:
    person, client = team["person"], client_for(team["peer"])
    url = f"/people/{person.pk}/measures/paper/?instrument=BARC-10"
    answers = {f"item-{n}": v for n, v in enumerate(BARC_47, start=1)}
    bad = {
        **answers,
        "item-4": "8",
        "date": (today() - days(3)).isoformat(),
        "instrument": "BARC-10",
    }
    page = client.post(url, bad).content.decode()
    assert "item 4" in page and not Administration.objects.exists()
    good = {**answers, "date": (today() - days(3)).isoformat(), "instrument": "BARC-10"}
    assert client.post(url, good).status_code == 302
    record = Administration.objects.get()
    assert (record.mode, record.total, record.answers.count()) == ("paper", 47.0, 10)


def test_measures_are_scoped_like_the_chart_and_every_read_is_logged(team) -> None:
    person = team["person"]
    stranger = StaffUserFactory(role="cpss", agency=person.agency)
    assert client_for(stranger).get(f"/people/{person.pk}/measures/").status_code == 404
    before = AccessLogEntry.objects.filter(person_id=person.pk).count()
    assert client_for(team["peer"]).get(f"/people/{person.pk}/measures/").status_code == 200
    assert AccessLogEntry.objects.filter(person_id=person.pk).count() == before + 1


def test_services_between_measurements_are_counted_by_the_engine(team) -> None:
    person, peer = team["person"], team["peer"]
    enter = dict(actor=peer.user, person=person, instrument="BARC-10")
    administration_enter(**enter, on=today() - days(100), answers=dict.fromkeys(range(1, 11), "3"))
    for d in (80, 60, 40):
        NoteFactory(
            person=person, staff=peer, date=today() - days(d), status="signed", signed_by=peer,
            signed_at=timezone.now(),
        )  # 45 minutes: 3 units  # fmt: skip
    second = administration_enter(
        **enter, on=today() - days(10), answers=dict.fromkeys(range(1, 11), "5")
    )
    assert second.units_before == 9
    page = client_for(peer).get(f"/people/{person.pk}/measures/").content.decode()
    assert "Units since the one before" in page


def test_the_fhir_export_parses_as_r4_questionnaire_and_responses(team) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    person, peer = team["person"], team["peer"]
    administration_enter(
        actor=peer.user, person=person, instrument="BARC-10", on=today() - days(2),
        answers={n: v for n, v in enumerate(BARC_47, start=1)}, staff=peer,
    )  # fmt: skip
    mhsip = {n: "2" for n in range(1, 37)} | {11: "", 17: "NA"}
    administration_enter(
        actor=peer.user, person=person, instrument="MHSIP", on=today(), answers=mhsip
    )
    response = client_for(peer).get(f"/people/{person.pk}/measures/fhir.json")
    assert AccessLogEntry.objects.filter(person_id=person.pk, action="export").count() == 1
    body = json.loads(response.content)
    Bundle.model_validate(body)
    resources = [e["resource"] for e in body["entry"]]
    questionnaires = [
        Questionnaire.model_validate(r) for r in resources if r["resourceType"] == "Questionnaire"
    ]
    answers = [
        QuestionnaireResponse.model_validate(r)
        for r in resources
        if r["resourceType"] == "QuestionnaireResponse"
    ]
    assert {q.url for q in questionnaires} == {
        "urn:peerpath:questionnaire:barc-10",
        "urn:peerpath:questionnaire:mhsip-acs",
    }
    barc = next(a for a in answers if a.questionnaire.endswith("barc-10"))
    assert barc.status == "completed" and barc.subject.reference == f"Patient/{person.pk}"
    score = next(i for i in barc.item if i.linkId == "score")
    assert score.item[0].answer[0].valueDecimal == 47
    survey = next(a for a in answers if a.questionnaire.endswith("mhsip-acs"))
    by_link = {i.linkId: i for i in survey.item}
    assert by_link["17"].answer[0].valueCoding.code == "NA"
    assert "11" not in by_link  # unanswered
    domains = {i.linkId for i in by_link["score"].item}
    assert "score.participation" not in domains  # dropped: both items missing


def test_the_persons_csv_has_a_row_per_measure(team) -> None:
    person, peer = team["person"], team["peer"]
    administration_enter(
        actor=peer.user, person=person, instrument="BARC-10", on=today(),
        answers={n: v for n, v in enumerate(BARC_47, start=1)},
    )  # fmt: skip
    text = client_for(peer).get(f"/people/{person.pk}/measures/measures.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["total"] == "47" and rows[0]["threshold_reached"] == "yes"
    assert rows[0]["answers"].startswith("1=5;2=4")


def test_the_printable_page_speaks_plain_words(team) -> None:
    person, peer = team["person"], team["peer"]
    administration_enter(
        actor=peer.user, person=person, instrument="BARC-10", on=today(),
        answers={n: v for n, v in enumerate(BARC_47, start=1)},
    )  # fmt: skip
    page = client_for(peer).get(f"/people/{person.pk}/measures/print/").content.decode()
    assert "Your recovery check-ins" in page and "47" in page
    assert "threshold" not in page.split("<main", 1)[1].lower()


def test_the_program_view_is_for_supervisors_and_shows_counts(team) -> None:
    person, peer, qp = team["person"], team["peer"], team["qp"]
    enter = dict(actor=peer.user, person=person, instrument="BARC-10")
    administration_enter(**enter, on=today() - days(100), answers=dict.fromkeys(range(1, 11), "3"))
    administration_enter(**enter, on=today() - days(5), answers=dict.fromkeys(range(1, 11), "5"))
    assert client_for(peer).get("/outcomes/").status_code == 403
    page = client_for(qp).get("/outcomes/").content.decode()
    print(page[page.find("<main") :][:3000])
    assert "fewer than 11" in page and "+20.0" in page
    text = client_for(qp).get("/outcomes/export.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    overall = rows[0]
    assert overall["people_with_two_or_more_measures"] == "fewer than 11"
    assert overall["mean_change"] == "suppressed (fewer than 11)"
