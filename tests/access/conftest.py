from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_triggers = importlib.import_module("peerpath.access.migrations.0002_access_log_triggers")


@contextmanager
def log_triggers_dropped() -> Iterator[None]:
    """Drop the append-only triggers on this connection (as an attacker with DDL rights
    could), then put them back."""
    with connection.cursor() as cursor:
        for sql in _triggers.statements(connection.vendor, install=False):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in _triggers.statements(connection.vendor):
                cursor.execute(sql)
