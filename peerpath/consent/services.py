"""Consent, disclosures, the export every outside disclosure goes through, and SUD counseling
notes (42 CFR Part 2; see docs/part2.md).

Every function is keyword-only and runs in one transaction; writes go through `save_record`
so each leaves its history.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from peerpath.access.scope import staff_of
from peerpath.access.services import log_access
from peerpath.core.services import Actor, record_change, save_record
from peerpath.organizations.models import Payer
from peerpath.people.models import Diagnosis, Person
from peerpath.plans.models import Plan, PlanStatus
from peerpath.services.models import NoteStatus, ServiceNote

from . import part2
from .models import PURPOSES, Consent, CounselingNote, Disclosure, Purpose

# The redisclosure notice that must travel with every disclosure of Part 2 records:
# our own plain-language statement of what 42 CFR 2.32 requires the notice to say.
REDISCLOSURE_NOTICE = (
    "These records are protected by the federal confidentiality rules for substance use "
    "disorder records (42 CFR Part 2). They were shared with you under the written consent of "
    "the person they are about. You may use or share them again only as those rules permit, "
    "or as that person agrees in writing; a general permission to release medical information "
    "is not enough. The rules also forbid using these records, without the person's consent or "
    "a qualifying court order, to investigate or prosecute the person for a crime or in any "
    "civil, criminal, administrative or legislative proceeding against them."
)


# --- Consent -------------------------------------------------------------------------------


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValidationError(
            {"purpose": f"Unknown purpose '{purpose}': use one of {', '.join(sorted(PURPOSES))}."}
        )


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    person: Person,
    purposes: list[str],
    effective: dt.date,
    signed_on: dt.date,
    recipient_name: str = "",
    recipient_payer: Payer | None = None,
    purpose_other: str = "",
    expires: dt.date | None = None,
    covers_counseling_notes: bool = False,
    signed_by_person: bool = True,
) -> Consent:
    """Record a signed consent. Raises ValidationError naming each bad field."""
    consent = Consent(
        person=person,
        recipient_name=recipient_name,
        recipient_payer=recipient_payer,
        purposes=list(purposes),
        purpose_other=purpose_other,
        effective=effective,
        expires=expires,
        covers_counseling_notes=covers_counseling_notes,
        signed_by_person=signed_by_person,
        signed_on=signed_on,
    )
    return save_record(consent, actor=actor)


@transaction.atomic
def consent_revoke(*, actor: Actor, consent: Consent, on: dt.date, reason: str = "") -> Consent:
    """Revoke a consent: from `on` it no longer counts (disclosures already made stand)."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.revoked_on is not None:
        raise ValidationError(
            {"revoked_on": f"This consent was already revoked on {consent.revoked_on}."}
        )
    consent.revoked_on = on
    return save_record(consent, actor=actor, action="revoke", reason=reason)


def _active_consents(
    person: Person, *, purpose: str, on: dt.date, counseling_notes: bool
) -> list[Consent]:
    """Consents of the person that count on `on` for `purpose`, newest first."""
    _check_purpose(purpose)
    candidates = (
        Consent.objects.filter(person=person, effective__lte=on)
        .filter(models.Q(expires__isnull=True) | models.Q(expires__gte=on))
        .filter(models.Q(revoked_on__isnull=True) | models.Q(revoked_on__gt=on))
        .select_related("recipient_payer")
        .order_by("-effective", "-id")
    )
    if counseling_notes:
        candidates = candidates.filter(covers_counseling_notes=True)
    # Purposes are a JSON list; filtered here because SQLite has no JSON `contains`.
    return [c for c in candidates if c.covers(purpose)]


def active_consent(
    person: Person,
    *,
    payer: Payer | None = None,
    recipient_name: str = "",
    purpose: str,
    on: dt.date,
    counseling_notes: bool = False,
) -> Consent | None:
    """The consent that lets the person's Part 2 records go to this recipient for this purpose
    on this day, or None.

    A payer is matched by the consent's `recipient_payer`; any other recipient by name
    (case-insensitive). A consent counts from `effective` through `expires` (both inclusive)
    and stops counting on the day it is revoked. `counseling_notes=True` asks for a consent
    that also covers SUD counseling notes.
    """
    name = recipient_name.strip().casefold()
    if payer is None and not name:
        raise ValueError("active_consent needs the recipient: a payer or a recipient name.")
    for consent in _active_consents(
        person, purpose=purpose, on=on, counseling_notes=counseling_notes
    ):
        if payer is not None:
            if consent.recipient_payer_id == payer.pk:
                return consent
        elif consent.recipient_name.strip().casefold() == name:
            return consent
    return None


# --- Disclosures ---------------------------------------------------------------------------


@transaction.atomic
def disclosure_record(
    *,
    actor: Actor,
    person: Person,
    recipient_name: str,
    purpose: str,
    records: list[dict[str, Any]],
    recipient_payer: Payer | None = None,
    consent: Consent | None = None,
    part2_included: bool = False,
    notice_included: bool = False,
    withheld_reason: str = "",
    at: dt.datetime | None = None,
) -> Disclosure:
    """Add a disclosure to the person's accounting. For code that sends records out by some
    other route than `export_person_record` (claims, faxes): every disclosure is recorded."""
    _check_purpose(purpose)
    disclosure = Disclosure(
        person=person,
        at=at or timezone.now(),
        by=actor if isinstance(actor, User) and actor.pk else None,
        recipient_name=recipient_name,
        recipient_payer=recipient_payer,
        purpose=purpose,
        consent=consent,
        part2_included=part2_included,
        withheld_reason=withheld_reason,
        records=records,
        notice_included=notice_included,
    )
    save_record(disclosure, actor=actor, action="disclose")
    log_access(
        user=actor,
        action="disclose",
        record_type="consent.Disclosure",
        record_id=disclosure.pk,
        person_id=disclosure.person_id,
        reason=f"{purpose} to {disclosure.recipient_name or disclosure.recipient_payer}",
    )
    return disclosure


@dataclass(frozen=True)
class DisclosureItem:
    """One person's part of a disclosure made to many people's records at once."""

    person: Person
    records: list[dict[str, Any]]
    consent: Consent | None = None


@transaction.atomic
def disclosures_record(
    *,
    actor: Actor,
    recipient_name: str,
    purpose: str,
    items: list[DisclosureItem],
    recipient_payer: Payer | None = None,
    notice_included: bool = False,
    at: dt.datetime | None = None,
) -> list[Disclosure]:
    """Add one disclosure per person to their accounting, for a file that carries many
    people's records (a claim file). Each is checked as `disclosure_record` checks one; they
    are written together, with one history entry and one access-log entry for the lot (the
    Disclosure rows are the per-person accounting)."""
    _check_purpose(purpose)
    when = at or timezone.now()
    by = actor if isinstance(actor, User) and actor.pk else None
    rows = [
        Disclosure(
            person=item.person,
            at=when,
            by=by,
            recipient_name=recipient_name,
            recipient_payer=recipient_payer,
            purpose=purpose,
            consent=item.consent,
            part2_included=item.consent is not None,
            records=item.records,
            notice_included=notice_included,
        )
        for item in items
    ]
    for row in rows:
        row.clean_fields(exclude=["person", "by", "recipient_payer", "consent"])
        row.clean()
    Disclosure.objects.bulk_create(rows)
    if rows:
        record_change(
            actor=actor,
            obj=rows[0],
            action="disclose",
            changes={"disclosures": len(rows), "recipient": recipient_name, "purpose": purpose},
        )
        log_access(
            user=actor,
            action="disclose",
            record_type="consent.Disclosure",
            record_id="",
            reason=f"{purpose} to {recipient_name}: {len(rows)} people",
        )
    return rows


@dataclass(frozen=True)
class OutsideView:
    """What a page may show a payer's staff member of a person's Part 2 records.

    `shown`: the Part 2 records may be shown (always True for agency staff). `withheld`: why
    they are not, in plain words ("" when shown). `notice`: the redisclosure notice the page
    must carry, when Part 2 records were disclosed on it."""

    shown: bool
    withheld: str = ""
    notice: str | None = None
    disclosure: Disclosure | None = None


def outside_purpose(role: str) -> str:
    """Why a payer's staff member reads a record: UM reviewers for payment, auditors for
    health care operations."""
    return Purpose.PAYMENT.value if role == "um_reviewer" else Purpose.OPERATIONS.value


def reads_from_outside(actor: Actor) -> bool:
    """The actor works for a payer, not the agency: what they see is a disclosure."""
    staff = staff_of(actor if isinstance(actor, User) else None)
    return staff is not None and staff.agency_id is None and staff.payer_id is not None


def part2_for_outside_reader(
    *, actor: Actor, person: Person, records: list[dict[str, Any]], on: dt.date | None = None
) -> OutsideView:
    """May a page show `records` (the person's Part 2 records it is about to show) to `actor`?

    Agency staff: yes, and it is not a disclosure. Payer staff (UM reviewers, payer auditors)
    are outside the agency, so showing them Part 2 records is a disclosure: allowed only under
    the person's consent to that payer for the reader's purpose, active on the day of the
    showing (`on`, default today); then it is added to the person's accounting with the
    redisclosure notice. The chart, plan and note pages all ask here.
    """
    staff = staff_of(actor if isinstance(actor, User) else None)
    if staff is None or staff.agency_id is not None or staff.payer is None or not records:
        return OutsideView(shown=True)
    purpose = outside_purpose(staff.role)
    day = on or timezone.localdate()
    consent = active_consent(person, payer=staff.payer, purpose=purpose, on=day)
    if consent is None:
        return OutsideView(
            shown=False,
            withheld=(
                "Some of this person's records are protected by 42 CFR Part 2 and are not "
                f"shown: there is no active consent from the person to share them with "
                f"{staff.payer.name} for {purpose}."
            ),
        )
    disclosure = disclosure_record(
        actor=actor,
        person=person,
        recipient_name=staff.payer.name,
        recipient_payer=staff.payer,
        purpose=purpose,
        records=records,
        consent=consent,
        part2_included=True,
        notice_included=True,
    )
    return OutsideView(shown=True, notice=REDISCLOSURE_NOTICE, disclosure=disclosure)


def accounting_of_disclosures(person: Person) -> models.QuerySet[Disclosure]:
    """Every disclosure of the person's records, newest first: their right to an accounting
    (42 CFR 2.24; 45 CFR 164.528)."""
    return (
        Disclosure.objects.filter(person=person)
        .select_related("by", "recipient_payer", "consent")
        .order_by("-at", "-id")
    )


# --- Export --------------------------------------------------------------------------------


@dataclass
class ExportPackage:
    """What goes to the recipient (`data`), and what the staff member sending it is told.

    `withheld` is for the sender only and is never part of `data`: telling a recipient that
    substance-use records were held back would itself disclose a substance use disorder.
    """

    data: dict[str, Any]
    withheld: list[str] = field(default_factory=list)
    notice: str | None = None
    disclosure: Disclosure | None = None

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False)


def _iso(value: dt.date | dt.time | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(obj: models.Model) -> dict[str, Any]:
    return {"type": obj._meta.label_lower, "id": obj.pk}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _diagnosis_data(d: Diagnosis, protected: bool) -> dict[str, Any]:
    return {
        "id": d.pk,
        "code": d.code,
        "description": d.description,
        "is_primary": d.is_primary,
        "start": _iso(d.start),
        "end": _iso(d.end),
        "part2": protected,
    }


def _plan_data(plan: Plan, protected: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    refs = [_ref(plan)]
    goals = []
    for goal in plan.goals.all():
        refs.append(_ref(goal))
        objectives = []
        for o in goal.objectives.all():
            refs.append(_ref(o))
            objectives.append(
                {"id": o.pk, "description": o.description, "target_date": _iso(o.target_date)}
            )
        interventions = []
        for i in goal.interventions.all():
            refs.append(_ref(i))
            interventions.append(
                {
                    "id": i.pk,
                    "activity": i.activity,
                    "description": i.description,
                    "frequency": i.frequency,
                }
            )
        goals.append(
            {
                "id": goal.pk,
                "order": goal.order,
                "own_words": goal.own_words,
                "whole_health_factor": goal.whole_health_factor,
                "status": goal.status,
                "objectives": objectives,
                "interventions": interventions,
            }
        )
    crisis: dict[str, Any] | None = None
    cp = getattr(plan, "crisis_plan", None)
    if cp is not None:
        refs.append(_ref(cp))
        crisis = {
            "id": cp.pk,
            "triggers": cp.triggers,
            "early_signs": cp.early_signs,
            "what_helps": cp.what_helps,
            "what_does_not_help": cp.what_does_not_help,
            "contacts": cp.contacts,
            "preferences": cp.preferences,
            "updated_on": _iso(cp.updated_on),
        }
    data = {
        "id": plan.pk,
        "version": plan.version,
        "status": plan.status,
        "start": _iso(plan.start),
        "review_due": _iso(plan.review_due),
        "strengths": plan.strengths,
        "goals": goals,
        "crisis_plan": crisis,
        "part2": protected,
    }
    return data, refs


def _note_data(n: ServiceNote, protected: bool) -> dict[str, Any]:
    return {
        "id": n.pk,
        "date": _iso(n.date),
        "start_time": _iso(n.start_time),
        "end_time": _iso(n.end_time),
        "minutes": n.minutes,
        "kind": n.kind,
        "modality": n.modality,
        "setting": n.setting,
        "activity": n.activity,
        "goal_id": n.goal_id,
        "intervention_text": n.intervention_text,
        "purpose": n.purpose,
        "response": n.response,
        "next_steps": n.next_steps,
        "status": n.status,
        "signed_credential": n.signed_credential,
        "signed_at": _iso(n.signed_at),
        "amends_id": n.amends_id,
        "amendment_reason": n.amendment_reason,
        "part2": protected,
    }


def _no_consent_reason(purpose: str, payer: Payer) -> str:
    return f"no active consent from this person for {purpose} disclosures to {payer.name}"


@transaction.atomic
def export_person_record(
    *,
    actor: Actor,
    person: Person,
    payer: Payer,
    purpose: str,
    on: dt.date | None = None,
) -> ExportPackage:
    """The person's record as it may go to `payer` for `purpose` on `on` (default today).

    Part 2 records (see `peerpath.consent.part2`) are included only under an active consent
    for that payer and purpose, and then with the redisclosure notice at the top of the data.
    Without one they are left out and `withheld` says why. Draft notes and draft plans are not
    part of the record and are never sent; SUD counseling notes are never part of an export.
    Either way, the disclosure is added to the person's accounting.
    """
    _check_purpose(purpose)
    day = on or timezone.localdate()
    consent = active_consent(person, payer=payer, purpose=purpose, on=day)

    diagnoses = list(Diagnosis.objects.filter(person=person).order_by("start", "id"))
    plans = list(
        Plan.objects.filter(person=person)
        .exclude(status=PlanStatus.DRAFT)
        .select_related("crisis_plan")
        .prefetch_related("goals__objectives", "goals__interventions")
        .order_by("version")
    )
    notes = list(
        ServiceNote.objects.filter(person=person)
        .exclude(status=NoteStatus.DRAFT)
        .order_by("date", "start_time", "id")
    )
    p2_diagnoses = {d.pk for d in diagnoses if part2.is_part2_diagnosis(d)}
    p2_plans = part2.part2_plan_ids(person)
    p2_notes = part2.part2_note_ids(person)

    may_send_part2 = consent is not None
    records: list[dict[str, Any]] = [_ref(person)]
    out_diagnoses, out_plans, out_notes = [], [], []
    held = {"diagnosis": 0, "plan": 0, "service note": 0}
    sent_part2 = False

    for d in diagnoses:
        protected = d.pk in p2_diagnoses
        if protected and not may_send_part2:
            held["diagnosis"] += 1
            continue
        sent_part2 |= protected
        out_diagnoses.append(_diagnosis_data(d, protected))
        records.append(_ref(d))
    for plan in plans:
        protected = plan.pk in p2_plans
        if protected and not may_send_part2:
            held["plan"] += 1
            continue
        sent_part2 |= protected
        plan_data, refs = _plan_data(plan, protected)
        out_plans.append(plan_data)
        records.extend(refs)
    for n in notes:
        protected = n.pk in p2_notes
        if protected and not may_send_part2:
            held["service note"] += 1
            continue
        sent_part2 |= protected
        out_notes.append(_note_data(n, protected))
        records.append(_ref(n))

    withheld: list[str] = []
    total_held = sum(held.values())
    if total_held:
        parts = ", ".join(_plural(k, w) for w, k in held.items() if k)
        withheld.append(
            f"{total_held} substance-use record{'s' if total_held != 1 else ''} withheld "
            f"({parts}): {_no_consent_reason(purpose, payer)} (42 CFR Part 2)."
        )
    counseling = CounselingNote.objects.filter(person=person).count()
    if counseling:
        withheld.append(
            f"{_plural(counseling, 'SUD counseling note')} not included: counseling notes are "
            "kept apart and never exported (42 CFR Part 2)."
        )

    notice = REDISCLOSURE_NOTICE if sent_part2 else None
    data: dict[str, Any] = {}
    if notice is not None:
        data["redisclosure_notice"] = notice
    data.update(
        {
            "recipient": {"name": payer.name, "payer_id": payer.payer_id},
            "purpose": purpose,
            "disclosed_on": day.isoformat(),
            "person": {
                "id": person.pk,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "date_of_birth": _iso(person.date_of_birth),
                "medicaid_id": person.medicaid_id,
            },
            "diagnoses": out_diagnoses,
            "plans": out_plans,
            "notes": out_notes,
        }
    )

    disclosure = disclosure_record(
        actor=actor,
        person=person,
        recipient_name=payer.name,
        recipient_payer=payer,
        purpose=purpose,
        consent=consent if sent_part2 else None,
        part2_included=sent_part2,
        notice_included=notice is not None,
        withheld_reason=" ".join(withheld),
        records=records,
    )
    return ExportPackage(data=data, withheld=withheld, notice=notice, disclosure=disclosure)


def part2_filter_claim_diagnoses(
    *, person: Person, payer: Payer, on: dt.date, codes: list[str]
) -> tuple[list[str], list[str], str]:
    """Split a claim's diagnosis codes into those it may carry and those it must not.

    An SUD code identifies a substance use disorder, so a claim (837P) may carry it only under
    the person's active consent to disclose to that payer for payment. Returns
    (allowed_codes, withheld_codes, reason); the reason is empty when nothing is withheld.
    Codes keep their order and spelling.
    """
    sud = [c for c in codes if part2.is_part2_code(c)]
    if not sud or active_consent(person, payer=payer, purpose=Purpose.PAYMENT, on=on):
        return list(codes), [], ""
    allowed = [c for c in codes if c not in sud]
    reason = (
        f"{', '.join(sud)} left off the claim: "
        f"{_no_consent_reason(Purpose.PAYMENT.value, payer)} (42 CFR Part 2)."
    )
    return allowed, sud, reason


# --- SUD counseling notes ------------------------------------------------------------------


def _user(actor: Actor, what: str) -> User:
    if not isinstance(actor, User) or not actor.pk:
        raise PermissionDenied(f"{what} needs a signed-in user.")
    return actor


@transaction.atomic
def counseling_note_create(
    *, actor: Actor, person: Person, date: dt.date, text: str
) -> CounselingNote:
    """Write an SUD counseling note; the actor is its author.

    Not through `save_record`: the change history would copy the note's text out of its
    separate table. The history records that a note was written, by whom, for whom and when.
    """
    author = _user(actor, "Writing a counseling note")
    note = CounselingNote(person=person, author=author, date=date, text=text)
    note.full_clean()
    note.save()
    record_change(
        actor=actor,
        obj=note,
        action="create",
        changes={"person_id": person.pk, "author_id": author.pk, "date": date.isoformat()},
    )
    return note


def counseling_note_read(
    *,
    actor: Actor,
    note: CounselingNote,
    purpose: str,
    on: dt.date | None = None,
    payer: Payer | None = None,
    recipient_name: str = "",
) -> CounselingNote:
    """The counseling note, read under the person's specific consent.

    Refused (PermissionDenied) unless a consent that covers counseling notes and lists
    `purpose` is active on `on` (default today). When a recipient (payer or name) is given,
    the consent must name that recipient. No exception is made for the note's author: the
    conservative reading until the access rules say otherwise.
    """
    _user(actor, "Reading a counseling note")
    day = on or timezone.localdate()
    note = CounselingNote.objects.select_related("person").get(pk=note.pk)
    consents = _active_consents(note.person, purpose=purpose, on=day, counseling_notes=True)
    name = recipient_name.strip().casefold()
    if payer is not None:
        consents = [c for c in consents if c.recipient_payer_id == payer.pk]
    elif name:
        consents = [c for c in consents if c.recipient_name.strip().casefold() == name]
    if not consents:
        raise PermissionDenied(
            "This SUD counseling note can be read only under the person's specific consent to "
            f"share counseling notes for {purpose}, and none is active on {day.isoformat()} "
            "(42 CFR Part 2)."
        )
    log_access(
        user=actor,
        action="view",
        record_type="consent.CounselingNote",
        record_id=note.pk,
        person_id=note.person_id,
        reason=f"counseling note read for {purpose}",
    )
    return note
