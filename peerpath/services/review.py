"""The supervisor's review of signed notes: which notes need one, the queue, and the
decision (approve, or return with a comment for the peer specialist to correct).

A note goes to its author's supervisor's queue when it is signed with a deny finding (the
peer specialist said why), when the agency's rule asks for it (every note of a peer
specialist's first `Agency.review_new_peer_days` days), or when the supervisor picks it
for review. A returned note stays signed (a signed note is never edited): the peer
specialist corrects it with an amendment, and signing the amendment closes the return.
Every step is a record with who acted and when (peerpath.core.services.save_record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from peerpath.core.services import Actor, save_record
from peerpath.policy.api import Finding
from peerpath.staff.models import StaffMember, SupervisionAssignment

from .models import NoteReview, NoteStatus, ReviewStatus, ReviewWhy, ServiceNote


def new_peer_review_due(note: ServiceNote, staff: StaffMember, on: dt.date) -> bool:
    """The agency's rule: is `staff` within their first days, when every signed note is
    reviewed?"""
    agency = staff.agency
    days = agency.review_new_peer_days if agency is not None else 0
    if not days or staff.hire_date is None:
        return False
    return on < staff.hire_date + dt.timedelta(days=days)


def findings_snapshot(findings: Sequence[Finding]) -> list[dict[str, str]]:
    """What the supervisor is shown of the findings a note was signed with, as they were."""
    return [
        {
            "rule_id": f.rule_id,
            "title": f.title,
            "evidence": f.evidence,
            "fix": f.fix,
            "citation": f.citation.short(),
        }
        for f in findings
    ]


def review_open(
    *,
    actor: Actor,
    note: ServiceNote,
    why: str,
    at: dt.datetime,
    findings: Sequence[Finding] = (),
    peer_reason: str = "",
) -> NoteReview:
    """Put a signed note in the review queue (once: an open review is reused)."""
    if note.status != NoteStatus.SIGNED:
        raise ValidationError({"note": "Only a signed note is reviewed."})
    if why == ReviewWhy.FINDING and not peer_reason.strip():
        raise ValidationError(
            {"sign_reason": "Say why you sign the note although it would not be paid."}
        )
    existing = NoteReview.objects.filter(note=note, status=ReviewStatus.OPEN).first()
    if existing is not None:
        return existing
    review = NoteReview(
        note=note,
        why=why,
        findings=findings_snapshot(findings),
        peer_reason=peer_reason.strip(),
        opened_at=at,
    )
    return save_record(review, actor=actor, action="review-open", reason=peer_reason)


def _supervises(supervisor: StaffMember, staff_id: int, on: dt.date) -> bool:
    return SupervisionAssignment.objects.filter(
        Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on)),
        supervisor=supervisor,
        staff_id=staff_id,
    ).exists()


@transaction.atomic
def review_decide(
    *,
    actor: Actor,
    review: NoteReview,
    supervisor: StaffMember,
    approve: bool,
    comment: str,
    at: dt.datetime,
) -> NoteReview:
    """Approve a note, or return it to its author with a comment saying what to correct.
    Only the author's supervisor (on the day of the decision) decides, once."""
    review = NoteReview.objects.select_for_update().select_related("note").get(pk=review.pk)
    if review.status != ReviewStatus.OPEN:
        raise ValidationError({"status": "This note has already been reviewed."})
    if not _supervises(supervisor, review.note.staff_id, at.date()):
        raise ValidationError({"supervisor": "Only the peer specialist's supervisor reviews."})
    if not approve and not comment.strip():
        raise ValidationError({"comment": "Say what the peer specialist should correct."})
    review.status = ReviewStatus.APPROVED if approve else ReviewStatus.RETURNED
    review.decided_by = supervisor
    review.decided_at = at
    review.comment = comment.strip()
    return save_record(
        review, actor=actor, action="approve" if approve else "return", reason=review.comment
    )


def sample_for_review(
    *, actor: Actor, note: ServiceNote, supervisor: StaffMember, at: dt.datetime
) -> NoteReview:
    """The supervisor picks one of their team's signed notes for review."""
    if not _supervises(supervisor, note.staff_id, at.date()):
        raise ValidationError({"supervisor": "Only the peer specialist's supervisor reviews."})
    return review_open(actor=actor, note=note, why=ReviewWhy.SAMPLE, at=at)


def close_returns(*, actor: Actor, amendment: ServiceNote) -> list[NoteReview]:
    """Signing an amendment answers the returns of the note it replaces."""
    if amendment.amends_id is None:
        return []
    closed = []
    for review in NoteReview.objects.select_for_update().filter(
        note_id=amendment.amends_id, status=ReviewStatus.RETURNED
    ):
        review.status = ReviewStatus.RESOLVED
        review.corrected_by = amendment
        closed.append(save_record(review, actor=actor, action="corrected"))
    return closed


# ---- reads --------------------------------------------------------------------------------


def review_queue(supervisor: StaffMember, *, on: dt.date) -> QuerySet[NoteReview]:
    """Open reviews of notes by the peer specialists `supervisor` supervises on `on`,
    oldest first (one query)."""
    team = SupervisionAssignment.objects.filter(
        Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on)), supervisor=supervisor
    ).values("staff_id")
    return (
        NoteReview.objects.filter(status=ReviewStatus.OPEN, note__staff_id__in=team)
        .select_related("note__person", "note__staff", "note__goal")
        .order_by("opened_at", "pk")
    )


def returned_to(staff: StaffMember) -> QuerySet[NoteReview]:
    """Notes returned to `staff` and not yet corrected (one query)."""
    return (
        NoteReview.objects.filter(status=ReviewStatus.RETURNED, note__staff=staff)
        .select_related("note__person", "decided_by")
        .order_by("decided_at", "pk")
    )


@dataclass(frozen=True)
class ReviewHistory:
    reviews: list[NoteReview]

    @property
    def open(self) -> NoteReview | None:
        return next((r for r in self.reviews if r.status == ReviewStatus.OPEN), None)

    @property
    def returned(self) -> NoteReview | None:
        return next((r for r in self.reviews if r.status == ReviewStatus.RETURNED), None)


def history_of(note: ServiceNote) -> ReviewHistory:
    """Every review of the note and of the note it amends, oldest first."""
    ids = [note.pk] + ([note.amends_id] if note.amends_id else [])
    return ReviewHistory(
        list(
            NoteReview.objects.filter(note_id__in=ids)
            .select_related("decided_by")
            .order_by("opened_at", "pk")
        )
    )
