"""PHI rules the API shares with the pages: the access log and 42 CFR Part 2.

Every answer that shows a person's information writes one access-log entry per record shown
(the reason names the token by its prefix, never the query). Staff who work for a payer, not
the agency, are outside it: showing them Part 2 records is a disclosure, made only under the
person's consent (for payment, as on the utilization-review page; for operations, as on the
plan pages) and then entered in the person's accounting of disclosures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from peerpath.access.models import AccessAction
from peerpath.access.scope import staff_of
from peerpath.access.services import log_access
from peerpath.consent import part2
from peerpath.consent.services import active_consent, disclosure_record
from peerpath.people.models import Person

from .models import PersonalAccessToken


def _reason(request: HttpRequest) -> str:
    token = getattr(request, "auth", None)
    prefix = token.prefix if isinstance(token, PersonalAccessToken) else "?"
    return f"API, token {prefix}"


def log_read(
    request: HttpRequest, person: Person, what: str, record_id: int | str | None = None
) -> None:
    log_access(
        user=request.user,
        action=AccessAction.VIEW,
        record_type=what,
        record_id=record_id if record_id is not None else person.pk,
        person_id=person.pk,
        reason=_reason(request),
        request=request,
    )


def log_search(request: HttpRequest, what: str) -> None:
    log_access(
        user=request.user,
        action=AccessAction.SEARCH,
        record_type=what,
        record_id="",
        reason=_reason(request),
        request=request,
    )


def payer_staff_payer(request: HttpRequest) -> Any:
    """The payer the user works for, when they work for a payer and not the agency."""
    staff = staff_of(request.user)
    if staff is None or staff.agency_id is not None or staff.payer_id is None:
        return None
    return staff.payer


def part2_hidden(
    request: HttpRequest, person: Person, kind: str, ids: Iterable[int], purpose: str
) -> set[int]:
    """Which of these records (kind: "diagnosis", "plan", "note", "measure") the user may
    not see under Part 2; records shown under consent are added to the accounting of
    disclosures."""
    payer = payer_staff_payer(request)
    wanted = set(ids)
    if payer is None or not wanted:
        return set()
    finder = {
        "diagnosis": part2.part2_diagnosis_ids,
        "plan": part2.part2_plan_ids,
        "note": part2.part2_note_ids,
        "measure": part2.part2_measure_ids,
    }[kind]
    protected = finder(person) & wanted
    if not protected:
        return set()
    consent = active_consent(person, payer=payer, purpose=purpose, on=timezone.localdate())
    if consent is None:
        return protected
    label = {
        "diagnosis": "people.Diagnosis",
        "plan": "plans.Plan",
        "note": "services.ServiceNote",
        "measure": "outcomes.Administration",
    }
    disclosure_record(
        actor=request.user,
        person=person,
        recipient_name=payer.name,
        recipient_payer=payer,
        purpose=purpose,
        records=[{"type": label[kind], "id": pk} for pk in sorted(protected)],
        consent=consent,
        part2_included=True,
        notice_included=True,
    )
    return set()


def log_export(request: HttpRequest, person: Person, export: Any, purpose: str) -> None:
    """An export leaves the agency: it goes into the access log and, as a disclosure to the
    person's payer, into the person's accounting (with the consent when Part 2 went)."""
    log_access(
        user=request.user,
        action=AccessAction.EXPORT,
        record_type="people.Person",
        record_id=person.pk,
        person_id=person.pk,
        reason=f"{_reason(request)}, FHIR export for {purpose}",
        request=request,
    )
    consent = (
        active_consent(person, payer=person.payer, purpose=purpose, on=timezone.localdate())
        if export.part2_included
        else None
    )
    disclosure_record(
        actor=request.user,
        person=person,
        recipient_name=person.payer.name,
        recipient_payer=person.payer,
        purpose=purpose,
        records=[{"type": r["resourceType"], "id": r["id"]} for r in export.resources],
        consent=consent,
        part2_included=export.part2_included,
        notice_included=export.part2_included,
        withheld_reason=(
            f"{export.part2_withheld} substance-use records withheld (42 CFR Part 2)"
            if export.part2_withheld
            else ""
        ),
    )
