"""Writes for billing: scrub signed notes into claim lines, release held lines, write 837P
batches, and replace or void a claim already sent.

A note is billed at most once. The database holds one current line per note (a unique
index); a batch takes only `ready` lines, locked as it reads them (`FOR UPDATE SKIP LOCKED`
on PostgreSQL; SQLite lets one writer in at a time), and moves them to `submitted` in the
same transaction that writes the file. Two batches started at once split the lines between
them or find nothing left; neither bills a line the other took.

Lines are written in bulk (a scrub of a whole agency is tens of thousands of rows), so the
history is one change record per scrub or batch with its counts, not one per line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from peerpath.access.services import log_access
from peerpath.consent.models import Consent, Purpose
from peerpath.consent.part2 import is_part2_code
from peerpath.consent.services import DisclosureItem, disclosures_record
from peerpath.core import formatting as fmt
from peerpath.core.services import Actor, record_change
from peerpath.jobs.progress import NO_PROGRESS, Progress
from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Person
from peerpath.services.models import ServiceNote
from peerpath.staff.models import StaffMember

from .bulk import insert_rows, update_rows
from .models import (
    MAX_DIAGNOSES_PER_CLAIM,
    MAX_LINES_PER_CLAIM,
    Claim,
    ClaimBatch,
    ClaimLine,
    ClaimStatus,
    Frequency,
    LineHold,
    LineStatus,
)
from .scrub import Draft, Reason, scrub_notes, scrub_scope
from .tally import tally_refresh
from .x12 import claim837 as x12

SCRUBBED = (LineStatus.READY, LineStatus.HELD)
# The abbreviated redisclosure notice 42 CFR 2.32(a)(2) allows where the full one does not
# fit: it travels in the claim note (NTE) of every claim that names a substance-use diagnosis.
PART2_CLAIM_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
WRITE_BATCH = 2_000
SUBMITTER_ID_PREFIX = "PP"


class BillingError(ValidationError):
    """A billing action cannot go ahead; the message says why and what to do."""


@dataclass
class ScrubResult:
    created: int = 0
    ready: int = 0
    held: int = 0
    voided: int = 0
    held_by_rule: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        rules = ", ".join(f"{r} {n}" for r, n in self.held_by_rule.most_common())
        return (
            f"{self.created} new lines; {self.ready} ready, {self.held} held"
            + (f" ({rules})" if rules else "")
            + (f"; {self.voided} void (note amended before billing)" if self.voided else "")
        )


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _current_line() -> Exists:
    return Exists(ClaimLine.objects.filter(note_id=OuterRef("pk"), is_current=True))


# ---------------------------------------------------------------- scrub


def lines_scrub(
    *,
    actor: Actor,
    agency: Agency,
    payer: Payer | None = None,
    through: dt.date | None = None,
    line_ids: Sequence[int] | None = None,
    today: dt.date | None = None,
    progress: Progress = NO_PROGRESS,
) -> ScrubResult:
    """Make a line for every signed note not billed yet, and judge every line not yet
    billed (ready or held) again: the policy engine's deny findings and what a claim needs.

    `line_ids` narrows the scrub to those lines (a release re-scrubs its line alone)."""
    with transaction.atomic():
        progress.step("Finding signed notes and lines not yet billed")
        result = ScrubResult()
        lines = ClaimLine.objects.filter(
            is_current=True, status__in=SCRUBBED, person__agency=agency
        )
        if payer is not None:
            lines = lines.filter(payer=payer)
        if through is not None:
            lines = lines.filter(service_date__lte=through)
        if line_ids is not None:
            lines = lines.filter(pk__in=list(line_ids))
        # Lines a batch is taking right now are skipped; their status is settled there.
        locked = list(
            lines.select_for_update(skip_locked=True, of=("self",)).only(*_COMPARED, "note_id")
        )
        new_notes: list[int] = []
        if line_ids is None:
            new_notes = list(
                ServiceNote.objects.filter(scrub_scope(agency=agency, payer=payer, through=through))
                .exclude(_current_line())
                .order_by("pk")  # one order for every scrub, so concurrent inserts never deadlock
                .values_list("pk", flat=True)
            )
        if not locked and not new_notes:
            _record(actor, agency, "billing.scrub", result)
            return result
        waiting = models.Q(pk__in=lines.values("note_id"))
        if new_notes:
            unbilled = scrub_scope(agency=agency, payer=payer, through=through)
            waiting |= unbilled & ~models.Q(_current_line())
        notes = ServiceNote.objects.filter(waiting)
        progress.step(
            f"Checking {fmt.number(len(locked) + len(new_notes))} notes against the policy"
        )
        drafts = scrub_notes(notes, today=today)
        progress.step("Writing claim lines", total=len(new_notes) + len(locked))
        to_hold = _insert_lines(new_notes, drafts, result)
        progress.advance(len(new_notes))
        # New ready lines need nothing more; new held ones need their holds written.
        locked += _lock_lines_of(to_hold)
        _apply(locked, drafts, result)
        progress.advance(len(locked) - len(to_hold))
        _record(actor, agency, "billing.scrub", result)
        tally_refresh(agency.pk)
        return result


def _draft_values(d: Draft) -> dict[str, Any]:
    return {
        "procedure_code": d.procedure_code,
        "modifiers": list(d.modifiers),
        "units": d.units,
        "charge": d.charge,
        "diagnosis_codes": list(d.diagnosis_codes),
        "diagnosis_pointers": list(range(1, len(d.diagnosis_codes) + 1)),
        "place_of_service": d.place_of_service,
        "rendering_npi": d.rendering_npi,
        "authorization_number": d.authorization_number,
        "status": LineStatus.VOID if d.void else (LineStatus.HELD if d.held else LineStatus.READY),
    }


_COMPARED = (
    "procedure_code",
    "modifiers",
    "units",
    "charge",
    "diagnosis_codes",
    "diagnosis_pointers",
    "place_of_service",
    "rendering_npi",
    "authorization_number",
    "status",
)


def _insert_lines(note_ids: list[int], drafts: dict[int, Draft], result: ScrubResult) -> list[int]:
    """A line for each new note, with the scrub's values; returns the notes whose new line is
    held or void (their holds are written next). A note a concurrent scrub just gave a line
    is skipped: the unique index turns the second insert into nothing, and the concurrent
    scrub computed the same values."""
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    later: list[int] = []
    for nid in note_ids:
        d = drafts.get(nid)
        if d is None:
            continue
        row = dict(
            note_id=nid,
            person_id=d.person_id,
            payer_id=d.payer_id,
            service_date=d.service_date,
            is_current=True,
            scrubbed_at=now,
            created_at=now,
            **_draft_values(d),
        )
        rows.append(row)
        result.created += 1
        if d.void or d.held:
            later.append(nid)
        else:
            result.ready += 1
    insert_rows(ClaimLine, rows, ignore_conflicts=True)
    return later


def _lock_lines_of(note_ids: list[int]) -> list[ClaimLine]:
    found: list[ClaimLine] = []
    for start in range(0, len(note_ids), WRITE_BATCH):
        chunk = note_ids[start : start + WRITE_BATCH]
        found += list(
            ClaimLine.objects.filter(note_id__in=chunk, is_current=True, status__in=SCRUBBED)
            .select_for_update(skip_locked=True, of=("self",))
            .only(*_COMPARED, "note_id")
        )
    return found


def _apply(lines: list[ClaimLine], drafts: dict[int, Draft], result: ScrubResult) -> None:
    """Write what changed (most lines scrubbed again are unchanged), then the holds."""
    now = timezone.now()
    wanted: dict[int, list[Reason]] = {}
    changed: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for line in lines:
        d = drafts.get(line.note_id)
        if d is None:
            continue
        values = _draft_values(d)
        if any(getattr(line, k) != v for k, v in values.items()):
            key = tuple(
                (k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(values.items())
            )
            changed[key].append(line.pk)
        wanted[line.pk] = [] if d.void else d.reasons
        if d.void:
            result.voided += 1
        elif d.held:
            result.held += 1
            result.held_by_rule.update({r.rule_id for r in d.reasons})
        else:
            result.ready += 1
    # One UPDATE per distinct set of values: far cheaper than a CASE per row.
    for key, ids in changed.items():
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in key}
        for start in range(0, len(ids), WRITE_BATCH):
            ClaimLine.objects.filter(pk__in=ids[start : start + WRITE_BATCH]).update(
                scrubbed_at=now, **values
            )
    _sync_holds(wanted, now)


def _sync_holds(wanted: dict[int, list[Reason]], now: dt.datetime) -> None:
    """Open holds become exactly the reasons found now: ones still found keep their date,
    ones no longer found are removed, new ones are added. Released holds stay as history."""
    ids = list(wanted)
    existing: dict[tuple[int, str, str], int] = {}
    for start in range(0, len(ids), WRITE_BATCH):
        chunk = ids[start : start + WRITE_BATCH]
        for pk, line_id, rule_id, evidence in LineHold.objects.filter(
            line_id__in=chunk, released_at__isnull=True
        ).values_list("pk", "line_id", "rule_id", "evidence"):
            existing[(line_id, rule_id, evidence)] = pk
    keep: set[int] = set()
    new: list[LineHold] = []
    for line_id, reasons in wanted.items():
        for r in reasons:
            found = existing.get((line_id, r.rule_id, r.evidence))
            if found is not None:
                keep.add(found)
                continue
            new.append(
                LineHold(
                    line_id=line_id,
                    rule_id=r.rule_id,
                    pack_id=r.pack_id,
                    title=r.title[:200],
                    citation=r.citation[:500],
                    evidence=r.evidence,
                    fix=r.fix,
                    created_at=now,
                )
            )
    stale = [pk for pk in existing.values() if pk not in keep]
    for start in range(0, len(stale), WRITE_BATCH):
        LineHold.objects.filter(pk__in=stale[start : start + WRITE_BATCH]).delete()
    LineHold.objects.bulk_create(new, batch_size=WRITE_BATCH)


def _record(actor: Actor, obj: models.Model, action: str, result: Any) -> None:
    changes: dict[str, Any] = {k: v for k, v in vars(result).items() if isinstance(v, int | str)}
    if isinstance(result, ScrubResult):
        changes["held_by_rule"] = dict(result.held_by_rule)
    record_change(actor=actor, obj=obj, action=action, changes=changes)


@transaction.atomic
def line_release(*, actor: Actor, line: ClaimLine, note: str) -> ClaimLine:
    """Release a held line after its problem was fixed: its open holds are marked released
    (by whom, when, what was fixed) and the line is scrubbed again at once. If the problem
    is still there, the line is held again with a fresh reason."""
    line = ClaimLine.objects.select_related("person").get(pk=line.pk)
    if line.status != LineStatus.HELD or not line.is_current:
        raise BillingError({"line": "Only a held line can be released."})
    lines_release(actor=actor, agency=line.person.agency, line_ids=[line.pk], note=note)
    line.refresh_from_db()
    return line


@dataclass
class ReleaseResult:
    released: int = 0
    ready: int = 0
    still_held: int = 0

    def summary(self) -> str:
        if not self.released:
            return "No held line was released."
        words = f"{fmt.number(self.released)} line{'s' if self.released != 1 else ''} released"
        words += f" and scrubbed again: {fmt.number(self.ready)} ready to bill"
        if self.still_held:
            words += f", {fmt.number(self.still_held)} still held (see their reasons)"
        return words + "."


@transaction.atomic
def lines_release(
    *,
    actor: Actor,
    agency: Agency,
    line_ids: Sequence[int],
    note: str,
    rule_id: str = "",
    today: dt.date | None = None,
) -> ReleaseResult:
    """Release many held lines at once after a fix (say, every line held for a missing
    authorization once it was entered): their open holds (only those of `rule_id` when
    given) are marked released with what was fixed, and the lines are scrubbed again
    together. A line whose problem is still there is held again with a fresh reason.

    Lines of another agency, or not held, are refused by count (nothing is released)."""
    note = note.strip()
    if not note:
        raise BillingError({"note": "Say what was fixed before releasing the lines."})
    wanted = sorted(set(line_ids))
    if not wanted:
        raise BillingError({"lines": "Choose at least one held line to release."})
    found = list(
        ClaimLine.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted, person__agency=agency, is_current=True, status=LineStatus.HELD)
        .values_list("pk", flat=True)
    )
    if len(found) != len(wanted):
        missing = len(wanted) - len(found)
        raise BillingError(
            {
                "lines": f"{fmt.number(missing)} of the chosen lines are not held lines of "
                "this agency (released or billed meanwhile?); nothing was released. "
                "Reload the list and try again."
            }
        )
    holds = LineHold.objects.filter(line_id__in=found, released_at__isnull=True)
    if rule_id:
        holds = holds.filter(rule_id=rule_id)
    holds.update(released_at=timezone.now(), released_by=_user(actor), release_note=note[:2000])
    # One change record per line, as a release of one line has always had.
    for pk in found:
        record_change(
            actor=actor,
            obj=ClaimLine(pk=pk),
            action="billing.release",
            changes={"note": note, **({"rule": rule_id} if rule_id else {})},
        )
    lines_scrub(actor=actor, agency=agency, line_ids=found, today=today)
    statuses = Counter(
        ClaimLine.objects.filter(pk__in=found).values_list("status", flat=True).order_by()
    )
    return ReleaseResult(
        released=len(found),
        ready=statuses.get(LineStatus.READY, 0),
        still_held=statuses.get(LineStatus.HELD, 0),
    )


# ---------------------------------------------------------------- batches


def _submitter(agency: Agency) -> str:
    return f"{SUBMITTER_ID_PREFIX}{agency.pk:08d}"


def _interchange(
    batch: ClaimBatch, agency: Agency, payer: Payer, claims: list[x12.ClaimData]
) -> x12.Interchange:
    sender = _submitter(agency)
    return x12.Interchange(
        sender_id=sender,
        receiver_id=payer.payer_id,
        isa_control=batch.isa_control or 0,
        gs_control=batch.gs_control or 0,
        st_control=batch.st_control,
        created=timezone.localtime(batch.created_at),
        submitter=x12.Party(name=agency.name, id=sender, phone=agency.phone),
        receiver=x12.Party(name=payer.name, id=payer.payer_id),
        billing_provider=x12.Party(
            name=agency.name,
            id=agency.npi,
            address=agency.address,
            city=agency.city,
            state=agency.state,
            postal_code=agency.postal_code,
            tax_id=agency.tax_id,
        ),
        payer=x12.Party(name=payer.name, id=payer.payer_id),
        claims=tuple(claims),
        usage=batch.usage,
        reference=f"PP{batch.pk}",
    )


def _subscriber(p: Person) -> x12.Subscriber:
    return x12.Subscriber(
        key=p.pk,
        last_name=p.last_name,
        first_name=p.first_name,
        member_id=p.medicaid_id,
        date_of_birth=p.date_of_birth,
        sex=p.sex if p.sex in ("F", "M") else "U",
        address=p.address,
        city=p.city,
        state=p.state,
        postal_code=p.postal_code,
    )


def _rendering(staff: StaffMember | None, npi: str) -> x12.Rendering | None:
    if staff is None or not npi:
        return None
    return x12.Rendering(last_name=staff.last_name, first_name=staff.first_name, npi=npi)


@dataclass
class _ClaimPlan:
    person: Person
    lines: list[ClaimLine]
    codes: list[str]


def _group(lines: list[ClaimLine]) -> list[_ClaimPlan]:
    """Claims from lines: one person, one authorization, one rendering provider each, at most
    50 lines and 12 diagnoses; lines in date order."""
    groups: dict[tuple[int, str, str], list[ClaimLine]] = defaultdict(list)
    for line in lines:
        groups[(line.person_id, line.authorization_number, line.rendering_npi)].append(line)
    plans: list[_ClaimPlan] = []
    for members in groups.values():
        members.sort(key=lambda x: (x.service_date, x.pk))
        current: _ClaimPlan | None = None
        for line in members:
            mine = list(line.diagnosis_codes)
            if current is not None:
                merged = current.codes + [c for c in mine if c not in current.codes]
                if (
                    len(current.lines) < MAX_LINES_PER_CLAIM
                    and len(merged) <= MAX_DIAGNOSES_PER_CLAIM
                ):
                    current.lines.append(line)
                    current.codes = merged
                    continue
            current = _ClaimPlan(line.person, [line], list(mine))
            plans.append(current)
    return plans


def batch_create(
    *,
    actor: Actor,
    agency: Agency,
    payer: Payer,
    through: dt.date | None = None,
    usage: str = "P",
    today: dt.date | None = None,
    scrub: bool = True,
) -> ClaimBatch | None:
    """Scrub, then bill every ready line for the payer (through a date) in one 837P file.

    Returns the batch, or None when no line is ready. Nothing is kept when the file would
    not be valid (Claim837Error names each problem): the lines stay ready. `scrub=False`
    bills the lines as the last scrub left them (right after one, as the benchmark does)."""
    if usage not in ("P", "T"):
        raise BillingError({"usage": "Usage is P (production) or T (test)."})
    if scrub:
        lines_scrub(actor=actor, agency=agency, payer=payer, through=through, today=today)
    with transaction.atomic():
        ready = ClaimLine.objects.filter(
            is_current=True, status=LineStatus.READY, payer=payer, person__agency=agency
        )
        if through is not None:
            ready = ready.filter(service_date__lte=through)
        lines = list(
            ready.select_for_update(skip_locked=True, of=("self",)).order_by(
                "person_id", "service_date", "pk"
            )
        )
        if not lines:
            return None
        people = Person.objects.in_bulk({x.person_id for x in lines})
        for x in lines:
            x.person = people[x.person_id]
        return _write_batch(
            actor=actor,
            agency=agency,
            payer=payer,
            usage=usage,
            plans=_group(lines),
            frequency=Frequency.ORIGINAL,
            today=today,
        )


def _new_batch(actor: Actor, agency: Agency, payer: Payer, usage: str) -> ClaimBatch:
    batch = ClaimBatch.objects.create(
        agency=agency, payer=payer, usage=usage, created_by=_user(actor)
    )
    # Control numbers from the batch's own id: unique without a counter to lock.
    number = batch.pk % 1_000_000_000 or 1
    batch.isa_control = number
    batch.gs_control = number
    batch.st_control = "0001"
    batch.file_name = f"837P-{payer.payer_id}-{number:09d}.x12"
    return batch


def _write_batch(
    *,
    actor: Actor,
    agency: Agency,
    payer: Payer,
    usage: str,
    plans: list[_ClaimPlan],
    frequency: str,
    original: Claim | None = None,
    original_reference: str = "",
    line_status: str = LineStatus.SUBMITTED,
    today: dt.date | None = None,
) -> ClaimBatch:
    """Save the claims and lines, then write the file; a file that fails PeerPath's checks
    raises Claim837Error and the caller's transaction takes everything back. `today` is the
    day of the disclosure (the file is written): Part 2 consent is checked on it."""
    batch = _new_batch(actor, agency, payer, usage)
    claims: list[Claim] = []
    for n, plan in enumerate(plans, start=1):
        first = plan.lines[0]
        claims.append(
            Claim(
                batch=batch,
                person=plan.person,
                payer=payer,
                frequency=frequency,
                original=original,
                original_reference=original_reference,
                patient_control_number=f"PP{batch.pk}-{n}"[:20],
                authorization_number=first.authorization_number,
                rendering_npi=first.rendering_npi,
                diagnosis_codes=plan.codes,
                total_charge=sum((x.charge for x in plan.lines), Decimal("0")),
                first_service_date=min(x.service_date for x in plan.lines),
                last_service_date=max(x.service_date for x in plan.lines),
                status=ClaimStatus.SUBMITTED,
                created_at=batch.created_at,
            )
        )
    Claim.objects.bulk_create(claims, batch_size=WRITE_BATCH)
    old: list[ClaimLine] = []
    new: list[ClaimLine] = []
    for claim, plan in zip(claims, plans, strict=True):
        for i, x in enumerate(plan.lines, start=1):
            x.claim = claim
            x.line_number = i
            x.status = line_status
            x.diagnosis_pointers = [plan.codes.index(c) + 1 for c in x.diagnosis_codes]
            (old if x.pk else new).append(x)
    update_rows(
        ClaimLine,
        ["claim_id", "status", "line_number", "diagnosis_pointers"],
        [
            (x.pk, [x.claim.pk if x.claim else None, x.status, x.line_number, x.diagnosis_pointers])
            for x in old
        ],
    )
    ClaimLine.objects.bulk_create(new, batch_size=WRITE_BATCH)

    staff_by_note = _staff_by_note_bulk([x.note_id for p in plans for x in p.lines])
    staff = StaffMember.objects.in_bulk(set(staff_by_note.values()))

    def rendering(x: ClaimLine) -> x12.Rendering | None:
        return _rendering(staff.get(staff_by_note.get(x.note_id, 0)), x.rendering_npi)

    datas = [
        x12.ClaimData(
            patient_control_number=claim.patient_control_number,
            subscriber=_subscriber(plan.person),
            total_charge=claim.total_charge,
            place_of_service=plan.lines[0].place_of_service,
            diagnosis_codes=tuple(plan.codes),
            lines=tuple(
                x12.ServiceLine(
                    control_number=str(x.pk),
                    service_date=x.service_date,
                    procedure_code=x.procedure_code,
                    modifiers=tuple(x.modifiers),
                    charge=x.charge,
                    units=x.units,
                    pointers=tuple(x.diagnosis_pointers),
                    place_of_service=x.place_of_service,
                    authorization_number=x.authorization_number,
                    rendering=rendering(x),
                )
                for x in plan.lines
            ),
            frequency=frequency,
            original_reference=original_reference,
            authorization_number=claim.authorization_number,
            rendering=rendering(plan.lines[0]),
            note=PART2_CLAIM_NOTICE if any(is_part2_code(c) for c in plan.codes) else "",
        )
        for claim, plan in zip(claims, plans, strict=True)
    ]
    batch.file_text = x12.write_837p(_interchange(batch, agency, payer, datas))
    batch.claim_count = len(claims)
    batch.line_count = sum(len(p.lines) for p in plans)
    batch.total_charge = sum((c.total_charge for c in claims), Decimal("0"))
    batch.save()
    _disclose_part2(actor, payer, claims, on=today or timezone.localdate())
    record_change(
        actor=actor,
        obj=batch,
        action="billing.batch",
        changes={
            "payer": payer.payer_id,
            "claims": batch.claim_count,
            "lines": batch.line_count,
            "total_charge": str(batch.total_charge),
            "frequency": frequency,
        },
    )
    user = _user(actor)
    if user is not None:
        log_access(
            user=user,
            action="disclose",
            record_type="billing.ClaimBatch",
            record_id=batch.pk,
            reason=f"837P to {payer.name}: {batch.claim_count} claims",
        )
    tally_refresh(agency.pk)
    return batch


def _staff_by_note_bulk(note_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(note_ids), WRITE_BATCH):
        chunk = note_ids[start : start + WRITE_BATCH]
        found.update(ServiceNote.objects.filter(pk__in=chunk).values_list("pk", "staff_id"))
    return found


def _disclose_part2(actor: Actor, payer: Payer, claims: list[Claim], *, on: dt.date) -> None:
    """A claim that names a substance-use diagnosis discloses Part 2 records: each is added to
    the person's accounting of disclosures, with the consent it relied on (one query for the
    consents of every person in the file, one insert for the disclosures).

    The consent must count on `on`, the day the file is written and so disclosed, not on the
    day of the service: a consent revoked since the service no longer lets the code go out
    (42 CFR 2.31: consent is to a disclosure)."""
    sud_claims = [(c, [x for x in c.diagnosis_codes if is_part2_code(x)]) for c in claims]
    sud_claims = [(c, sud) for c, sud in sud_claims if sud]
    if not sud_claims:
        return
    consents: dict[int, list[Consent]] = defaultdict(list)
    people = sorted({c.person_id for c, _ in sud_claims})
    for start in range(0, len(people), WRITE_BATCH):
        for found in Consent.objects.filter(
            person_id__in=people[start : start + WRITE_BATCH], recipient_payer=payer
        ).order_by("-effective", "-id"):
            if found.covers(Purpose.PAYMENT):
                consents[found.person_id].append(found)
    items = []
    for claim, sud in sud_claims:
        consent = next((c for c in consents[claim.person_id] if c.active_on(on)), None)
        if consent is None:  # the scrub holds such lines; never send without consent
            raise BillingError(
                f"Claim {claim.patient_control_number} would carry a substance-use diagnosis "
                f"without the person's consent active on {on.isoformat()} (42 CFR Part 2); "
                "nothing was written. Scrub the lines again."
            )
        items.append(
            DisclosureItem(
                person=claim.person,
                records=[
                    {"type": "billing.Claim", "id": claim.pk},
                    *({"type": "people.Diagnosis.code", "id": code} for code in sud),
                ],
                consent=consent,
            )
        )
    disclosures_record(
        actor=actor,
        recipient_name=payer.name,
        recipient_payer=payer,
        purpose=Purpose.PAYMENT,
        items=items,
        notice_included=True,
    )


# ---------------------------------------------------------------- corrections


@transaction.atomic
def claim_correct(
    *,
    actor: Actor,
    claim: Claim,
    frequency: str,
    original_reference: str = "",
    usage: str = "P",
    today: dt.date | None = None,
) -> ClaimBatch:
    """Replace (frequency 7) or void (8) a claim already sent, in a new 837P of its own.

    A replacement bills the claim's notes again as they stand now (an amended note by its
    amendment), scrubbed first: it is refused while any of them would be held. A void sends
    the claim's lines as they were, marked void. Either way the earlier lines stop being
    current and the new claim's lines take their place, so each note still has one line."""
    claim = (
        Claim.objects.select_for_update()
        .select_related("batch", "person", "payer")
        .get(pk=claim.pk)
    )
    if frequency not in (Frequency.REPLACEMENT, Frequency.VOID):
        raise BillingError({"frequency": "Use 7 (replacement) or 8 (void)."})
    if claim.status in (ClaimStatus.REPLACED, ClaimStatus.VOIDED):
        raise BillingError(
            {"claim": f"Claim {claim.patient_control_number} was already {claim.status}."}
        )
    reference = (original_reference or claim.payer_claim_number).strip()
    if not reference:
        raise BillingError(
            {
                "original_reference": "Give the payer's claim number of the claim being "
                "corrected (from its remittance); the payer needs it to find the claim."
            }
        )
    old_lines = list(claim.lines.filter(is_current=True).order_by("line_number", "pk"))
    if not old_lines:
        raise BillingError({"claim": "This claim has no current lines to correct."})

    if frequency == Frequency.VOID:
        new_lines = [_copy_line(x, note_id=x.note_id) for x in old_lines]
        codes = list(claim.diagnosis_codes)
        status, line_status = ClaimStatus.VOIDED, LineStatus.VOID
    else:
        note_ids = [_latest_version(x.note_id) for x in old_lines]
        drafts = scrub_notes(ServiceNote.objects.filter(pk__in=note_ids), today=today)
        held = [
            f"note {nid}: {r.rule_id} ({r.evidence})"
            for nid in note_ids
            for r in drafts[nid].reasons
            if r.rule_id != "BILLING.AMENDS_BILLED_NOTE"
        ]
        if held:
            raise BillingError(
                "The replacement was not written; fix these first: " + "; ".join(held)
            )
        # An amendment scrubbed before this replacement has its own line waiting: the
        # replacement's line takes its place.
        ClaimLine.objects.filter(note_id__in=note_ids, is_current=True, status__in=SCRUBBED).update(
            is_current=False, status=LineStatus.VOID
        )
        new_lines = []
        codes = []
        for x, nid in zip(old_lines, note_ids, strict=True):
            d = drafts[nid]
            line = _copy_line(x, note_id=nid)
            line.procedure_code, line.modifiers = d.procedure_code, list(d.modifiers)
            line.units, line.charge = d.units, d.charge
            line.place_of_service, line.rendering_npi = d.place_of_service, d.rendering_npi
            line.authorization_number = d.authorization_number
            line.service_date = d.service_date
            codes += [c for c in d.diagnosis_codes if c not in codes]
            line.diagnosis_codes = list(d.diagnosis_codes)
            new_lines.append(line)
        status, line_status = ClaimStatus.REPLACED, LineStatus.SUBMITTED
        if len(codes) > MAX_DIAGNOSES_PER_CLAIM:
            raise BillingError(
                f"The replacement would carry {len(codes)} diagnoses; a claim carries at most "
                f"{MAX_DIAGNOSES_PER_CLAIM}. Void the claim and bill the notes again instead."
            )
    ClaimLine.objects.filter(pk__in=[x.pk for x in old_lines]).update(is_current=False)
    batch = _write_batch(
        actor=actor,
        agency=claim.batch.agency,
        payer=claim.payer,
        usage=usage,
        plans=[_ClaimPlan(claim.person, new_lines, codes)],
        frequency=frequency,
        original=claim,
        original_reference=reference,
        line_status=line_status,
        today=today,
    )
    claim.status = status
    claim.save(update_fields=["status"])
    return batch


def _copy_line(x: ClaimLine, *, note_id: int) -> ClaimLine:
    return ClaimLine(
        note_id=note_id,
        person_id=x.person_id,
        payer_id=x.payer_id,
        service_date=x.service_date,
        procedure_code=x.procedure_code,
        modifiers=list(x.modifiers),
        units=x.units,
        charge=x.charge,
        diagnosis_codes=list(x.diagnosis_codes),
        diagnosis_pointers=list(x.diagnosis_pointers),
        place_of_service=x.place_of_service,
        rendering_npi=x.rendering_npi,
        authorization_number=x.authorization_number,
        status=LineStatus.SUBMITTED,
        scrubbed_at=timezone.now(),
    )


def _latest_version(note_id: int) -> int:
    """The note as it stands now: its latest signed amendment, or itself."""
    seen = {note_id}
    current = note_id
    while True:
        nxt = (
            ServiceNote.objects.filter(amends_id=current, status__in=["signed", "amended"])
            .values_list("pk", flat=True)
            .first()
        )
        if nxt is None or nxt in seen:
            return current
        seen.add(nxt)
        current = nxt
