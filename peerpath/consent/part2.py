"""What in a person's record is Part 2 data: records that would identify them as having a
substance use disorder (42 CFR Part 2), disclosed outside the agency only with consent.

- A **diagnosis** is Part 2 when it is a substance use disorder: category SUD, which
  `peerpath.core.codes.diagnosis_category` gives to F10-F19 except F17 (tobacco is not a
  substance use disorder under 42 CFR 2.11).
- A **service note** is Part 2 when its date falls within the span of one of the person's
  SUD diagnoses.
- A **plan** (with its goals, objectives, interventions and crisis plan) is Part 2 when its
  period overlaps the span of one of the person's SUD diagnoses.

The rule for notes and plans is deliberately conservative. PeerPath cannot tell from the
text whether a note or a plan would reveal a substance use disorder (a goal "stay sober for
my daughter" does; "find an apartment" may not, but the note about it may say where the
person goes to meetings), so every note and plan written while an SUD diagnosis was open is
treated as Part 2. Holding back a record that did not need consent costs a conversation with
the payer; sending one that did is a violation that cannot be undone.

All functions here answer with one query each, whatever the number of notes or plans.
"""

from __future__ import annotations

import functools
import operator

from django.db.models import Exists, OuterRef, Q, QuerySet

from peerpath.core import codes

# The same prefixes `codes.diagnosis_category` uses, so the queries below and the code-level
# check agree; one list, kept in peerpath.core.codes.
from peerpath.core.codes import _SUD_PREFIXES
from peerpath.people.models import Diagnosis, Person
from peerpath.plans.models import Plan, PlanStatus
from peerpath.services.models import ServiceNote

SUD = "SUD"


def is_part2_code(code: str) -> bool:
    """An ICD-10-CM code that identifies a substance use disorder."""
    return codes.diagnosis_category(code) == SUD


def is_part2_diagnosis(d: Diagnosis) -> bool:
    """A diagnosis of a substance use disorder. The stored category decides; the code is
    checked as well, so a diagnosis not yet validated (category still empty) is not missed."""
    return d.category == SUD or (bool(d.code) and is_part2_code(d.code))


def _sud() -> Q:
    """Diagnoses of a substance use disorder: by stored category, or by code (belt and braces
    for a row whose category was never computed)."""
    by_code = functools.reduce(
        operator.or_, (Q(code__istartswith=prefix) for prefix in _SUD_PREFIXES)
    )
    return Q(category=SUD) | by_code


def sud_diagnoses(person: Person) -> QuerySet[Diagnosis]:
    """The person's substance use disorder diagnoses, open or resolved."""
    return Diagnosis.objects.filter(_sud(), person=person)


def part2_diagnosis_ids(person: Person) -> set[int]:
    return set(sud_diagnoses(person).values_list("id", flat=True))


def part2_note_ids(person: Person) -> set[int]:
    """Ids of the person's service notes dated within an SUD diagnosis's span (inclusive)."""
    open_on_note_day = Diagnosis.objects.filter(
        _sud(), person=OuterRef("person"), start__lte=OuterRef("date")
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("date")))
    notes = ServiceNote.objects.filter(person=person).filter(Exists(open_on_note_day))
    return set(notes.values_list("id", flat=True))


def part2_plan_ids(person: Person) -> set[int]:
    """Ids of the person's plans whose period overlaps an SUD diagnosis's span.

    A plan's period runs from its `start` to its `review_due`; a draft or active plan stays in
    force past an overdue review, so its period is treated as open-ended.
    """
    open_plan = Q(status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE])
    overlapping = (
        Diagnosis.objects.filter(_sud(), person=OuterRef("person"))
        .filter(Q(end__isnull=True) | Q(end__gte=OuterRef("start")))
        .filter(start__lte=OuterRef("review_due"))
    )
    overlapping_open = Diagnosis.objects.filter(_sud(), person=OuterRef("person")).filter(
        Q(end__isnull=True) | Q(end__gte=OuterRef("start"))
    )
    plans = Plan.objects.filter(person=person).filter(
        Exists(overlapping) | (open_plan & Exists(overlapping_open))
    )
    return set(plans.values_list("id", flat=True))


# Instruments about recovery from alcohol or drug use: an answered one says the person has
# (or had) a substance use disorder, whatever the day, so it is Part 2 on its own.
SUD_INSTRUMENTS = frozenset({"BARC-10"})


def part2_measure_ids(person: Person) -> set[int]:
    """Ids of the person's outcome measures that are Part 2: given within an SUD diagnosis's
    span (as notes are), or of an instrument about substance use recovery."""
    from peerpath.outcomes.models import Administration

    open_on_day = Diagnosis.objects.filter(
        _sud(), person=OuterRef("person"), start__lte=OuterRef("date")
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("date")))
    measures = Administration.objects.filter(person=person).filter(
        Exists(open_on_day) | Q(instrument__in=SUD_INSTRUMENTS)
    )
    return set(measures.values_list("id", flat=True))
