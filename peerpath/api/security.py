"""Who may call which operation: the token, the capability each operation declares, and
the scope of people it reaches.

Every operation declares what it needs with `@requires(Cap.X)` (or `@requires("token")` for
an operation about the token itself, which reveals no one's record). The declaration is
enforced on every call:

- no token, or one that is unknown, expired or revoked: 401;
- a token without the capability (or whose owner lost it): 403;
- a person outside the owner's scope (caseload, agency, payer), or no such person: 404,
  never 403, so a guessed id reveals nothing (as on the pages).

`undeclared_operations(api)` lists operations without a declaration: the test suite requires
it to be empty, and walks every declared operation with a token that lacks its capability.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security.http import HttpAuthBase

from peerpath.access.capabilities import Cap, capability
from peerpath.access.scope import people_visible_to
from peerpath.people.models import Person

from .models import PersonalAccessToken
from .tokens import token_capabilities, token_for

ATTRIBUTE = "peerpath_api_declaration"
TokenOnly = Literal["token"]
F = TypeVar("F", bound=Callable[..., Any])


class ApiError(Exception):
    """An error answered as application/problem+json (RFC 9457). `errors` name the fields:
    [{"field": "start", "message": "..."}]. Messages never carry PHI."""

    def __init__(
        self, status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []


def not_found(what: str = "record") -> ApiError:
    return ApiError(404, "Not found", f"No such {what}, or it is outside your scope.")


class TokenAuth(HttpAuthBase):
    """`Authorization: Bearer pp_...`: a personal access token. The request then acts as the
    token's owner (request.user) with the token's capabilities (request.auth is the token)."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> PersonalAccessToken | None:
        value = request.headers.get("Authorization", "")
        scheme, _, raw = value.partition(" ")
        if scheme.lower() != "bearer" or not raw:
            return None
        token = token_for(raw)
        if token is None:
            return None
        request.user = token.user
        return token


@dataclass(frozen=True)
class ApiDeclaration:
    need: Cap | TokenOnly

    @property
    def capability(self) -> Cap | None:
        return self.need if isinstance(self.need, Cap) else None


def token_of(request: HttpRequest) -> PersonalAccessToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, PersonalAccessToken):
        raise ApiError(401, "Not signed in", "Send a personal access token as a Bearer token.")
    return token


def requires(need: Cap | str) -> Callable[[F], F]:
    """Declare, and enforce, the capability an operation needs."""
    declaration = ApiDeclaration("token" if need == "token" else capability(need))

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            token = token_of(request)
            cap = declaration.capability
            if cap is not None and cap not in token_capabilities(token):
                raise ApiError(
                    403,
                    "Not allowed",
                    f"This operation needs the capability '{cap.value}', which this token "
                    "does not carry (or its owner no longer has).",
                )
            return view(request, *args, **kwargs)

        setattr(wrapped, ATTRIBUTE, declaration)
        note = (
            f"Needs the capability `{declaration.capability.value}`."
            if declaration.capability
            else "Needs any valid token."
        )
        wrapped.__doc__ = f"{(view.__doc__ or '').strip()}\n\n{note}".strip()
        return wrapped  # type: ignore[return-value]

    return decorator


def person_in_scope(request: HttpRequest, person_id: int) -> Person:
    """The person, if the token's owner may see them today; 404 otherwise."""
    person = (
        people_visible_to(request.user)
        .select_related("payer", "agency")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise not_found("person")
    return person


@dataclass(frozen=True)
class OperationEntry:
    method: str
    path: str
    name: str
    declaration: ApiDeclaration | None


def operations(api: NinjaAPI) -> Iterator[OperationEntry]:
    """Every operation of the API with its declaration, if any."""
    api.urls  # noqa: B018  (binds the routers, so nested ones are listed too)
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for method in op.methods:
                    full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                    yield OperationEntry(
                        method.upper(),
                        full,
                        op.view_func.__name__,
                        getattr(op.view_func, ATTRIBUTE, None),
                    )


def undeclared_operations(api: NinjaAPI) -> list[str]:
    return [f"{e.method} {e.path} -> {e.name}" for e in operations(api) if e.declaration is None]
