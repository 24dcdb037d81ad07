"""The supervisor's review queue, the decision on one note, and discarding a draft.

Writes go through peerpath.services.review and peerpath.services.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap
from peerpath.access.permissions import declare
from peerpath.access.scope import staff_of
from peerpath.access.services import log_access, logged_person_read

from .inbox import inbox_count, inbox_for
from .models import NoteReview, ReviewStatus
from .review import review_decide, review_queue, sample_for_review
from .services import note_discard
from .views import NOTE_RECORD, _me, _note_in_scope


@declare(Cap.REVIEW_NOTE)
def queue(request: HttpRequest) -> HttpResponse:
    """Notes waiting for the signed-in supervisor's review, oldest first."""
    me = staff_of(request.user)
    if me is None:
        raise PermissionDenied("You need a staff record to review notes.")
    today = timezone.localdate()
    items = list(review_queue(me, on=today))
    log_access(
        user=request.user,
        action="view",
        record_type=NOTE_RECORD,
        record_id="",
        reason=f"review queue of staff {me.pk}",
        request=request,
    )
    return render(request, "services/review_queue.html", {"items": items, "today": today})


@declare(Cap.REVIEW_NOTE)
@require_POST
def decide(request: HttpRequest, note_id: int) -> HttpResponse:
    """Approve or return the note's open review, or pick the note for review."""
    note = _note_in_scope(request, note_id)
    me = _me(request)
    logged_person_read(request, note.person, NOTE_RECORD, record_id=note.pk)
    action = request.POST.get("action", "")
    now = timezone.now()
    try:
        if action == "sample":
            sample_for_review(actor=request.user, note=note, supervisor=me, at=now)
            messages.success(request, "The note is in your review queue.")
            return redirect("note-detail", note_id=note.pk)
        if action not in ("approve", "return"):
            raise Http404("No such decision.")
        review = NoteReview.objects.filter(note=note, status=ReviewStatus.OPEN).first()
        if review is None:
            messages.info(request, "This note is not waiting for review.")
            return redirect("note-detail", note_id=note.pk)
        review_decide(
            actor=request.user,
            review=review,
            supervisor=me,
            approve=action == "approve",
            comment=request.POST.get("comment", ""),
            at=now,
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("note-detail", note_id=note.pk)
    if action == "approve":
        messages.success(request, f"Note of {note.person.display_name} approved.")
    else:
        messages.success(
            request,
            f"Note of {note.person.display_name} returned to {note.staff.full_name} "
            "with your comment.",
        )
    return redirect("review-queue")


@declare(Cap.WRITE_NOTE)
@require_POST
def discard(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note_in_scope(request, note_id)
    me = _me(request)
    if note.staff_id != me.pk:
        raise PermissionDenied("Only the peer specialist who wrote this draft may discard it.")
    logged_person_read(request, note.person, NOTE_RECORD, record_id=note.pk)
    try:
        note_discard(actor=request.user, note=note, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("note-edit", note_id=note.pk)
    messages.success(request, "Draft discarded. It is kept in the record and never billed.")
    return redirect("my-day")


@declare(Cap.SEE_INBOX)
def inbox(request: HttpRequest) -> HttpResponse:
    """What needs the signed-in user: returned notes, drafts, notes to review, due items."""
    me = staff_of(request.user)
    today = timezone.localdate()
    box = inbox_for(request.user, me, on=today)
    log_access(
        user=request.user,
        action="view",
        record_type="people.Person",
        record_id="",
        reason=f"inbox of staff {me.pk if me else '-'}",
        request=request,
    )
    return render(request, "services/inbox.html", {"box": box, "today": today})


@declare(Cap.SEE_INBOX)
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The bell's number (htmx loads it into the navigation after the page is drawn)."""
    n = inbox_count(request.user, staff_of(request.user), on=timezone.localdate())
    return render(request, "services/_inbox_badge.html", {"n": n})
