"""The API-and-capability walk, generated from the API and the permission registry: every
operation declares a capability; a token without it is refused (403) whatever its owner's
role; a token with it gets through; no token, or a revoked or expired one, gets 401."""

from __future__ import annotations

import datetime as dt

import pytest
from ninja import NinjaAPI
from time_machine import travel

from peerpath.access.capabilities import ROLE_CAPABILITIES, roles_with
from peerpath.api.main import api
from peerpath.api.models import PersonalAccessToken
from peerpath.api.security import operations, requires, undeclared_operations
from peerpath.api.tokens import token_revoke

from .conftest import call, sample_request

OPERATIONS = list(operations(api))


def test_every_operation_is_declared():
    assert OPERATIONS, "the API has no operations"
    assert undeclared_operations(api) == []


def test_an_undeclared_operation_is_found():
    other = NinjaAPI(urls_namespace="walk-test")

    @other.get("/declared")
    @requires("read_person")
    def declared(request):  # type: ignore[no-untyped-def]
        return {}

    @other.get("/forgotten")
    def forgotten(request):  # type: ignore[no-untyped-def]
        return {}

    assert undeclared_operations(other) == ["GET /forgotten -> forgotten"]


@pytest.mark.parametrize(
    "op", [o for o in OPERATIONS if o.declaration and o.declaration.capability], ids=str
)
def test_operation_refused_without_its_capability(world, op):
    cap = op.declaration.capability
    url, body = sample_request(world, op.method, op.path)
    for role in sorted(ROLE_CAPABILITIES):
        # Everything the role may do except this capability (roles with nothing else: skip).
        others = ROLE_CAPABILITIES[role] - {cap}
        if not others:
            continue
        response = call(op.method, url, world.token(role, others), body)
        assert response.status_code == 403, (op, role, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert cap.value in response.json()["detail"]


@pytest.mark.parametrize(
    "op", [o for o in OPERATIONS if o.declaration and o.declaration.capability], ids=str
)
def test_operation_allowed_with_its_capability(world, op):
    cap = op.declaration.capability
    url, body = sample_request(world, op.method, op.path)
    role = "cpss" if cap in ROLE_CAPABILITIES["cpss"] else sorted(roles_with(cap))[0]
    response = call(op.method, url, world.token(role, [cap]), body)
    assert response.status_code in (200, 201), (op, role, response.content)


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_operation_needs_a_token(world, op):
    url, body = sample_request(world, op.method, op.path)
    for bad in (None, "pp_nothing_here", "not-a-token"):
        response = call(op.method, url, bad, body)
        assert response.status_code == 401, (op, bad)
        assert response["Content-Type"] == "application/problem+json"


def test_revoked_and_expired_tokens_are_refused(world):
    raw = world.token("cpss", days=1)
    assert call("GET", "/api/me", raw).status_code == 200
    with travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)):
        assert call("GET", "/api/me", raw).status_code == 401
    token = PersonalAccessToken.objects.get()
    token_revoke(actor=world.staff["cpss"].user, token=token)
    assert call("GET", "/api/me", raw).status_code == 401


def test_a_token_loses_what_its_owner_loses(world):
    cpss = world.staff["cpss"]
    raw = world.token("cpss")
    url = f"/api/people/{world.mine.pk}/notes/check"
    cpss.role = "billing"  # no longer writes notes
    cpss.save()
    response = call("POST", url, raw, {})
    assert response.status_code in (403, 422)
    assert call("GET", f"/api/notes/{world.note.pk}", raw).status_code == 403
