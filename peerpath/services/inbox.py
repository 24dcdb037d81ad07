"""The inbox: what needs the signed-in user, whatever their role, in one list.

A peer specialist: notes returned by their supervisor, drafts to finish, and the due items
the board counts for their caseload (plan reviews, authorizations ending, notes not signed
in time, their certification and trainings). A supervisor: notes waiting for their review,
and the team's due items they act on (face-to-face contacts, evaluations), as the board
counts them. The due items and their dates are the policy engine's (`due_lists`); this
module only chooses whose."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from peerpath.access.capabilities import Cap, has
from peerpath.core.services import Actor
from peerpath.policy.api import DueItem, due_lists
from peerpath.staff.models import CaseloadAssignment, StaffMember

from .models import NoteReview, NoteStatus, ReviewStatus, ServiceNote
from .review import returned_to, review_queue

# The due items each kind of user acts on (the others are someone else's to do).
PEER_KINDS = ("plan_review", "authorization", "unsigned_note", "certification", "training")
SUPERVISOR_KINDS = ("contact", "evaluation", "training", "certification")


@dataclass
class Inbox:
    returned: list[NoteReview] = field(default_factory=list)
    drafts: list[ServiceNote] = field(default_factory=list)
    reviews: list[NoteReview] = field(default_factory=list)
    due: list[DueItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.returned) + len(self.drafts) + len(self.reviews) + len(self.due)

    @property
    def overdue(self) -> int:
        return sum(1 for d in self.due if d.overdue)


def _caseload(staff: StaffMember, on: dt.date) -> dict[int, object]:
    return {
        a.person_id: a.person
        for a in CaseloadAssignment.objects.filter(
            Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on)), staff=staff
        ).select_related("person__payer")
    }


def inbox_for(user: Actor, staff: StaffMember | None, *, on: dt.date) -> Inbox:
    """Everything that needs `user` (whose staff record is `staff`) on `on`."""
    box = Inbox()
    if staff is None:
        return box
    if has(user, Cap.WRITE_NOTE):
        box.returned = list(returned_to(staff))
        box.drafts = list(
            ServiceNote.objects.filter(staff=staff, status=NoteStatus.DRAFT)
            .select_related("person")
            .order_by("date", "start_time", "pk")
        )
        people = _caseload(staff, on)
        lists = due_lists(peers=[staff], staff=[staff], people=people, on=on)  # type: ignore[arg-type]
        box.due += [i for d in lists if d.kind in PEER_KINDS for i in d.items]
    if has(user, Cap.REVIEW_NOTE):
        box.reviews = list(review_queue(staff, on=on))
    if has(user, Cap.SUPERVISE):
        from peerpath.staff.selectors import team_board

        board = team_board(staff, on=on)
        box.due += [i for d in board.due if d.kind in SUPERVISOR_KINDS for i in d.items]
    box.due.sort(key=lambda i: (i.due, i.what))
    return box


def inbox_count(user: Actor, staff: StaffMember | None, *, on: dt.date) -> int:
    """The bell's number: returned notes, drafts and notes to review (three counts; the
    due items are counted on the inbox page, which runs the engine)."""
    if staff is None:
        return 0
    n = 0
    if has(user, Cap.WRITE_NOTE):
        n += NoteReview.objects.filter(status=ReviewStatus.RETURNED, note__staff=staff).count()
        n += ServiceNote.objects.filter(staff=staff, status=NoteStatus.DRAFT).count()
    if has(user, Cap.REVIEW_NOTE):
        n += review_queue(staff, on=on).count()
    return n
