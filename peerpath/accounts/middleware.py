"""Session and response safety: idle sign-out, the second factor, security headers, and
plain refusals of addresses no page could answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.html import format_html

Handler = Callable[[HttpRequest], HttpResponse]

# Paths a signed-in user may reach before finishing the second factor.
_OPEN_PREFIXES = ("/signin", "/signout", "/static/", "/health")


def needs_second_factor(user: object) -> bool:
    """Administrators and supervisors must use a second factor (when the setting is on);
    anyone who has set one up uses it."""
    from django_otp import user_has_device

    if not getattr(user, "is_authenticated", False):
        return False
    if user_has_device(user):
        return True
    if not settings.PEERPATH_REQUIRE_2FA:
        return False
    if getattr(user, "is_superuser", False):
        return True
    staff = getattr(user, "staff", None)
    return staff is not None and staff.role in settings.PEERPATH_2FA_ROLES


# How stale the recorded time of the last request may grow before it is written again.
# Writing it on every request would make every page view a write to the session table;
# the cost is that the sign-out may come up to this many seconds early (never late).
IDLE_RESOLUTION_SECONDS = 60


class IdleTimeoutMiddleware:
    """Sign a person out after PEERPATH_IDLE_MINUTES without a request."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get("last_seen")
            limit = settings.PEERPATH_IDLE_MINUTES * 60
            if isinstance(last, int | float) and now - last > limit:
                logout(request)
                return HttpResponseRedirect(reverse("signin") + "?expired=1")
            if not isinstance(last, int | float) or now - last >= IDLE_RESOLUTION_SECONDS:
                request.session["last_seen"] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Until the second factor is done, only the sign-in pages answer."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and needs_second_factor(user)
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            from django_otp import user_has_device

            target = "signin-verify" if user_has_device(user) else "signin-setup"
            return HttpResponseRedirect(reverse(target))
        return self.get_response(request)


CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """A content security policy (no inline script or style) and a few more headers.
    Pages that show health information are never cached by the browser."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


# The longest run of digits PeerPath reads as a number from an address: record ids are
# 64-bit (at most 19 digits), and no filter or page number needs more.
MAX_DIGITS = 18


def _too_long_number(value: str) -> bool:
    digits = value[1:] if value[:1] in "+-" else value
    return len(digits) > MAX_DIGITS and digits.isdigit()


class RequestLimitsMiddleware:
    """A number too large for any record id in the address is refused plainly, instead of
    reaching the database (where it overflows the column: a server error).

    In the path (`/notes/999...9/`) it is a plain 404, as for any record that does not exist;
    in the query string (`?payer=999...9`) a 400 naming the parameter (never its value)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            # The REST API validates its own input and answers in problem+json (peerpath.api).
            return self.get_response(request)
        if any(_too_long_number(part) for part in request.path.split("/")):
            raise Http404("No such page.")
        for name, values in request.GET.lists():
            if any(_too_long_number(v.strip()) for v in values):
                return HttpResponseBadRequest(
                    format_html(
                        "<!doctype html><title>Bad address</title><h1>Bad address</h1>"
                        "<p>The number given for <code>{}</code> is too large to name any "
                        "record. Check the address and try again.</p>",
                        name[:40],
                    )
                )
        return self.get_response(request)
