"""CSV exports of the billing lists: the same rows the page lists (same filters, same
people), every page of them, streamed so a list of a hundred thousand lines is not held in
memory. Money is written as plain decimals (1234.50) and dates as ISO dates (2026-04-06),
so spreadsheets read them as numbers and dates; the page shows them formatted.

Each download is an export of PHI: it is access-logged by the view.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

CHUNK = 2_000


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    # A cell that starts with a formula character is read as a formula by spreadsheets.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(
    name: str,
    header: list[str],
    rows: Iterable[Any],
    row: Callable[[Any], list[Any]],
) -> StreamingHttpResponse:
    """A streamed CSV download `name-YYYY-MM-DD.csv` of `rows`, each turned into cells."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for item in rows:
            yield writer.writerow([_cell(v) for v in row(item)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
