"""Writes to outcome measures: start, answer one item, finish, enter a paper form, record a
refusal. Each runs in a transaction, records who acted, and keeps history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peerpath.core.services import Actor, save_record
from peerpath.people.models import Person
from peerpath.staff.models import StaffMember

from .instruments import instrument as get_instrument
from .models import Administration, Answer, Mode, Occasion, Status
from .scoring import AnswerError, clean_answers, score


def _user(actor: Actor) -> object | None:
    return actor if actor is not None and getattr(actor, "pk", None) else None


def administration_start(
    *,
    actor: Actor,
    person: Person,
    instrument: str,
    on: dt.date,
    occasion: str = Occasion.OTHER,
    mode: str = Mode.PHONE,
    staff: StaffMember | None = None,
) -> Administration:
    """Open an administration to be answered item by item."""
    get_instrument(instrument)
    with transaction.atomic():
        record = Administration(
            person=person,
            instrument=instrument,
            date=on,
            occasion=occasion,
            mode=mode,
            staff=staff,
            created_by=_user(actor),  # type: ignore[misc]
        )
        return save_record(record, actor=actor, action="create")


def _check_open(administration: Administration) -> None:
    if administration.status != Status.IN_PROGRESS:
        state = administration.get_status_display().lower()
        raise ValidationError(f"This {administration.instrument} is already {state}.")


def _value(administration: Administration, item: int, key: str) -> tuple[int | None, bool]:
    """(value, not applicable) from a form's choice: a value, an N/A code, or "" (no answer)."""
    inst = get_instrument(administration.instrument)
    if item not in inst.item_numbers:
        raise ValidationError(f"{inst.code} has no item {item}.")
    if key == "":
        return None, False
    option = inst.option(key)
    if option is None:
        raise ValidationError(f"{inst.code} item {item}: {key!r} is not one of the answers.")
    return option.value, option.value is None


def answer_save(*, actor: Actor, administration: Administration, item: int, choice: str) -> Answer:
    """Save (or change) one answer while the person answers: `choice` is an option's key,
    or "" to leave the item unanswered."""
    with transaction.atomic():
        administration = Administration.objects.select_for_update().get(pk=administration.pk)
        _check_open(administration)
        value, na = _value(administration, item, choice)
        answer = Answer.objects.filter(administration=administration, item=item).first()
        if answer is None:
            answer = Answer(administration=administration, item=item)
        answer.value, answer.not_applicable = value, na
        return save_record(answer, actor=actor)


def units_before(administration: Administration) -> int:
    """Units of peer support signed since the previous completed measure of the same
    instrument (or since admission) up to this one's day, as the policy engine counts them."""
    from peerpath.people.models import Episode
    from peerpath.policy.api import signed_units

    day = administration.date
    previous = (
        Administration.objects.filter(
            person_id=administration.person_id,
            instrument=administration.instrument,
            status=Status.COMPLETED,
            date__lt=day,
        )
        .exclude(pk=administration.pk)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    if previous is None:
        previous = (
            Episode.objects.filter(person_id=administration.person_id, start__lte=day)
            .order_by("-start")
            .values_list("start", flat=True)
            .first()
        )
    if previous is None:
        return 0
    found = signed_units([administration.person_id], previous, day - dt.timedelta(days=1))
    return sum(units for _, units in found.get(administration.person_id, []))


def _finish(administration: Administration, answers: Mapping[int, int | None]) -> None:
    inst = get_instrument(administration.instrument)
    administration.units_before = units_before(administration)
    result = score(inst, answers)
    administration.status = Status.COMPLETED
    administration.completed_at = timezone.now()
    administration.total = result.total
    administration.reached = result.reached
    administration.scores = result.as_dict()


def administration_complete(*, actor: Actor, administration: Administration) -> Administration:
    """Finish an administration: score the answers given so far and keep the scores."""
    with transaction.atomic():
        administration = Administration.objects.select_for_update().get(pk=administration.pk)
        _check_open(administration)
        answers = dict(administration.answers.values_list("item", "value"))
        _finish(administration, answers)
        return save_record(administration, actor=actor, action="complete")


def administration_enter(
    *,
    actor: Actor,
    person: Person,
    instrument: str,
    on: dt.date,
    answers: Mapping[int, str],
    occasion: str = Occasion.OTHER,
    mode: str = Mode.PAPER,
    staff: StaffMember | None = None,
) -> Administration:
    """Enter a whole administration at once (a paper form typed in later): every answer is
    checked before anything is written."""
    inst = get_instrument(instrument)
    if on > timezone.localdate():
        raise ValidationError({"date": "The date it was answered cannot be in the future."})
    with transaction.atomic():
        record = Administration(
            person=person,
            instrument=instrument,
            date=on,
            occasion=occasion,
            mode=mode,
            staff=staff,
            created_by=_user(actor),  # type: ignore[misc]
        )
        parsed: dict[int, tuple[int | None, bool]] = {}
        for item, key in answers.items():
            parsed[item] = _value(record, item, key)
        try:
            clean_answers(inst, {i: v for i, (v, _) in parsed.items()})
        except AnswerError as exc:
            raise ValidationError(str(exc)) from exc
        _finish(record, {i: v for i, (v, _) in parsed.items()})
        save_record(record, actor=actor, action="create")
        Answer.objects.bulk_create(
            Answer(administration=record, item=i, value=v, not_applicable=na)
            for i, (v, na) in sorted(parsed.items())
        )
        return record


def administration_decline(
    *,
    actor: Actor,
    person: Person,
    instrument: str,
    on: dt.date,
    reason: str,
    refused: bool = True,
    occasion: str = Occasion.OTHER,
    staff: StaffMember | None = None,
    administration: Administration | None = None,
) -> Administration:
    """Record that a due measure was not done: the person chose not to answer (`refused`)
    or it was skipped; the reason is required. An open administration is closed this way."""
    get_instrument(instrument)
    with transaction.atomic():
        if administration is not None:
            record = Administration.objects.select_for_update().get(pk=administration.pk)
            _check_open(record)
        else:
            record = Administration(
                person=person,
                instrument=instrument,
                date=on,
                occasion=occasion,
                staff=staff,
                created_by=_user(actor),  # type: ignore[misc]
            )
        record.status = Status.REFUSED if refused else Status.SKIPPED
        record.reason = reason.strip()
        record.completed_at = timezone.now()
        return save_record(record, actor=actor, action="decline")
