"""An authorization request checked before it is sent: the criteria the pack asks of an
initial request (eligibility and entrance: diagnosis, needs, CCA, service order) and, for a
continued stay, the continued-stay criteria, each judged met, not met or missing.

The request is laid over the person's record as a probe row of the `authorizations` table
(never saved), so the continued-stay rules judge it exactly as they will judge the saved
request in the agency check. Which record kind backs each criterion (`RECORD_FOR`) lets
screens show the evidence attached against each criterion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from .checks import _NEEDS_TABLE, Criterion, Determination, determine_eligibility, run
from .engine import Scope, citation_for
from .extract import extract
from .rules.base import REGISTRY, Params

PROBE_AUTH_ID = -1

# The record kind that backs each criterion, for showing attached evidence beside it.
RECORD_FOR: dict[str, str] = {
    **dict(_NEEDS_TABLE),
    "CONTINUED_STAY.PROGRESS_DOCUMENTED": "notes",
}


@dataclass(frozen=True)
class RequestCheck:
    """The engine's view of a request before it is sent."""

    person_id: int
    kind: str
    start: dt.date
    pack_id: str | None
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def missing(self) -> list[Criterion]:
        """Criteria with no record to judge them: the request cannot be sent without them."""
        return [c for c in self.criteria if c.status == "missing"]

    @property
    def not_met(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == "not met"]

    @property
    def ready(self) -> bool:
        return self.pack_id is not None and not self.missing


def check_request(
    person_id: int,
    *,
    kind: str,
    start: dt.date,
    end: dt.date,
    requested_on: dt.date,
) -> RequestCheck:
    """Judge a request for `person_id` starting `start` by the pack in force that day."""
    determination: Determination | None = determine_eligibility(person_id, on=start)
    if determination is None:
        return RequestCheck(person_id, kind, start, None)
    criteria = list(determination.criteria)
    if kind == "concurrent":
        criteria.extend(continued_stay_criteria(person_id, start=start, end=end, on=requested_on))
    return RequestCheck(person_id, kind, start, determination.pack_id, criteria)


def continued_stay_criteria(
    person_id: int, *, start: dt.date, end: dt.date, on: dt.date
) -> list[Criterion]:
    """The continued-stay criteria of a request to continue from `start` to `end`, asked on
    `on`, each met or not met with its evidence."""
    from .api import variant_in_force

    chosen = variant_in_force(person_id, start)
    if chosen is None:
        return []
    pack = chosen.pack
    rules = [r for r in REGISTRY.values() if r.category == "continued-stay"]
    data = dict(extract(person_ids=[person_id]))
    probe = pa.Table.from_pylist(
        [
            {
                "auth_id": PROBE_AUTH_ID,
                "person_id": person_id,
                "kind": "concurrent",
                "status": "requested",
                "start": start,
                "end": end,
                "units_approved": None,
                "requested_on": on,
            }
        ],
        schema=data["authorizations"].schema,
    )
    data["authorizations"] = pa.concat_tables([data["authorizations"], probe])
    found = run(
        data, as_of=max(on, start), scope=Scope(people=[person_id]), rules=rules, live=True
    ).objects()
    criteria: list[Criterion] = []
    for rule in sorted(rules, key=lambda r: r.id):
        if any(k not in pack.parameters for k in rule.params):
            continue
        params = Params({k: pack.entry(k, start).value for k in rule.params})
        if not rule.applies(params):
            continue
        citation = citation_for(pack, rule.cites, start)
        hits = [
            f
            for f in found
            if f.rule_id == rule.id
            and f.subject_type == "authorization"
            and f.subject_id == PROBE_AUTH_ID
        ]
        if hits:
            evidence = "; ".join(f.evidence for f in hits)
            criteria.append(Criterion(rule.id, rule.title, "not met", evidence, citation))
        else:
            criteria.append(Criterion(rule.id, rule.title, "met", "", citation))
    return criteria
