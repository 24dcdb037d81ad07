"""Keep protected health information out of log output.

`RedactPHI` is attached to every logging handler (settings.LOGGING). On each record it:

- renders the message and replaces anything shaped like a Medicaid ID (nine digits and a
  letter, or ten digits) or a Social Security number with "[redacted]", in the message, the
  traceback and the stack;
- drops the query string of any URL-like text ("/admin/people/person/?q=Smith" becomes
  "/admin/people/person/?[query removed]"): searches carry names;
- replaces a request attached to the record (django.request, django.security) with a stand-in
  that has only the method and the path, and removes bodies: Django logs "Not Found: /path",
  and the path is all that stays (paths carry record ids, not names);
- takes out what Django's debug records carry of the records themselves: the SQL and its
  parameters (django.db.backends, when queries are logged) and the template context that a
  failed variable lookup's exception lists (django.template, at DEBUG: it shows every object
  in the context, a person's name among them).

Names cannot be recognized by shape, so code must never log them: tests/access/
test_no_phi_in_logs.py walks the read and write paths and checks that none appears.

The record is changed in place, so every handler after this one sees the redacted record too.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

REDACTED = "[redacted]"
QUERY_REMOVED = "?[query removed]"

PHI_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b\d{9}[A-Za-z]\b"),  # Medicaid ID: nine digits and a letter (NC and others)
    re.compile(r"\b\d{10}\b"),  # Medicaid ID: ten digits (SC and others)
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),  # Social Security number
)
# A query string after a path: "/people/?q=Smith" or "GET /admin/?q=Jane%20Doe HTTP/1.1".
QUERY_STRING = re.compile(r"(/[^\s?#\"']*)\?(?!\[query removed\])[^\s#\"']+")

# Attributes every LogRecord has; anything else on a record came in through `extra`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    """`text` with Medicaid-ID-, SSN-shaped values and query strings taken out."""
    for pattern in PHI_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return QUERY_STRING.sub(lambda m: m.group(1) + QUERY_REMOVED, text)


class ScrubbedRequest:
    """What stays of a request on a log record: its method and path, no body, no query
    string, no headers or cookies."""

    def __init__(self, request: Any) -> None:
        self.method = str(getattr(request, "method", "") or "")
        self.path = redact(str(getattr(request, "path", "") or ""))
        self.path_info = self.path

    def __repr__(self) -> str:
        return f"<request {self.method} {self.path}>"

    __str__ = __repr__


def _scrub_extra(value: Any) -> Any:
    if hasattr(value, "META") and hasattr(value, "path"):  # an HttpRequest (or one like it)
        return ScrubbedRequest(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "[body removed]"
    if isinstance(value, str):
        return redact(value)
    return value


class RedactPHI(logging.Filter):
    """Redact what looks like PHI from every record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends") and hasattr(record, "sql"):
            duration = getattr(record, "duration", None)
            took = f"({duration:.3f}) " if isinstance(duration, int | float) else ""
            record.msg, record.args = f"{took}SQL query [statement and parameters removed]", None
            record.sql = record.params = "[removed]"
        if record.name.startswith("django.template") and record.exc_info:
            error = record.exc_info[0]
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.getMessage()} ({getattr(error, '__name__', 'error')})"
            record.args = None
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be kept
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None  # formatters use exc_text and cannot re-render it
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = _scrub_extra(value)
        return True
