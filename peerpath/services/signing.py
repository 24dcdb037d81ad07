"""What stands between a note and its signature, in one place for the live check and for
signing itself: so that the green "nothing would stop it being paid" means signable and
payable.

Two kinds of things stop a note:

- **refusals**: what signing itself refuses (the narrative empty, a date in the future, an
  end before the start, a date outside the person's episodes of care). They are PeerPath's
  own rules about a note, not the state's, and are not findings; signing cannot go ahead
  until they are fixed.
- **deny findings** of the policy engine (an overlap, no authorization ...). The engine
  decides them (peerpath.policy.api.check_note); a peer specialist may still sign the note
  after confirming the finding and saying why: the note then goes to the supervisor's
  review queue (peerpath.services.review) and billing holds it while the finding stands.

Who sees which findings is decided here too: a peer specialist writing a note sees what is
about that note and its person; findings about the agency's staffing (caseload and
supervisor ratios, the supervisor's own contacts, training and evaluations) go to those who
can act on them, on the supervisor's board.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from peerpath.core import formatting as fmt
from peerpath.people.models import Episode
from peerpath.policy.api import Finding, check_note

from .models import ServiceNote

# Categories of findings about the agency's staffing rather than about a note: a peer
# specialist cannot act on them, so the note form leaves them out (the board shows them).
AGENCY_LEVEL = frozenset({"staffing-ratio", "supervision", "training", "evaluation"})

NEEDED_TO_SIGN = {
    "intervention_text": "Say what you did together.",
    "response": "Say how the person responded.",
}


@dataclass(frozen=True)
class Refusal:
    """One thing signing would refuse, named by the form field it is about."""

    field: str
    text: str


Span = tuple[dt.date, dt.date | None]


def episodes_of(person_id: int) -> list[Span]:
    """The person's episodes of care as (admission, end or None while open), oldest first:
    one query. The end is the episode's, as the engine's discharge rule reads it."""
    return list(
        Episode.objects.filter(person_id=person_id)
        .order_by("start", "pk")
        .values_list("start", "end")
    )


def outside_episodes(day: dt.date, episodes: Sequence[Span]) -> Refusal | None:
    """Refused when the person has episodes of care and `day` is in none of them (before
    the first admission, after a discharge, or between two episodes); both ends count as
    inside. A person with no episode on record is not judged here."""
    if not episodes or any(s <= day and (e is None or day <= e) for s, e in episodes):
        return None
    fix = "Check the date, or open a new episode of care if the person came back."
    first = min(s for s, _ in episodes)
    if day < first:
        return Refusal(
            "date",
            f"The date is before the person's episode of care began ({fmt.day(first)}). {fix}",
        )
    ended = max(e for s, e in episodes if e is not None and e < day)
    return Refusal(
        "date",
        f"The date is after the person's episode of care ended ({fmt.day(ended)}). {fix}",
    )


def refusals(
    fields: Mapping[str, object], *, today: dt.date, episodes: Sequence[Span] | None = None
) -> list[Refusal]:
    """What signing would refuse about a note with these values (note fields by name):
    empty narrative, a service date after today, an end at or before the start, and, when
    the person's `episodes` are given, a date outside all of them."""
    out: list[Refusal] = []
    for name, text in NEEDED_TO_SIGN.items():
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            out.append(Refusal(name, f"Needed before signing. {text}"))
    day = fields.get("date")
    if isinstance(day, dt.date) and day > today:
        out.append(
            Refusal("date", "The date is in the future: a note is signed after the service.")
        )
    start, end = fields.get("start_time"), fields.get("end_time")
    if isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
        out.append(Refusal("end_time", "The end time must be after the start time."))
    if isinstance(day, dt.date) and episodes is not None:
        outside = outside_episodes(day, episodes)
        if outside is not None:
            out.append(outside)
    return out


def note_row(values: Mapping[str, object]) -> dict[str, object] | None:
    """A note being written (`person_id`, `staff_id`, `date`, `start_time`, `end_time`,
    `modality`, `setting`, `intervention` ...) as a row of the engine's notes table; None
    while its date or times are missing."""
    day, start, end = values.get("date"), values.get("start_time"), values.get("end_time")
    if not (isinstance(day, dt.date) and isinstance(start, dt.time) and isinstance(end, dt.time)):
        return None
    chosen = values.get("intervention")
    activity = values.get("activity") or getattr(chosen, "activity", None)
    goal = getattr(chosen, "goal", None)
    return {
        "person_id": values.get("person_id"),
        "staff_id": values.get("staff_id"),
        "date": day,
        "start_min": start.hour * 60 + start.minute,
        "end_min": end.hour * 60 + end.minute,
        "modality": values.get("modality") or "in_person",
        "setting": values.get("setting") or "community",
        "kind": values.get("kind") or "individual",
        "group_session_id": values.get("group_session_id"),
        "activity": activity,
        "goal_id": getattr(chosen, "goal_id", None),
        "intervention_id": getattr(chosen, "pk", None),
        "goal_plan_id": getattr(goal, "plan_id", None),
        "status": "draft",
    }


def saved_row(note: ServiceNote) -> dict[str, object] | None:
    """A saved note as the engine's row (as if it were still being written)."""
    return note_row(
        {
            "person_id": note.person_id,
            "staff_id": note.staff_id,
            "date": note.date,
            "start_time": note.start_time,
            "end_time": note.end_time,
            "modality": note.modality,
            "setting": note.setting,
            "kind": note.kind,
            "group_session_id": note.group_session_id,
            "activity": note.activity,
            "intervention": note.intervention,
        }
    )


def for_writer(findings: Iterable[Finding], *, person_id: int, note_id: int) -> list[Finding]:
    """The findings a note's writer sees: those about the note, deny findings that would
    hold it, and the person's own (not the agency's staffing)."""
    return [
        f
        for f in findings
        if (f.subject_type == "note" and f.subject_id == note_id)
        or f.severity == "deny"
        or (f.person_id == person_id and f.category not in AGENCY_LEVEL)
    ]


@dataclass
class SignCheck:
    """The live check of a note as its writer sees it."""

    denials: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def signable(self) -> bool:
        """Nothing stops it: no refusal and no deny finding (green)."""
        return not self.refusals and not self.denials


def check_for_signing(
    row: Mapping[str, object],
    *,
    today: dt.date,
    replacing: int | None = None,
    hiding: Sequence[int] = (),
    refused: Iterable[Refusal] = (),
) -> SignCheck:
    """The engine's live check of the note (laid over the person's record in place of
    `replacing`, when it is saved), kept to what its writer sees, plus what signing
    refuses (`refused`, from `refusals` and the form's own errors)."""
    day = row["date"]
    assert isinstance(day, dt.date)
    checked = check_note(row, as_of=max(day, today), replacing=replacing, hiding=hiding)
    seen = for_writer(checked.relevant(), person_id=checked.person_id, note_id=checked.note_id)
    return SignCheck(
        denials=[f for f in seen if f.severity == "deny"],
        warnings=[f for f in seen if f.severity != "deny"],
        refusals=list(refused),
    )


def signing_denials(note: ServiceNote, *, today: dt.date) -> list[Finding]:
    """The deny findings a saved note would be signed with."""
    row = saved_row(note)
    if row is None:
        return []
    hiding = [note.amends_id] if note.amends_id else []
    return check_for_signing(row, today=today, replacing=note.pk, hiding=hiding).denials
