"""The API object: /api/ (OpenAPI 3.1 at /api/openapi.json, browsable at /api/docs).

Errors are application/problem+json (RFC 9457) with the fields at fault named in `errors`.
No error body repeats what was sent (it may be PHI): only field names and our own messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from . import routes_billing, routes_care  # noqa: F401  (their operations join the router)
from .routes import router
from .security import ApiError, TokenAuth

PROBLEM = "application/problem+json"


class PeerPathAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Each operation names its capability (`x-peerpath-capability`); error answers are
        documented with their real media type, problem+json."""
        from .security import operations

        schema = super().get_openapi_schema(*args, **kwargs)
        needs = {
            (e.method.lower(), e.path): (
                e.declaration.capability.value if e.declaration.capability else "token"
            )
            for e in operations(self)
            if e.declaration is not None
        }
        root = self.get_root_path({}).rstrip("/")
        for url, path in schema.get("paths", {}).items():
            for method, op in path.items():
                need = needs.get((method.lower(), url.removeprefix(root) or "/"))
                if need is not None:
                    op["x-peerpath-capability"] = need
                for code, answer in op.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(code).startswith(("4", "5")) and "application/json" in content:
                        content[PROBLEM] = content.pop("application/json")
        return schema


api = PeerPathAPI(
    title="PeerPath API",
    version="1",
    description=(
        "Peer support records for programs acting for a PeerPath user. Authenticate with a "
        "personal access token (`Authorization: Bearer pp_...`), made on the Tokens page or "
        "with `peerpath token create`. Each operation needs one capability of the permission "
        "registry; the token must carry it. See docs/api.md."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)
api.add_router("/", router)


def problem(
    status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    import json

    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    body["errors"] = errors or []
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="peerpath"'
    return response


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return problem(exc.status, exc.title, exc.detail, exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(
        401, "Not signed in", "Send a valid personal access token: Authorization: Bearer pp_..."
    )


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in ("body", "query", "path", "payload")]
    return ".".join(parts) or "request"


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field(e.get("loc")), "message": str(e.get("msg", "Invalid value."))}
        for e in exc.errors
    ]
    return problem(422, "Invalid request", "Some fields are not valid.", errors)


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {
                "field": "request" if name == "__all__" else name,
                "message": " ".join(str(m) for m in messages),
            }
            for name, messages in exc.message_dict.items()
        ]
    else:
        errors = [{"field": "request", "message": " ".join(exc.messages)}]
    return problem(422, "Refused", "The record was not saved.", errors)


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(403, "Not allowed", str(exc) or "Your role does not allow this.")


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, "Not found", "No such record, or it is outside your scope.")


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, "Request refused", str(exc))
