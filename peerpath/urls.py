from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import include, path
from django.views.generic.base import RedirectView

from peerpath.access.capabilities import LANDING
from peerpath.access.permissions import declare
from peerpath.access.scope import role_of
from peerpath.api.main import api


@declare("public")
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@declare("public")
def home(request: HttpRequest) -> HttpResponse:
    # Each role lands on its queue: a peer specialist's day, a supervisor's team board.
    landing = LANDING.get(role_of(request.user) or "")
    if landing:
        return redirect(landing)
    return render(request, "home.html")


def admin_login(request: HttpRequest) -> HttpResponseBase:
    """The admin's sign-in goes through PeerPath's own (lockout and second factor). Someone
    already signed in whose role does not use the admin is told so, instead of being sent
    back and forth between the admin and the sign-in page."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied
    return RedirectView.as_view(pattern_name="signin", query_string=True)(request)


admin.site.site_header = "PeerPath administration"
admin.site.site_title = "PeerPath"

urlpatterns = [
    # The admin signs in through PeerPath's own sign-in (lockout and second factor).
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("peerpath.accounts.urls")),
    path("", include("peerpath.people.urls")),
    path("", include("peerpath.services.urls")),
    path("", include("peerpath.authorizations.urls")),
    path("", include("peerpath.plans.urls")),
    path("", include("peerpath.staff.urls")),
    path("", include("peerpath.billing.urls")),
    path("", include("peerpath.billing.remittance_urls")),
    path("", include("peerpath.jobs.urls")),
    path("", include("peerpath.outcomes.urls")),
    path("", include("peerpath.api.urls")),
    path("", include("peerpath.schedule.urls")),
    path("", include("peerpath.auditor.urls")),
    path("health", health, name="health"),
    path("", home, name="home"),
]
