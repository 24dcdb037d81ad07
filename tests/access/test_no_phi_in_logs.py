"""No PHI in the logs: walk the read and write paths of a demo agency with every logger at
DEBUG, and look for the people's names and Medicaid IDs in everything that was logged.

What PeerPath's handlers would write is captured twice: by caplog and by a StringIO handler
on the root logger, both given the filters of the handlers that settings.LOGGING configures
(so taking the filter out of the settings makes this test fail). A third handler, first on
the root logger, keeps the records as logged, before any filter: it shows that the paths
that need the filter were walked.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.access.logfilters import RedactPHI, redact
from peerpath.consent.services import export_person_record
from peerpath.demo.generator import generate
from peerpath.people.models import Person
from peerpath.people.services import person_update
from peerpath.policy.checks import check_person
from peerpath.staff.models import CaseloadAssignment, StaffMember
from tests.access.test_admin_phi import form_data

PASSWORD = "a long demo passphrase 7"
FORMAT = "%(levelname)s %(name)s %(message)s"


def configured_handlers() -> list[logging.Handler]:
    """The live handlers that settings.LOGGING configured, on the root logger and on others."""
    names = set(settings.LOGGING.get("handlers", {}))
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    return [h for lg in loggers for h in lg.handlers if h.get_name() in names]


@contextmanager
def everything_logged(
    caplog: pytest.LogCaptureFixture,
) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """(raw, filtered): every record at DEBUG from every logger, as logged and as PeerPath's
    handlers would write it."""
    project_filters = [
        f for h in configured_handlers() if h.get_name() == "console" for f in h.filters
    ]
    raw, filtered = io.StringIO(), io.StringIO()
    raw_handler, out_handler = logging.StreamHandler(raw), logging.StreamHandler(filtered)
    for handler in (raw_handler, out_handler):
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter(FORMAT))
    for f in project_filters:
        out_handler.addFilter(f)
        caplog.handler.addFilter(f)
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    root.handlers.insert(0, raw_handler)  # first: it sees records before any filter
    root.addHandler(out_handler)
    levels: dict[logging.Logger, int] = {}
    islands: list[logging.Logger] = []
    for lg in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(lg, logging.Logger):
            levels[lg] = lg.level
            lg.setLevel(logging.DEBUG)
            if not lg.propagate:  # e.g. django.server: records that never reach the root
                lg.handlers.insert(0, raw_handler)
                lg.addHandler(out_handler)
                islands.append(lg)
    try:
        yield raw, filtered
    finally:
        for lg, level in levels.items():
            lg.setLevel(level)
        for lg in [*islands, root]:
            lg.removeHandler(raw_handler)
            lg.removeHandler(out_handler)
        for f in project_filters:
            caplog.handler.removeFilter(f)


def test_every_configured_handler_carries_the_phi_filter():
    for name, config in settings.LOGGING["handlers"].items():
        assert "phi" in config.get("filters", []), name
    assert settings.LOGGING["filters"]["phi"]["()"] == "peerpath.access.logfilters.RedactPHI"
    handlers = configured_handlers()
    assert {h.get_name() for h in handlers} == set(settings.LOGGING["handlers"])
    for handler in handlers:
        assert any(isinstance(f, RedactPHI) for f in handler.filters), handler


def test_redaction_of_ids_query_strings_and_request_bodies():
    assert redact("id 123456789A and 1234567890, ssn 123-45-6789") == (
        "id [redacted] and [redacted], ssn [redacted]"
    )
    assert redact('"GET /admin/people/person/?q=Whitfield HTTP/1.1" 200') == (
        '"GET /admin/people/person/?[query removed] HTTP/1.1" 200'
    )
    assert redact("Not Found: /people/17/") == "Not Found: /people/17/"
    assert redact("2026-09-30 12:00 note 4411 hash " + "ab12" * 16) == (
        "2026-09-30 12:00 note 4411 hash " + "ab12" * 16
    )

    request = RequestFactory().post("/people/17/?q=Whitfield", {"medicaid_id": "123456789A"})
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Bad", request.path), None
    )
    record.request = request
    record.body = b"first_name=Jordan"
    try:
        raise ValueError("Key (medicaid_id)=(123456789A) already exists")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactPHI().filter(record)
    text = logging.Formatter("%(message)s %(request)s %(body)s").format(record)
    assert "123456789A" not in text and "Whitfield" not in text and "Jordan" not in text
    assert "Bad: /people/17/" in text and "<request POST /people/17/>" in text
    assert "ValueError: Key (medicaid_id)=([redacted]) already exists" in text
    assert RedactPHI().filter(record)  # a second handler's filter changes nothing more
    assert logging.Formatter("%(message)s %(request)s %(body)s").format(record) == text


def test_django_debug_records_lose_sql_and_template_context():
    sql = logging.LogRecord(
        "django.db.backends", logging.DEBUG, __file__, 1, "(%.3f) %s; args=%s; alias=%s",
        (0.002, "SELECT 1 WHERE last_name = 'Whitfield'", ("Whitfield",), "default"), None,
    )  # fmt: skip
    sql.sql, sql.params, sql.duration = "SELECT 1 WHERE last_name = 'Whitfield'", ("W",), 0.002
    assert RedactPHI().filter(sql)
    assert sql.getMessage() == "(0.002) SQL query [statement and parameters removed]"
    assert "Whitfield" not in repr(sql.__dict__)

    try:
        raise ValueError("Failed lookup for key [x] in <Person: Jordan Whitfield (#3)>")
    except ValueError:
        info = sys.exc_info()
    template = logging.LogRecord(
        "django.template", logging.DEBUG, __file__, 1,
        "Exception while resolving variable '%s' in template '%s'.", ("x", "chart.html"), info,
    )  # fmt: skip
    assert RedactPHI().filter(template)
    text = logging.Formatter().format(template)
    assert text == "Exception while resolving variable 'x' in template 'chart.html'. (ValueError)"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post("/signin/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return client


@override_settings(PEERPATH_REQUIRE_2FA=False, DEBUG=False)
def test_no_names_or_medicaid_ids_in_any_log_output(db, caplog):
    generate(seed=7, people=60)
    people = list(Person.objects.select_related("payer").order_by("pk"))
    admin_staff = StaffMember.objects.select_related("user").get(role="admin")
    admin_user = admin_staff.user
    admin_user.set_password(PASSWORD)
    admin_user.save()
    staff_names = set(StaffMember.objects.values_list("last_name", flat=True))
    searched = next(p for p in people if len(p.last_name) >= 5 and p.last_name not in staff_names)
    first, second, third = people[0], people[1], people[2]
    cpss = StaffMember.objects.select_related("user").filter(role="cpss").first()
    mine = CaseloadAssignment.objects.filter(staff=cpss).values("person_id")
    outsider = Person.objects.exclude(pk__in=mine).filter(agency_id=cpss.agency_id).first()
    cpss.user.set_password(PASSWORD)
    cpss.user.save()

    with everything_logged(caplog) as (raw, filtered):
        logging.getLogger("peerpath.test").debug("capture is on")
        # Sign in as the agency's administrator; the admin's list, a search, change pages.
        client = signed_in(admin_user.username)
        assert client.get("/admin/people/person/").status_code == 200
        found = client.get("/admin/people/person/", {"q": searched.last_name})
        assert found.status_code == 200 and searched.last_name in found.content.decode()
        client.get("/admin/people/person/", {"q": searched.medicaid_id})
        for person in (first, second, third):
            assert client.get(f"/admin/people/person/{person.pk}/change/").status_code == 200
        # A change refused (bad Medicaid ID), then one saved, through the admin.
        page = client.get(f"/admin/people/person/{first.pk}/change/")
        data = form_data(page)
        data["medicaid_id"] = first.medicaid_id[:-1] + "12"
        assert client.post(f"/admin/people/person/{first.pk}/change/", data).status_code == 200
        data["medicaid_id"] = first.medicaid_id
        data["phone"] = "919-555-0142"
        assert client.post(f"/admin/people/person/{first.pk}/change/", data).status_code == 302
        # PeerPath's own people pages: the list, a search, a chart.
        client.get("/people/", {"q": searched.last_name})
        client.get(f"/people/{second.pk}/")
        # Missing pages: an admin record, a page, and a path carrying a Medicaid ID.
        assert client.get("/admin/people/person/999999/change/").status_code == 404
        assert client.get(f"/lookup/{second.medicaid_id}/").status_code == 404
        missing = client.get("/no/such/page/", {"q": f"{third.first_name} {third.last_name}"})
        assert missing.status_code == 404
        # Failed sign-ins: a real username with a wrong password, and a Medicaid ID typed
        # into the username box.
        assert (
            Client()
            .post("/signin/", {"username": admin_user.username, "password": "wrong " + PASSWORD})
            .status_code
            == 200
        )
        Client().post("/signin/", {"username": third.medicaid_id, "password": "x"})
        # A peer specialist breaks the glass for someone not on their caseload.
        peer = signed_in(cpss.user.username)
        reason = f"Crisis call tonight about {outsider.first_name} {outsider.last_name}"
        opened = peer.post(f"/people/{outsider.pk}/emergency-access/", {"reason": reason})
        assert opened.status_code == 302
        assert peer.get(f"/people/{outsider.pk}/").status_code == 200
        # Service functions.
        with pytest.raises(ValidationError):
            person_update(actor=admin_user, person=first, medicaid_id="12345")
        first.refresh_from_db()
        check_person(first.pk, as_of=dt.date(2026, 9, 30))
        export_person_record(actor=admin_user, person=first, payer=first.payer, purpose="payment")
        # Django's own debug records: a template variable that does not resolve (the
        # exception lists the template's context, people included) and SQL, when logged.
        Template("{{ person.no_such_field }}").render(Context({"person": first}))
        with CaptureQueriesContext(connection):
            Person.objects.filter(last_name=searched.last_name).exists()
            Person.objects.filter(medicaid_id=searched.medicaid_id).exists()

    raw_text = raw.getvalue()
    shown = filtered.getvalue() + "\n" + caplog.text
    assert "capture is on" in raw_text and "capture is on" in shown
    assert "Not Found" in shown  # django.request's lines were captured

    names = {f"{p.first_name} {p.last_name}" for p in people}
    names |= {f"{p.preferred_name} {p.last_name}" for p in people if p.preferred_name}
    ids = {p.medicaid_id for p in people}
    assert PASSWORD not in shown and PASSWORD not in raw_text
    leaked = sorted(n for n in names if n in shown)
    assert not leaked, f"names in the log output: {leaked}"
    assert searched.last_name not in shown
    leaked_ids = sorted(i for i in ids if i.lower() in shown.lower())
    assert not leaked_ids, f"Medicaid IDs in the log output: {leaked_ids}"
    # The filter is what kept them out: the records that carried them were logged.
    assert second.medicaid_id in raw_text and first.display_name in raw_text
    assert searched.last_name in raw_text  # in the SQL
    assert "Not Found: /lookup/[redacted]/" in shown
    assert "SQL query [statement and parameters removed]" in shown
    assert "Exception while resolving variable 'no_such_field'" in shown
