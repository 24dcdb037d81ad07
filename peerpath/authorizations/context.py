"""Template context: the signed-in user's role, for the navigation (looked up only when a
template asks for it)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from peerpath.access.scope import role_of


def nav_role(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {"nav_role": SimpleLazyObject(lambda: role_of(user) or "")}
