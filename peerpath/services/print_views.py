"""A printable copy of one service note (PDF), opened from the person's chart."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from peerpath.access.capabilities import Cap
from peerpath.access.permissions import declare
from peerpath.access.scope import can_see_narratives, people_visible_to
from peerpath.access.services import log_access
from peerpath.plans.pdf import render_pdf

from .selectors import note_for_page

NOTE_PDF_TEMPLATE = "services/pdf/note.html"


@declare(Cap.READ_NOTE)
def note_pdf(request: HttpRequest, note_id: int) -> HttpResponse:
    note = note_for_page(note_id)
    if note is None or not people_visible_to(request.user).filter(pk=note.person_id).exists():
        raise Http404("No such note.")
    log_access(
        user=request.user,
        action="print",
        record_type="services.ServiceNote",
        record_id=note.pk,
        person_id=note.person_id,
        reason="printed note",
        request=request,
    )
    body = render_pdf(
        NOTE_PDF_TEMPLATE,
        {
            "note": note,
            "narratives": can_see_narratives(request.user, note.person),
            "printed": timezone.localtime(),
        },
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="note-{note.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
