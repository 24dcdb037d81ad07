"""The auditor's workspace, read-only: findings by rule, provider, peer specialist, payer
and month, a rule's findings leading to the note (its page shows its history) and the
person's chart (with its access history), a reproducible sample with a review worksheet,
and exports (CSV, Parquet)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow.parquet as pq
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from peerpath.access.capabilities import Cap
from peerpath.access.permissions import declare
from peerpath.access.services import log_access
from peerpath.core.formatting import day
from peerpath.core.svgcharts import data_uri
from peerpath.policy.api import Findings, rule_title

from . import selectors
from .charts import month_label, rules_over_time_svg
from .selectors import Scope

SAMPLE_SIZE = 30


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        return default
    return max(low, min(high, int(raw)))


def _scope(request: HttpRequest) -> Scope:
    scope = selectors.scope_of(request.user)
    if scope is None:
        raise Http404("No agency or payer to audit.")
    return scope


def _findings(request: HttpRequest) -> tuple[Findings, dt.date, dt.date, int]:
    months = _int(request, "months", selectors.MONTHS, 1, 36)
    start, end = selectors.period(timezone.localdate(), months)
    found = selectors.findings_for(_scope(request), start=start, end=end)
    return found, start, end, months


def _log(request: HttpRequest, action: str, reason: str) -> None:
    log_access(
        user=request.user,
        action=action,
        record_type="policy.Finding",
        record_id="",
        reason=reason,
        request=request,
    )


@declare(Cap.AUDIT_PROGRAM)
def home(request: HttpRequest) -> HttpResponse:
    found, start, end, months = _findings(request)
    _log(request, "view", "audit workspace")
    trend = selectors.rules_by_month(found, start=start, end=end)
    labels = [month_label(m, many=len(trend.months) > 6) for m in trend.months]
    return render(
        request,
        "auditor/home.html",
        {
            "summary": selectors.summary(found, start=start, end=end),
            "trend": trend,
            "trend_chart": data_uri(rules_over_time_svg(trend)),
            "trend_months": labels,
            "trend_rows": [(s, list(zip(labels, s.counts, strict=True))) for s in trend.series],
            "months": months,
            "month_choices": (3, 6, 12, 24, 36),
        },
    )


@declare(Cap.AUDIT_PROGRAM)
def rule(request: HttpRequest, rule_id: str) -> HttpResponse:
    found, start, end, months = _findings(request)
    rows = selectors.rule_rows(found, rule_id)
    title = rule_title(rule_id)
    if not rows and title == rule_id:
        raise Http404("No such rule.")
    _log(request, "view", f"audit findings of {rule_id}")
    return render(
        request,
        "auditor/rule.html",
        {
            "rule_id": rule_id,
            "title": title,
            "rows": rows,
            "start": start,
            "end": end,
            "months": months,
            "total": len(found.rules(rule_id)),
        },
    )


@declare(Cap.AUDIT_PROGRAM)
def sample(request: HttpRequest) -> HttpResponse:
    found, start, end, months = _findings(request)
    size = _int(request, "size", SAMPLE_SIZE, 1, selectors.SAMPLE_MAX)
    default_seed = int(end.strftime("%Y%m%d"))
    seed = _int(request, "seed", default_seed, 0, 999_999_999)
    rows = selectors.sample(request.user, start=start, end=end, size=size, seed=seed, found=found)
    if request.GET.get("format") == "csv":
        _log(request, "export", f"audit sample seed {seed} size {size}")
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            [
                "sample_number",
                "note_number",
                "medicaid_id",
                "service_date",
                "peer_specialist",
                "findings",
                "documentation_supports_service",
                "reviewer_comment",
            ]
        )
        for r in rows:
            w.writerow(
                [
                    r.number,
                    r.note.pk,
                    r.note.person.medicaid_id,
                    r.note.date.isoformat(),
                    r.note.staff.full_name,
                    r.findings,
                    "",
                    "",
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="sample-{seed}-{size}.csv"'
        return response
    _log(request, "view", f"audit sample seed {seed} size {size}")
    return render(
        request,
        "auditor/sample.html",
        {
            "rows": rows,
            "seed": seed,
            "size": size,
            "start": start,
            "end": end,
            "months": months,
        },
    )


@declare(Cap.AUDIT_PROGRAM)
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    found, start, end, _ = _findings(request)
    _log(request, "export", f"audit findings {start}..{end} as {fmt}")
    name = f"findings-{start.isoformat()}-{end.isoformat()}"
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(found.table, buffer)
        response = HttpResponse(buffer.getvalue(), content_type="application/vnd.apache.parquet")
        response["Content-Disposition"] = f'attachment; filename="{name}.parquet"'
        return response
    if fmt != "csv":
        raise Http404("Exports are CSV or Parquet.")
    out = io.StringIO()
    w = csv.writer(out)
    columns = ["rule_id", "title", "severity", "date", "subject_type", "subject_id",
               "person_id", "staff_id", "evidence", "citation", "fix"]  # fmt: skip
    w.writerow(columns)
    for f in found.objects():
        w.writerow(
            [f.rule_id, f.title, f.severity, day(f.date) if f.date else "", f.subject_type,
             f.subject_id, f.person_id or "", f.staff_id or "", f.evidence, f.citation.short(),
             f.fix]
        )  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
