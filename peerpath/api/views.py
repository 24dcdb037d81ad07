"""The user's personal access tokens page: list, make (the token is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import DESCRIPTIONS, Cap, capabilities_of
from peerpath.access.permissions import declare

from .models import PersonalAccessToken
from .tokens import DEFAULT_DAYS, MAX_DAYS, token_create, token_revoke


@declare("authenticated")
def tokens(request: HttpRequest) -> HttpResponse:
    """Anyone signed in manages their own tokens; a token can carry only what their role
    may do, so a role with no capabilities can make none."""
    mine = [c for c in Cap if c in capabilities_of(request.user)]
    errors: dict[str, list[str]] = {}
    created: str | None = None
    form = {"name": "", "days": str(DEFAULT_DAYS), "capabilities": []}
    if request.method == "POST":
        form = {
            "name": request.POST.get("name", ""),
            "days": request.POST.get("days", ""),
            "capabilities": request.POST.getlist("capabilities"),
        }
        try:
            days = int(str(form["days"]))
        except ValueError:
            errors = {"days": ["Give the number of days the token lasts."]}
        else:
            try:
                _, created = token_create(
                    actor=request.user,
                    owner=request.user,  # type: ignore[arg-type]
                    name=str(form["name"]),
                    capabilities=list(form["capabilities"]),
                    days=days,
                )
            except ValidationError as exc:
                errors = exc.message_dict
    now = timezone.now()
    rows = [
        (t, t.state_at(now))
        for t in PersonalAccessToken.objects.filter(user_id=request.user.pk or 0).order_by(
            "-created_at", "-pk"
        )
    ]
    return render(
        request,
        "api/tokens.html",
        {
            "rows": rows,
            "choices": [(c.value, DESCRIPTIONS[c]) for c in mine],
            "errors": errors,
            "form": form,
            "created": created,
            "max_days": MAX_DAYS,
        },
        status=400 if errors else 200,
    )


@declare("authenticated")
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user_id=request.user.pk or 0)
    token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token {token.prefix} revoked: it no longer works.")
    return redirect("api-tokens")
