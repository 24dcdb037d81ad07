"""No PHI in what the API logs: calls that succeed, fail validation, are refused or not
found, with names and Medicaid IDs in the query and the body, logged at DEBUG."""

from __future__ import annotations

import logging

from .conftest import call, note_body


def test_api_calls_log_no_names_or_medicaid_ids(world, caplog):
    person = world.mine
    secrets = [person.first_name, person.last_name, person.medicaid_id]
    token = world.token("cpss")
    with caplog.at_level(logging.DEBUG):
        call("GET", f"/api/people?q={person.last_name}+{person.medicaid_id}", token)
        call("GET", f"/api/people/{person.pk}", token)
        call("GET", f"/api/people/{world.elsewhere.pk}", token)  # 404
        call("GET", f"/api/people/{person.pk}", "pp_wrong_token")  # 401
        bad = note_body(world) | {"date": f"{person.first_name}", "response": person.last_name}
        call("POST", f"/api/people/{person.pk}/notes", token, bad)  # 422
        call("POST", f"/api/people/{person.pk}/notes/check", token, note_body(world))
        call("GET", f"/api/people/{person.pk}/fhir", world.token("admin"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "nothing was logged: the walk did not reach the loggers"
    for secret in secrets:
        assert secret not in logged, f"{secret!r} was logged"
