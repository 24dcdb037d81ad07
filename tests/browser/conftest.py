"""Browser tests: PeerPath served on a live server, driven by Playwright in Debian's Chromium
(CONTRIBUTING.md, "Browser tests", says how to write one).

Every test in this folder is marked `browser` and gets, without asking, `browser_db` (the
database, committed as the test goes and emptied after it) and `app_server` (PeerPath on
127.0.0.1, one per test worker). Tests ask for `page` and use tests/browser/kit.py.

Chromium is Debian's (`chromium` on the PATH, or PEERPATH_CHROMIUM); Playwright never
downloads a browser. Without it the tests are skipped, except in CI (CI=true) or with
PEERPATH_REQUIRE_BROWSER=1, where a missing browser and any skipped browser test fail."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.db import connection, connections, transaction
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import timezone
from playwright.sync_api import expect

BROWSER_DIR = Path(__file__).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_required() -> bool:
    """In CI a browser test may not be skipped: it passes or it fails."""
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("PEERPATH_REQUIRE_BROWSER") == "1"
    )


def chromium_path() -> str | None:
    wanted = os.environ.get("PEERPATH_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


# ---- marking, and no skipping in CI -----------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and browser_required() and item.get_closest_marker("browser"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"A browser test may not be skipped in CI; it was skipped: {reason}"
    return report


# ---- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """Debian's Chromium, or a skip (a failure in CI) before anything else is set up."""
    path = chromium_path()
    if path is None:
        message = (
            "Chromium is not installed (apt-get install chromium), or PEERPATH_CHROMIUM does "
            "not name it."
        )
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium: str
) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def playwright(playwright: Any) -> Iterator[Any]:
    """Playwright's synchronous API keeps an event loop running in this thread, and Django
    refuses database calls from a thread with a running loop. The tests are synchronous, so
    allow them while Playwright runs (in this test process only)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield playwright
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], app_server: AppServer
) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": app_server.url,
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-US",
        "timezone_id": "America/New_York",
    }


@pytest.fixture(autouse=True)
def _browser_timeouts(browser_db: None, page: Any) -> None:
    # Pages answer in well under a second on a quiet machine, and a note's live checks in a
    # few tenths; allow for a busy machine (a waiting click includes the checks queued
    # before it) without waiting Playwright's default half minute on a stuck test.
    page.set_default_timeout(20_000)
    page.set_default_navigation_timeout(20_000)
    expect.set_options(timeout=20_000)


_SUPERSEDED = (
    "htmx:sendAbort",
    "htmx:afterRequest",
    # A form sent back with its errors answers 400 on purpose; Chromium notes the status.
    "Failed to load resource: the server responded with a status of 400 (Bad Request)",
)


@pytest.fixture(autouse=True)
def _no_console_errors(page: Any) -> Iterator[list[str]]:
    """Every page a browser test visits runs without a JavaScript error or a Content-
    Security-Policy violation (Chromium reports both on the console, as errors)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def on_console(msg: Any) -> None:
        # htmx reports a request it cancelled for a newer one (hx-sync "replace": the live
        # check of a note being typed) as an error; that is by design, not a fault.
        if msg.type == "error" and not msg.text.startswith(_SUPERSEDED):
            errors.append(f"console {msg.type}: {msg.text} ({page.url})")

    page.on("console", on_console)
    yield errors
    assert not errors, "JavaScript errors or CSP violations:\n" + "\n".join(errors)


# ---- the server and its database --------------------------------------------------------------


class _OneAtATime:
    """Runs Django for one request at a time. On SQLite the test database lives in memory and
    the server shares the tests' connection, so two requests must never use it at once
    (static files are served outside the lock: they touch no database)."""

    def __init__(self, app: Any, lock: threading.RLock) -> None:
        self.app, self.lock = app, lock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            return list(self.app(environ, start_response))


class _Handler(QuietWSGIRequestHandler):
    timeout = 5  # a connection the browser opened ahead and never used frees its thread


class _PooledServer(WSGIServer):
    """Answers on a few long-lived threads instead of a new thread per request, so that what
    a thread keeps (the live checks' prepared rules) is reused, as in a real server. Not a
    ThreadingMixIn, so Django closes each connection after its response and no thread waits
    on a browser's idle keep-alive connection."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override or {}
        self.pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="browser-test-server")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._answer, request, client_address)

    def _answer(self, request: Any, client_address: Any) -> None:
        for alias, conn in self.connections_override.items():
            connections[alias] = conn
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            connections.close_all()  # (an in-memory SQLite connection stays open)

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=True, cancel_futures=True)


class _ServerThread(LiveServerThread):
    def _create_server(self, connections_override: Any = None) -> _PooledServer:
        return _PooledServer(
            (self.host, self.port),
            _Handler,
            allow_reuse_address=False,
            connections_override=connections_override,
        )


class AppServer:
    """PeerPath on 127.0.0.1 for the browser tests. `quiet()` holds every request back for a
    while (the lock is re-entrant: the server's own queries pass through it too)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.shared = {
            c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()
        }
        self.thread = _ServerThread(
            "127.0.0.1",
            lambda app: StaticFilesHandler(_OneAtATime(app, self.lock)),
            self.shared,
            port=0,
        )
        self.thread.daemon = True

    def start(self) -> None:
        for conn in self.shared.values():
            conn.inc_thread_sharing()
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error

    def stop(self) -> None:
        self.thread.terminate()
        for conn in self.shared.values():
            conn.dec_thread_sharing()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.thread.port}"

    @contextmanager
    def quiet(self) -> Iterator[None]:
        with self.lock:
            yield


def _warm_up_live_checks() -> None:
    """Load the packs and compile the rules once, before a page asks: the first live check in
    a process takes seconds, the next ones a fraction of a second. Nothing is kept."""
    from peerpath.policy.api import check_note
    from tests.browser import records

    with transaction.atomic():
        person, intervention = records.ready_person(records.peer())
        today = timezone.localdate()
        draft = {
            "person_id": person.pk,
            "staff_id": None,
            "date": today,
            "start_min": 600,
            "end_min": 645,
            "modality": "in_person",
            "setting": "community",
            "kind": "individual",
            "activity": intervention.activity,
            "goal_id": intervention.goal_id,
            "intervention_id": intervention.pk,
            "goal_plan_id": intervention.goal.plan_id,
            "status": "draft",
        }
        check_note(draft, as_of=today)
        transaction.set_rollback(True)
    # The board's chart: matplotlib's first import and drawing take seconds.
    import datetime as dt

    from peerpath.staff.charts import loads_svg

    loads_svg([], None, today - dt.timedelta(days=7), today)


@pytest.fixture(scope="session")
def app_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[AppServer]:
    with django_db_blocker.unblock():
        _warm_up_live_checks()
        server = AppServer()
        server.start()
    yield server
    with django_db_blocker.unblock():
        server.stop()


def _flush_database() -> None:
    """Empty every table after a browser test, as a TransactionTestCase does. SQLite's
    append-only and signed-note triggers refuse the DELETEs its flush runs, so on SQLite
    they are taken off for the flush only, and put back exactly as they were.
    (PostgreSQL's flush truncates, which row triggers do not see.)"""
    triggers: list[tuple[str, str]] = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = list(cursor.fetchall())
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", verbosity=0, interactive=False, allow_cascade=False)
    finally:
        if triggers:
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)


@pytest.fixture(autouse=True)
def browser_db(transactional_db: None, app_server: AppServer) -> Iterator[None]:
    """The database, open to the test and to the server, committed as it goes (so the server
    sees the factories' rows), and emptied after the test (pytest-django's own flush then
    finds nothing left to refuse). Each query of the test waits while the server answers a
    request, so a test may read the database right after a page action."""

    def wait_for_server(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with app_server.lock:
            return execute(sql, params, many, context)

    with connection.execute_wrapper(wait_for_server):
        yield
    with app_server.quiet():
        _flush_database()
