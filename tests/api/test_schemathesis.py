"""schemathesis against the API's own OpenAPI: for every operation a bounded number of
generated requests (valid and not), sent with a token that may call it. No answer may be a
server error, and every answer must match its documented status, media type and schema.

Half of the generated ids are replaced by ids of records in the token owner's scope, so the
bodies reach the service functions instead of stopping at a 404.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from peerpath.access.capabilities import ROLE_CAPABILITIES, roles_with
from peerpath.api.main import api
from peerpath.api.security import operations

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
NEEDS = {(o.method, "/api" + o.path): o.declaration for o in operations(api)}
EXAMPLES = 12


@pytest.fixture
def tokens(world):
    return {role: world.token(role) for role in ROLE_CAPABILITIES}


@pytest.fixture
def kept_connection():
    """schemathesis calls the WSGI app itself, whose request signals would close the test's
    database connection (inside its transaction, on PostgreSQL); Django's test client
    disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_answers_by_its_schema(case, world, tokens, kept_connection):
    # Methods the path does not take (schemathesis tries them too) have no declaration.
    declaration = NEEDS.get((case.method.upper(), case.path))
    cap = declaration.capability if declaration is not None else None
    role = "cpss" if cap is None or cap in ROLE_CAPABILITIES["cpss"] else sorted(roles_with(cap))[0]
    ids = {
        "person_id": world.mine.pk,
        "note_id": world.note.pk,
        "authorization_id": world.auth_id,
        "session_id": world.group_id,
    }
    for name, value in (case.path_parameters or {}).items():
        if name in ids and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = ids[name]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {tokens[role]}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
