"""Context processor: `person_banner` on every page about one person (a URL with a person_id,
or a note_id, whose person it is). Lazy: the banner is read only when a template shows it,
and only for a person the user may see (an error page about someone else shows none)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from peerpath.access.capabilities import Cap, has
from peerpath.access.scope import people_visible_to, staff_of

from .banner import Banner, person_banner


def _person_id(kwargs: dict[str, Any]) -> int | None:
    if "person_id" in kwargs:
        return int(kwargs["person_id"])
    if "note_id" in kwargs:
        from peerpath.services.models import ServiceNote

        found = ServiceNote.objects.filter(pk=kwargs["note_id"]).values("person_id").first()
        return int(found["person_id"]) if found else None
    return None


def banner(request: HttpRequest) -> dict[str, Callable[[], Banner | None]]:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not has(user, Cap.READ_PERSON):
        return {}
    kwargs = dict(match.kwargs)
    if "person_id" not in kwargs and "note_id" not in kwargs:
        return {}

    @functools.cache
    def read() -> Banner | None:
        person_id = _person_id(kwargs)
        if person_id is None:
            return None
        person = people_visible_to(user).filter(pk=person_id).first()
        if person is None:
            return None
        staff = staff_of(user)
        agency_staff = staff is None or staff.agency_id is not None
        return person_banner(person, on=timezone.localdate(), agency_staff=agency_staff)

    return {"person_banner": read}
