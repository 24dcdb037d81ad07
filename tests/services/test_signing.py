"""Signing with findings and the supervisor's review: green means signable and payable; a
note the engine would deny is signed only with a confirmed reason and goes to the
supervisor's queue; the supervisor approves or returns it; a returned note is corrected by
an amendment, which closes the return; drafts can be discarded and are kept."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from peerpath.audit.models import ChangeRecord
from peerpath.policy.api import Citation, Finding
from peerpath.services import review, services, signing
from peerpath.services.models import NoteReview, ServiceNote
from tests.access.factories import SupervisionFactory
from tests.factories import NoteFactory
from tests.services.test_views import DAY, client_for, note_post, ready_person

pytestmark = pytest.mark.django_db
OVERLAP = "UNITS.SAME_PERSON_OVERLAP"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.PEERPATH_REQUIRE_2FA = False  # the second factor has its own tests


def team():
    """A compliant person, their peer specialist (hired long ago) and the supervisor."""
    person, cpss, intervention = ready_person()
    supervisor = SupervisionFactory(staff=cpss, supervisor__agency=cpss.agency).supervisor
    return person, cpss, intervention, supervisor


def test_a_compliant_note_signs_without_a_reason_and_without_review():
    person, cpss, intervention, _ = team()
    response = client_for(cpss).post(
        f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign")
    )
    assert response.status_code == 302
    note = ServiceNote.objects.get()
    assert note.status == "signed" and not NoteReview.objects.exists()


def test_green_only_when_signable_empty_narrative_future_date_and_reversed_times():
    person, cpss, intervention, _ = team()
    client = client_for(cpss)
    url = f"/people/{person.pk}/notes/check/"
    ok = client.post(url, note_post(intervention)).content.decode()
    assert "Nothing in this note would stop it being paid" in ok
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    for bad, said in (
        ({"intervention_text": "", "response": " "}, "Say what you did together"),
        ({"date": tomorrow.isoformat()}, "The date is in the future"),
        ({"start_time": "11:00", "end_time": "10:00"}, "end time must be after the start"),
    ):
        page = client.post(url, note_post(intervention, **bad)).content.decode()
        assert "Nothing in this note would stop it being paid" not in page, bad
        assert said in page, bad
    # The service refuses the same things when asked to sign.
    note = services.note_create(
        actor=cpss.user,
        person=person,
        staff=cpss,
        date=DAY,
        start_time=dt.time(10),
        end_time=dt.time(10, 45),
        activity=intervention.activity,
        goal=intervention.goal,
        intervention=intervention,
        intervention_text="",
        response="",
    )
    with pytest.raises(ValidationError) as err:
        services.note_sign(actor=cpss.user, note=note, signer=cpss, at=dt.datetime.now(dt.UTC))
    assert {"intervention_text", "response"} <= set(err.value.message_dict)


def test_a_note_with_an_overlap_needs_a_confirmed_reason_and_goes_to_the_queue():
    person, cpss, intervention, supervisor = team()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    first = ServiceNote.objects.get()
    url = f"/people/{person.pk}/notes/new/"
    # One click, no word: refused, nothing saved, the reason box is shown.
    page = client.post(url, note_post(intervention, action="sign")).content.decode()
    assert ServiceNote.objects.count() == 1
    assert 'id="sign-reason-box"' in page
    assert "would stop it being paid" in page
    # A reason without ticking the box is not enough.
    reason = "Two short visits the same morning; the times are right, I checked."
    page = client.post(url, note_post(intervention, action="sign", sign_reason=reason))
    assert page.status_code == 200 and ServiceNote.objects.count() == 1
    # Confirmed with a reason: signed, and in the supervisor's queue with the finding.
    done = client.post(
        url, note_post(intervention, action="sign", sign_reason=reason, confirm="yes")
    )
    assert done.status_code == 302
    second = ServiceNote.objects.exclude(pk=first.pk).get()
    assert second.status == "signed"
    queued = review.review_queue(supervisor, on=dt.date.today()).get()
    assert queued.note == second and queued.why == "finding"
    assert queued.peer_reason == reason
    assert OVERLAP in [f["rule_id"] for f in queued.findings]
    # The supervisor sees it, with the reason, on the queue page.
    queue = client_for(supervisor).get("/reviews/").content.decode()
    assert person.display_name in queue and reason in queue


def test_the_supervisor_returns_a_note_and_the_amendment_closes_the_return():
    person, cpss, intervention, supervisor = team()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    note = ServiceNote.objects.get()
    boss = client_for(supervisor)
    boss.post(f"/notes/{note.pk}/review/", {"action": "sample"})
    # Returning needs a comment.
    boss.post(f"/notes/{note.pk}/review/", {"action": "return", "comment": " "})
    assert NoteReview.objects.get().status == "open"
    comment = "The response is my words, not hers: ask her and write what she said."
    boss.post(f"/notes/{note.pk}/review/", {"action": "return", "comment": comment})
    returned = NoteReview.objects.get()
    assert returned.status == "returned" and returned.decided_by == supervisor
    assert list(review.returned_to(cpss)) == [returned]
    # The peer specialist sees it on the note, corrects it by an amendment and signs.
    detail = client.get(f"/notes/{note.pk}/").content.decode()
    assert comment in detail and "Correct the note" in detail
    amend = client.get(f"/notes/{note.pk}/amend/").content.decode()
    assert "Returned for correction" in amend
    client.post(f"/notes/{note.pk}/amend/", {"reason": f"Returned for correction: {comment}"})
    amendment = ServiceNote.objects.get(amends=note)
    assert comment in client.get(f"/notes/{amendment.pk}/edit/").content.decode()
    client.post(
        f"/notes/{amendment.pk}/edit/",
        note_post(intervention, action="sign", response='"I did it," she said.'),
    )
    amendment.refresh_from_db()
    returned.refresh_from_db()
    assert amendment.status == "signed"
    assert returned.status == "resolved" and returned.corrected_by == amendment
    assert not review.returned_to(cpss).exists()
    actions = set(
        ChangeRecord.objects.filter(record_type="services.NoteReview").values_list(
            "action", flat=True
        )
    )
    assert {"review-open", "return", "corrected"} <= actions


def test_only_the_authors_supervisor_decides_and_only_once():
    person, cpss, _, supervisor = team()
    other = SupervisionFactory(supervisor__agency=cpss.agency).supervisor
    note = NoteFactory(person=person, staff=cpss, date=DAY, status="draft")
    note = services.note_sign(
        actor=cpss.user, note=note, signer=cpss, at=dt.datetime.now(dt.UTC), sign_reason="x"
    )
    item = NoteReview.objects.filter(note=note).first() or review.review_open(
        actor=None, note=note, why="sample", at=dt.datetime.now(dt.UTC)
    )
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ValidationError):
        review.review_decide(
            actor=None, review=item, supervisor=other, approve=True, comment="", at=now
        )
    review.review_decide(
        actor=None, review=item, supervisor=supervisor, approve=True, comment="", at=now
    )
    with pytest.raises(ValidationError):
        review.review_decide(
            actor=None, review=item, supervisor=supervisor, approve=False, comment="no", at=now
        )


def test_a_new_peer_specialists_notes_go_to_review_by_the_agency_rule():
    person, cpss, intervention, _ = team()
    cpss.hire_date = dt.date.today() - dt.timedelta(days=10)
    cpss.save()
    client_for(cpss).post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    item = NoteReview.objects.get()
    assert item.why == "new_peer" and item.peer_reason == ""
    cpss.agency.review_new_peer_days = 0
    cpss.agency.save()
    assert not review.new_peer_review_due(item.note, cpss, dt.date.today())


def test_a_draft_is_discarded_kept_and_locked():
    person, cpss, intervention, _ = team()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="save"))
    note = ServiceNote.objects.get()
    client.post(f"/notes/{note.pk}/discard/", {"reason": ""})
    note.refresh_from_db()
    assert note.status == "draft"
    client.post(f"/notes/{note.pk}/discard/", {"reason": "Wrong person: I chose the wrong name"})
    note.refresh_from_db()
    assert note.status == "discarded"
    assert "Wrong person" in ChangeRecord.objects.get(action="discard").reason
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        ServiceNote.objects.filter(pk=note.pk).update(status="draft")
    with pytest.raises(ValidationError):
        services.note_sign(actor=None, note=note, signer=cpss, at=dt.datetime.now(dt.UTC))


def _finding(rule_id, category, severity, subject_type, subject_id, person_id, staff_id=None):
    cite = Citation("p", 1, "NC Medicaid 8G", "", "7.1", "official", "pack")
    return Finding(
        rule_id, "nc", rule_id, category, severity, subject_type, subject_id, person_id,
        staff_id, DAY, "evidence", cite, "", "",
    )  # fmt: skip


def test_a_peer_sees_the_notes_findings_not_the_agencys_staffing():
    shown = signing.for_writer(
        [
            _finding("UNITS.SAME_PERSON_OVERLAP", "units", "deny", "note", -1, 7),
            _finding("AUTH.NOTE_COVERED", "authorization", "deny", "person", 7, 7),
            _finding("PLAN.CURRENT", "plan", "warn", "plan", 3, 7),
            _finding("RATIO.CASELOAD", "staffing-ratio", "warn", "staff", 2, None, 2),
            _finding("SUPERVISION.CONTACT_INTERVAL", "supervision", "warn", "person", 7, 7),
            _finding("TRAINING.CONTINUING_EDUCATION", "training", "warn", "staff", 2, None, 2),
        ],
        person_id=7,
        note_id=-1,
    )
    assert [f.rule_id for f in shown] == [
        "UNITS.SAME_PERSON_OVERLAP",
        "AUTH.NOTE_COVERED",
        "PLAN.CURRENT",
    ]


# ---- outside the episode of care ------------------------------------------------------------

GREEN = "Nothing in this note would stop it being paid"
BEFORE = "episode of care began ("
AFTER = "episode of care ended ("


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        (DAY + dt.timedelta(days=1), None, BEFORE),  # the day before admission
        (DAY, None, None),  # the first day of the episode
        (DAY - dt.timedelta(days=60), DAY, None),  # the last day of the episode
        (DAY - dt.timedelta(days=60), DAY - dt.timedelta(days=1), AFTER),  # the day after
    ],
    ids=["day-before-start", "first-day", "last-day", "day-after-end"],
)
def test_a_note_outside_the_episode_is_refused_in_the_live_check_and_at_signing(start, end, said):
    from tests.factories import EpisodeFactory

    person, cpss, intervention, _ = team()
    EpisodeFactory(person=person, start=start, end=end)
    client = client_for(cpss)
    check = client.post(f"/people/{person.pk}/notes/check/", note_post(intervention))
    page = check.content.decode()
    signed = client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    if said is None:
        assert GREEN in page and "episode of care" not in page
        assert signed.status_code == 302
        assert ServiceNote.objects.get().status == "signed"
        return
    assert said in page and GREEN not in page
    # Signing refuses it as it refuses a future date: nothing saved, the reason shown.
    assert signed.status_code == 200 and said in signed.content.decode()
    assert not ServiceNote.objects.exists()
    # So does the service, for a draft saved on that date (the API and groups sign here).
    note = NoteFactory(person=person, staff=cpss, date=DAY, intervention=intervention)
    with pytest.raises(ValidationError) as err:
        services.note_sign(
            actor=cpss.user, note=note, signer=cpss, at=dt.datetime.now(dt.UTC), sign_reason="x"
        )
    assert said in err.value.message_dict["date"][0]
    note.refresh_from_db()
    assert note.status == "draft"


def test_outside_the_episodes_between_two_and_without_any():
    d = dt.date
    two = [(d(2026, 1, 5), d(2026, 3, 1)), (d(2026, 5, 1), None)]
    assert signing.outside_episodes(d(2026, 1, 4), two).text.startswith(  # type: ignore[union-attr]
        "The date is before the person's episode of care began (Jan 5, 2026)"
    )
    for inside in (d(2026, 1, 5), d(2026, 3, 1), d(2026, 5, 1), d(2027, 1, 1)):
        assert signing.outside_episodes(inside, two) is None, inside
    between = signing.outside_episodes(d(2026, 3, 2), two)
    assert between is not None and between.field == "date"
    assert "ended (Mar 1, 2026)" in between.text
    assert signing.outside_episodes(d(2026, 4, 30), two) is not None
    # A person with no episode on record is not judged by this check.
    assert signing.outside_episodes(d(2026, 1, 4), []) is None
    fields = {"intervention_text": "x", "response": "y", "date": d(2026, 1, 4)}
    assert signing.refusals(fields, today=d(2026, 6, 1)) == []
    assert [r.field for r in signing.refusals(fields, today=d(2026, 6, 1), episodes=two)] == [
        "date"
    ]
