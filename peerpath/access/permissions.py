"""Who may open which page: every URL's declaration, in one place.

Each view declares the capability it needs (`peerpath.access.capabilities`) and, for a page
about one person, the URL keyword that holds the person's id:

    @declare(Cap.READ_PERSON, person_param="person_id")
    def person_detail(request, person_id): ...

`declare("public")` is a page for anyone; `declare("authenticated")` for anyone signed in.
The roles that may use a page are the roles that have its capability in the registry: no
view names a role.

The decorator enforces the declaration on every request (`enforce`): a visitor who is not
signed in is sent to the sign-in page, a user without the capability gets 403, and a person
outside the user's scope gets 404 (never 403, so a guessed id does not reveal that the person
exists).

Views this module cannot decorate (the sign-in pages, which enforce their own access) are
declared by URL name in `URL_DECLARATIONS`; the Django admin and static files are in the
one explicit exemption list, `EXEMPT`. `undeclared_urls()` walks the project's URLs and
lists any without a declaration: the test suite requires it to be empty.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from .capabilities import ROLE_CAPABILITIES, Cap, capability, has, roles_with
from .scope import is_signed_in, people_visible_to, role_of

Access: TypeAlias = Literal["public", "authenticated", "admin-site", "api-token"]
Roles: TypeAlias = frozenset[str] | Access
ACCESS_WORDS: frozenset[str] = frozenset({"public", "authenticated", "admin-site", "api-token"})
ATTRIBUTE = "peerpath_declaration"

V = TypeVar("V", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declaration:
    """`need`: a capability, or "public" (anyone), "authenticated" (anyone signed in) or
    "admin-site" (Django admin staff). `person_param`: the URL keyword that holds a person's
    id, checked against the user's scope."""

    need: Cap | Access | frozenset[str]
    person_param: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.need, frozenset):  # the old `declare(roles=...)`
            unknown = set(self.need) - set(ROLE_CAPABILITIES)
            if unknown or not self.need:
                raise ImproperlyConfigured(f"Unknown or no roles: {sorted(unknown)}.")
        elif self.need in ACCESS_WORDS:
            if self.need == "public" and self.person_param:
                raise ImproperlyConfigured("A public page cannot show one person's record.")
        else:
            object.__setattr__(self, "need", capability(self.need))

    @property
    def capability(self) -> Cap | None:
        return self.need if isinstance(self.need, Cap) else None

    @property
    def roles(self) -> Roles:
        """The roles the registry lets through (or the access word)."""
        if isinstance(self.need, Cap):
            return roles_with(self.need)
        return self.need

    @property
    def by_roles(self) -> bool:
        """Declared the old way, by naming roles: works, but the test suite refuses it."""
        return isinstance(self.need, frozenset)


def _need(need: object) -> Cap | Access:
    if isinstance(need, str) and need in ACCESS_WORDS:
        return need  # type: ignore[return-value]
    if not isinstance(need, str):
        raise ImproperlyConfigured(
            f"declare({need!r}): give one capability (peerpath.access.capabilities.Cap), "
            "'public' or 'authenticated'."
        )
    return capability(need)


def _dotted(view: Callable[..., Any]) -> str:
    view_class = getattr(view, "view_class", None)
    target = view_class if view_class is not None else view
    if isinstance(target, functools.partial):  # e.g. django-ninja's OpenAPI views
        target = target.func
    name = getattr(target, "__qualname__", type(target).__qualname__)
    return f"{target.__module__}.{name}"


# Declarations by URL name ("namespace:name"), for views that enforce access themselves.
URL_DECLARATIONS: dict[str, Declaration] = {
    # peerpath.accounts: the sign-in pages check for themselves (login_required).
    "signin": Declaration("public"),
    "signin-verify": Declaration("authenticated"),
    "signin-setup": Declaration("authenticated"),
    "signout": Declaration("public"),  # POST only; signing out is harmless for anyone
}
# Declarations by view callable: filled by @declare, which also enforces them.
VIEW_DECLARATIONS: dict[Callable[..., Any], Declaration] = {}


@dataclass(frozen=True)
class Exemption:
    """URLs outside PeerPath's own declarations, with why."""

    roles: Access
    why: str
    namespace: str | None = None
    route: str | None = None
    views: tuple[str, ...] = ()


EXEMPT: tuple[Exemption, ...] = (
    Exemption("admin-site", "Django admin: staff sign-in and model permissions", namespace="admin"),
    Exemption("admin-site", "sends the admin's sign-in to PeerPath's", route="admin/login/"),
    Exemption(
        "api-token",
        "the REST API: each operation declares its capability (peerpath.api.security), "
        "walked by tests/api/test_api_walk.py",
        namespace="api",
    ),
    Exemption(
        "public",
        "static files",
        views=("django.views.static.serve", "django.contrib.staticfiles.views.serve"),
    ),
)


def _allowed(user: Any, declaration: Declaration) -> bool:
    if isinstance(declaration.need, Cap):
        return has(user, declaration.need)
    if isinstance(declaration.need, frozenset):
        return role_of(user) in declaration.need
    return True  # "authenticated"


def enforce(
    request: HttpRequest, declaration: Declaration, person_id: object = None
) -> HttpResponse | None:
    """None when the request may go on; a redirect to sign in for a visitor who is not
    signed in; raises PermissionDenied (403) for a wrong role and Http404 for a person out
    of the user's scope (or no such person)."""
    if declaration.need == "public":
        return None
    user = getattr(request, "user", None)
    if not is_signed_in(user):
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if declaration.need == "admin-site":
        if not getattr(user, "is_staff", False):
            raise PermissionDenied("This page is for site administrators.")
    elif not _allowed(user, declaration):
        raise PermissionDenied("Your role does not give access to this page.")
    if declaration.person_param:
        try:
            pk = int(str(person_id))
        except ValueError:
            raise Http404("No such person.") from None
        if not people_visible_to(user).filter(pk=pk).exists():
            raise Http404("No such person.")
    return None


def declare(
    need: Cap | str | None = None,
    *,
    person_param: str | None = None,
    roles: Iterable[str] | None = None,
) -> Callable[[V], V]:
    """Declare, and enforce, what a function view (or `SomeView.as_view()`) needs: a
    capability of the registry, or "public" / "authenticated".

    `roles=` is the old way (before the registry): it still works so that a branch written
    before the registry loads, but `tests/access/test_permissions.py` fails on it, naming
    the capability to declare instead."""
    if roles is not None:
        if need is not None:
            raise ImproperlyConfigured("declare: give a capability, not roles as well.")
        if isinstance(roles, str):
            need = roles  # declare(roles="public") from before the registry
        else:
            declaration = Declaration(frozenset(str(r) for r in roles), person_param)
    if roles is None or isinstance(roles, str):
        if need is None:
            raise ImproperlyConfigured("declare: give the capability the view needs.")
        declaration = Declaration(_need(need), person_param)

    def decorator(view: V) -> V:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            person_id = None
            if declaration.person_param:
                if declaration.person_param not in kwargs:
                    raise ImproperlyConfigured(
                        f"{_dotted(view)}: URL has no {declaration.person_param!r} parameter."
                    )
                person_id = kwargs[declaration.person_param]
            denied = enforce(request, declaration, person_id)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        setattr(wrapped, ATTRIBUTE, declaration)
        VIEW_DECLARATIONS[wrapped] = declaration
        return wrapped  # type: ignore[return-value]

    return decorator


@dataclass(frozen=True)
class UrlEntry:
    route: str
    name: str | None
    view: str
    declaration: Declaration | None


def _exemption(route: str, view: str, namespaces: tuple[str, ...]) -> Exemption | None:
    for exemption in EXEMPT:
        if exemption.namespace is not None and exemption.namespace in namespaces:
            return exemption
        if exemption.route is not None and exemption.route == route:
            return exemption
        if view in exemption.views:
            return exemption
    return None


def _walk(
    patterns: Iterable[URLPattern | URLResolver], prefix: str, namespaces: tuple[str, ...]
) -> Iterator[UrlEntry]:
    for item in patterns:
        if isinstance(item, URLResolver):
            inner = (*namespaces, item.namespace) if item.namespace else namespaces
            yield from _walk(item.url_patterns, prefix + str(item.pattern), inner)
            continue
        route = prefix + str(item.pattern)
        callback = item.callback
        view = _dotted(callback)
        name = ":".join((*namespaces, item.name)) if item.name else None
        exemption = _exemption(route, view, namespaces)
        declaration: Declaration | None
        if exemption is not None:
            declaration = Declaration(exemption.roles)
        else:
            declaration = (
                VIEW_DECLARATIONS.get(callback)
                or getattr(callback, ATTRIBUTE, None)
                or (URL_DECLARATIONS.get(name) if name else None)
            )
        yield UrlEntry(route, name, view, declaration)


def url_declarations(urlconf: str | None = None) -> list[UrlEntry]:
    """Every URL pattern of the project (or `urlconf`) with its declaration, if any."""
    return list(_walk(get_resolver(urlconf).url_patterns, "", ()))


def undeclared_urls(urlconf: str | None = None) -> list[str]:
    """URL patterns that have no declaration, as "route -> module.view"."""
    return [
        f"{entry.route or '/'} -> {entry.view}"
        for entry in url_declarations(urlconf)
        if entry.declaration is None
    ]


def declared_by_roles(urlconf: str | None = None) -> list[str]:
    """Views still declared with `roles=`, each with the capability that fits: the test
    suite requires this to be empty."""
    out = []
    for entry in url_declarations(urlconf):
        d = entry.declaration
        if d is not None and isinstance(d.need, frozenset):
            fits = [c.value for c in Cap if roles_with(c) == d.need] or ["(add one)"]
            out.append(f"{entry.route or '/'} -> {entry.view}: declare {' or '.join(fits)}")
    return out
