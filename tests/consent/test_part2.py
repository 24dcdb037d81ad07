import datetime as dt

from peerpath.consent import part2
from tests.consent.factories import SignedNoteFactory, SudDiagnosisFactory
from tests.factories import DiagnosisFactory, PlanFactory


def test_sud_diagnosis_is_part2_and_depression_is_not(record):
    assert part2.is_part2_diagnosis(record.sud)
    assert not part2.is_part2_diagnosis(record.mh)


def test_nicotine_dependence_is_not_part2(db):
    assert not part2.is_part2_code("F17.210")
    assert part2.is_part2_code("f1020")


def test_notes_dated_while_an_sud_diagnosis_is_open_are_part2(record):
    assert part2.part2_note_ids(record.person) == {record.note.pk}


def test_note_on_the_day_an_sud_diagnosis_ends_is_part2_and_the_day_after_is_not(db):
    sud = SudDiagnosisFactory(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    last_day = SignedNoteFactory(person=sud.person, date=dt.date(2026, 3, 31))
    SignedNoteFactory(person=sud.person, staff=last_day.staff, date=dt.date(2026, 4, 1))
    assert part2.part2_note_ids(sud.person) == {last_day.pk}


def test_plans_overlapping_an_sud_diagnosis_are_part2(record):
    assert part2.part2_plan_ids(record.person) == {record.plan.pk}


def test_active_plan_past_its_review_date_stays_part2_for_a_later_diagnosis(db):
    plan = PlanFactory(start=dt.date(2025, 1, 6), review_due=dt.date(2026, 1, 5))
    SudDiagnosisFactory(person=plan.person, start=dt.date(2026, 3, 1))
    assert part2.part2_plan_ids(plan.person) == {plan.pk}


def test_person_without_sud_diagnosis_has_no_part2_records(db):
    mh = DiagnosisFactory()
    SignedNoteFactory(person=mh.person)
    PlanFactory(person=mh.person)
    assert part2.part2_note_ids(mh.person) == set()
    assert part2.part2_plan_ids(mh.person) == set()


def test_part2_ids_take_one_query_however_many_notes(db, django_assert_num_queries):
    sud = SudDiagnosisFactory(start=dt.date(2026, 1, 1))
    first = SignedNoteFactory(person=sud.person, date=dt.date(2026, 1, 5))
    for day in range(6, 26):
        SignedNoteFactory(person=sud.person, staff=first.staff, date=dt.date(2026, 1, day))
    with django_assert_num_queries(1):
        ids = part2.part2_note_ids(sud.person)
    assert len(ids) == 21
    with django_assert_num_queries(1):
        part2.part2_plan_ids(sud.person)
