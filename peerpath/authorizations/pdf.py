"""The notice of a decision on an authorization request, as a PDF (WeasyPrint): plain words
for the person, the specific reason, and their appeal rights with the cited timeframes."""

from __future__ import annotations

import datetime as dt

from peerpath.plans.pdf import render_pdf

from .selectors import Notice

NOTICE_TEMPLATE = "authorizations/pdf/notice.html"


def notice_context(n: Notice, *, printed: dt.datetime) -> dict[str, object]:
    person = n.person
    return {
        "n": n,
        "a": n.authorization,
        "person": person,
        "name": person.preferred_name or person.first_name,
        "printed": printed,
    }


def notice_pdf(n: Notice, *, printed: dt.datetime) -> bytes:
    return render_pdf(NOTICE_TEMPLATE, notice_context(n, printed=printed))
