"""Exports of outcome measures: FHIR R4 (Questionnaire and QuestionnaireResponse, checked
by parsing with fhir.resources' R4B models before anything is sent) and CSV.

FHIR ids are PeerPath's own record ids; the subject is a reference to the Patient resource of
the same id that PeerPath's FHIR export gives. No names, no free text but a refusal's reason.
Answers are codings in a PeerPath system per instrument (`urn:peerpath:instrument:<code>`);
the item text is the short label (the instrument's wording is not shipped).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from peerpath.people.models import Person

from .instruments import Instrument, instruments
from .models import Administration, Status
from .program import SMALL_CELL, Group, ProgramView, suppressed

QUESTIONNAIRE_BASE = "urn:peerpath:questionnaire:"
ANSWER_SYSTEM = "urn:peerpath:instrument:"


def questionnaire_url(inst: Instrument) -> str:
    return f"{QUESTIONNAIRE_BASE}{inst.fhir_code}"


def questionnaire(inst: Instrument) -> dict[str, Any]:
    """The instrument as a FHIR R4 Questionnaire: items with their short labels and answer
    options, a group of read-only scores, and the reason when it was not done."""
    system = f"{ANSWER_SYSTEM}{inst.fhir_code}"
    options = [
        {"valueCoding": {"system": system, "code": o.key, "display": o.label}} for o in inst.options
    ]
    scores: list[dict[str, Any]] = []
    if inst.method == "sum":
        scores.append(
            {"linkId": "score.total", "text": "Total", "type": "decimal", "readOnly": True}
        )
    for d in inst.domains:
        scores.append(
            {
                "linkId": f"score.{d.code}",
                "text": f"{d.label} (mean)",
                "type": "decimal",
                "readOnly": True,
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": inst.fhir_code,
        "url": questionnaire_url(inst),
        "name": "".join(ch for ch in inst.code if ch.isalnum()),
        "title": inst.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"{inst.wording_note} Source: {inst.citation}",
        "copyright": inst.licence,
        "item": [
            *(
                {
                    "linkId": str(i.number),
                    "text": i.label,
                    "type": "choice",
                    "answerOption": options,
                }
                for i in inst.items
            ),
            {
                "linkId": "score",
                "text": "Scores",
                "type": "group",
                "readOnly": True,
                "item": scores,
            },
            {"linkId": "not-done", "text": "Why it was not done", "type": "string"},
        ],
    }


def questionnaire_response(record: Administration) -> dict[str, Any]:
    """One administration as a FHIR R4 QuestionnaireResponse."""
    inst = instruments()[record.instrument]
    system = f"{ANSWER_SYSTEM}{inst.fhir_code}"
    status = {
        Status.COMPLETED: "completed",
        Status.IN_PROGRESS: "in-progress",
    }.get(Status(record.status), "stopped")
    items: list[dict[str, Any]] = []
    for a in record.answers.all():
        if a.value is None and not a.not_applicable:
            continue
        key = "NA" if a.not_applicable else str(a.value)
        option = inst.option(key)
        display = option.label if option else key
        items.append(
            {
                "linkId": str(a.item),
                "text": inst.item(a.item).label,
                "answer": [{"valueCoding": {"system": system, "code": key, "display": display}}],
            }
        )
    scores: list[dict[str, Any]] = []
    if record.total is not None:
        scores.append({"linkId": "score.total", "answer": [{"valueDecimal": record.total}]})
    for code, found in (record.scores or {}).get("domains", {}).items():
        if found.get("mean") is not None:
            scores.append(
                {"linkId": f"score.{code}", "answer": [{"valueDecimal": round(found["mean"], 3)}]}
            )
    if scores:
        items.append({"linkId": "score", "item": scores})
    if record.status in (Status.REFUSED, Status.SKIPPED):
        items.append({"linkId": "not-done", "answer": [{"valueString": record.reason}]})
    body: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"measure-{record.pk}",
        "questionnaire": questionnaire_url(inst),
        "status": status,
        "subject": {"reference": f"Patient/{record.person_id}"},
        "authored": record.date.isoformat(),
    }
    if record.staff_id:
        body["author"] = {"reference": f"Practitioner/{record.staff_id}"}
    if items:
        body["item"] = items
    return body


def bundle(records: Iterable[Administration]) -> dict[str, Any]:
    """A collection Bundle: the Questionnaires used, then each QuestionnaireResponse."""
    rows = list(records)
    used = sorted({r.instrument for r in rows})
    entries = [{"resource": questionnaire(instruments()[c])} for c in used]
    entries += [{"resource": questionnaire_response(r)} for r in rows]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Parse `resource` with fhir.resources' R4B model of its type: a resource that does not
    fit FHIR R4 raises (pydantic's ValidationError names the field) before it is sent."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def person_bundle_json(person: Person) -> str:
    records = Administration.objects.filter(person=person).prefetch_related("answers")
    return json.dumps(validated(bundle(records)), indent=2)


# ---- CSV -------------------------------------------------------------------------------------

PERSON_COLUMNS = [
    "date", "instrument", "occasion", "status", "mode", "total", "threshold_reached",
    "units_since_previous", "domain_means", "answers", "reason",
]  # fmt: skip


def person_csv(person: Person) -> str:
    """Every measure of one person, a row each (answers as item=value; NA for "does not
    apply"; the domains' means for a domain-scored instrument)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PERSON_COLUMNS)
    for r in Administration.objects.filter(person=person).prefetch_related("answers"):
        answers = ";".join(
            f"{a.item}={'NA' if a.not_applicable else a.value}"
            for a in r.answers.all()
            if a.value is not None or a.not_applicable
        )
        domains = ";".join(
            f"{code}={found['mean']:.2f}" if found.get("mean") is not None else f"{code}=dropped"
            for code, found in (r.scores or {}).get("domains", {}).items()
        )
        writer.writerow(
            [
                r.date.isoformat(), r.instrument, r.occasion, r.status, r.mode,
                "" if r.total is None else f"{r.total:g}",
                "" if r.reached is None else ("yes" if r.reached else "no"),
                "" if r.units_before is None else r.units_before,
                domains, answers, r.reason,
            ]
        )  # fmt: skip
    return out.getvalue()


PROGRAM_COLUMNS = [
    "breakdown", "group", "people_with_two_or_more_measures", "mean_first", "mean_latest",
    "mean_change", "change_ci95_low", "change_ci95_high", "reached_threshold_first",
    "reached_threshold_latest", "share_reaching_threshold_latest", "mean_units",
]  # fmt: skip


def _f(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _row(kind: str, group: Group) -> list[str]:
    n = group.n_paired
    mean, low, high = group.change
    cells = [
        _f(group.first_mean), _f(group.latest_mean), _f(mean), _f(low), _f(high),
        str(group.reached_first), str(group.reached_latest), _f(group.share_latest, 3),
        _f(group.mean_units, 1),
    ]  # fmt: skip
    count = str(n) if n >= SMALL_CELL else f"fewer than {SMALL_CELL}"
    return [kind, group.label, count, *(suppressed(n, c) for c in cells)]


def program_csv(view: ProgramView) -> str:
    """The program view as CSV, cells of fewer than 11 people suppressed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PROGRAM_COLUMNS)
    writer.writerow(_row("overall", view.overall))
    for kind, groups in (
        ("peer specialist", view.by_peer),
        ("payer", view.by_payer),
        ("units received", view.by_dose),
    ):
        for g in groups:
            writer.writerow(_row(kind, g))
    for label, positive, scored in view.mhsip:
        share = _f(positive / scored, 3) if scored else ""
        count = str(scored) if scored >= SMALL_CELL else f"fewer than {SMALL_CELL}"
        blank = [""] * 6
        cells = [suppressed(scored, str(positive)), suppressed(scored, share), ""]
        writer.writerow(["MHSIP percent positive", label, count, *blank, *cells])
    return out.getvalue()
