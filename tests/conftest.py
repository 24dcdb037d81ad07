from __future__ import annotations

import time

import pytest

from tests.factories import UserFactory


@pytest.fixture
def actor(db):  # type: ignore[no-untyped-def]
    """The staff user who acts in service-function tests."""
    return UserFactory(username="tester")


_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    """Say where this run's browser screenshots are (in the main process, also with xdist)."""
    from tests.browser.artifacts import SCREENSHOTS

    shots = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _STARTED]
    if shots:
        terminalreporter.write_line(f"Screenshots of {len(shots)} pages: {SCREENSHOTS}")
