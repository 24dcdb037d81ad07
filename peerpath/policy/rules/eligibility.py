"""Rules about who may receive peer support and what must be in place before it starts:
age, diagnosis, documented needs, the comprehensive clinical assessment and the service
order.

Person-level findings are dated at the person's first judged note (the start of service),
so a person with no notes has no finding: there is nothing billed to question yet.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

from peerpath.policy.rules.base import Params, rule, text, violations
from peerpath.policy.rules.common import active_on, first_notes, first_per, judged_notes
from peerpath.policy.tables import Tables

# Other ways an order's signer may write a credential the pack names. Credentials are
# compared without case, spaces or punctuation ("M.D." is "md", "Licensed Psychologist" is
# "licensed_psychologist"); these add the usual abbreviations of a pack's words (a pack says
# "physician", an order form says "MD" or "DO").
# How signers write the credentials the packs name: physicians sign as MD or DO; NC's
# licensed psychologists sign as LP.
CREDENTIAL_ALIASES: dict[str, tuple[str, ...]] = {
    "physician": ("md", "do"),
    "licensed_psychologist": ("lp",),
}


def _age_on(born: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Whole years of age on `day`; exact on birthdays (the day before the 18th birthday,
    the person is 17). Someone born on 29 February turns a year older on 1 March in
    non-leap years."""
    had_birthday = (day.month() > born.month()) | (
        (day.month() == born.month()) & (day.day() >= born.day())
    )
    return (day.year() - born.year() - had_birthday.ifelse(0, 1)).cast("int64")


@rule(
    id="ELIG.MIN_AGE",
    per_person=True,
    title="Old enough for the program",
    category="eligibility",
    severity="deny",
    cites="program.min_age",
    explanation="The policy serves people from a minimum age. Service given before the "
    "person reached that age is not covered by this policy.",
    fix="Check the date of birth on the person's record. If it is right, the person is served "
    "under a youth program instead; do not bill these contacts as adult peer support.",
)
def min_age(t: Tables, p: Params) -> ir.Table:
    least = p.int("program.min_age")
    notes = judged_notes(t)
    people = t.people
    aged = notes.join(people, notes.person_id == people.person_id).select(
        person_id=notes.person_id,
        date=notes.date,
        age=_age_on(people.date_of_birth, notes.date),
    )
    young = aged.filter(aged.age < least)
    first = young.group_by(young.person_id).aggregate(date=young.date.min(), age=young.age.min())
    return violations(
        first,
        subject_type="person",
        subject_id=first.person_id,
        person_id=first.person_id,
        date=first.date,
        evidence=text("age ", first.age, " on ", first.date, "; minimum age ", least),
    )


@rule(
    id="ELIG.DIAGNOSIS_IN_SCOPE",
    per_person=True,
    title="A diagnosis the program serves",
    category="eligibility",
    severity="deny",
    cites="eligibility.diagnosis_scope",
    explanation="Peer support under this policy is for people with a diagnosis of the kind "
    "it names (mental health, and in some states substance use). On the day service started "
    "the person's record showed no such diagnosis.",
    fix="Ask the clinician who assessed the person to record the diagnosis, with its start "
    "date, if there is one. If there is none, the person does not qualify under this policy.",
)
def diagnosis_in_scope(t: Tables, p: Params) -> ir.Table:
    scope = p.codes("eligibility.diagnosis_scope")
    first = first_notes(t)
    dx = t.diagnoses.filter(t.diagnoses.category.isin(scope or ["<none>"]))
    ok = (
        first.join(
            dx,
            (first.person_id == dx.person_id) & active_on(dx.start, dx.end, first.first_date),
        )
        .select(person_id=first.person_id)
        .distinct()
    )
    bad = first.anti_join(ok, first.person_id == ok.person_id)
    return violations(
        bad,
        subject_type="person",
        subject_id=bad.person_id,
        person_id=bad.person_id,
        date=bad.first_date,
        evidence=text("no diagnosis in scope (", ", ".join(scope), ") active on ", bad.first_date),
    )


def _entry_assessment(t: Tables) -> ir.Table:
    """Each person's latest assessment dated on or before their first judged note:
    person_id, first_date, assessment_id, assessed_on, no_alternative."""
    first = first_notes(t)
    a = t.assessments
    joined = first.join(a, (first.person_id == a.person_id) & (a.date <= first.first_date)).select(
        person_id=first.person_id,
        first_date=first.first_date,
        assessment_id=a.assessment_id,
        assessed_on=a.date,
        no_alternative=a.no_alternative,
    )
    return first_per(
        joined, "person_id", ibis.desc(joined.assessed_on), ibis.desc(joined.assessment_id)
    )


def _needs_areas_apply(p: Params) -> bool:
    required = p["eligibility.needs_areas_required"]
    return isinstance(required, int) and not isinstance(required, bool) and required > 0


@rule(
    id="ELIG.NEEDS_AREAS",
    per_person=True,
    title="Enough needs areas documented",
    category="eligibility",
    severity="deny",
    cites="eligibility.needs_areas_required",
    params=("eligibility.needs_areas",),
    applies=_needs_areas_apply,
    explanation="The policy asks the assessment to document needs, related to the diagnosis, "
    "in a minimum number of the areas it lists. The assessment in force when service "
    "started documents fewer than that.",
    fix="Ask the clinician to update the assessment with every needs area the person really "
    "has, using the policy's list of areas. If the person has fewer, they do not qualify.",
)
def needs_areas(t: Tables, p: Params) -> ir.Table:
    required = p.int("eligibility.needs_areas_required")
    listed = p.codes("eligibility.needs_areas")
    entry = _entry_assessment(t)
    areas = t.assessment_needs.filter(t.assessment_needs.area.isin(listed or ["<none>"]))
    per_assessment = areas.group_by(areas.assessment_id).aggregate(documented=areas.area.nunique())
    counted = entry.left_join(
        per_assessment, entry.assessment_id == per_assessment.assessment_id
    ).select(
        person_id=entry.person_id,
        first_date=entry.first_date,
        assessment_id=entry.assessment_id,
        assessed_on=entry.assessed_on,
        documented=per_assessment.documented.fill_null(0),
    )
    bad = counted.filter(counted.documented < required)
    return violations(
        bad,
        subject_type="assessment",
        subject_id=bad.assessment_id,
        person_id=bad.person_id,
        date=bad.first_date,
        evidence=text(
            bad.documented,
            f" of the needed {required} needs areas documented (assessment of ",
            bad.assessed_on,
            ")",
        ),
    )


@rule(
    id="ELIG.NO_BETTER_ALTERNATIVE",
    per_person=True,
    title="No equally effective alternative",
    category="eligibility",
    severity="deny",
    cites="eligibility.no_equally_effective_alternative",
    explanation="Peer support is covered when there is no evidence that another service "
    "would help the person as much or more. The assessment in force when service started "
    "does not say so.",
    fix="Ask the clinician to record in the assessment why peer support is the right service "
    "for the person (or, if another service would serve them as well, to refer them there).",
)
def no_better_alternative(t: Tables, p: Params) -> ir.Table:
    entry = _entry_assessment(t)
    # Not recorded counts as not documented.
    bad = entry.filter(~entry.no_alternative.fill_null(False))
    return violations(
        bad,
        subject_type="assessment",
        subject_id=bad.assessment_id,
        person_id=bad.person_id,
        date=bad.first_date,
        evidence=text(
            "assessment of ",
            bad.assessed_on,
            " does not find that no other service would be as effective",
        ),
    )


def _subject_or_person(
    bad: ir.Table, records: ir.Table, key: str, day: str, subject_type: str, why: ir.StringValue
) -> ir.Table:
    """Findings on each person in `bad` (columns person_id, first_date, why): on their
    earliest record of `records` (by `day`, then `key`) when they have one, else on the
    person."""
    earliest = first_per(records, "person_id", records[day], records[key])
    bad = bad.mutate(why=why)
    on_record = bad.join(earliest, bad.person_id == earliest.person_id).select(
        person_id=bad.person_id,
        first_date=bad.first_date,
        why=bad.why,
        record_id=earliest[key],
        record_day=earliest[day],
    )
    on_person = bad.anti_join(earliest, bad.person_id == earliest.person_id)
    return violations(
        on_record,
        subject_type=subject_type,
        subject_id=on_record.record_id,
        person_id=on_record.person_id,
        date=on_record.first_date,
        evidence=text(on_record.why, "; earliest is dated ", on_record.record_day),
    ).union(
        violations(
            on_person,
            subject_type="person",
            subject_id=on_person.person_id,
            person_id=on_person.person_id,
            date=on_person.first_date,
            evidence=text(on_person.why, "; none on record"),
        )
    )


@rule(
    id="ENTRANCE.CCA_BEFORE_SERVICE",
    per_person=True,
    title="Comprehensive clinical assessment done first",
    category="entrance",
    severity="deny",
    cites="entrance.cca_required",
    params=("entrance.cca_before",),
    explanation="A comprehensive clinical assessment that finds peer support medically "
    "necessary must be done before service starts (in NC 8G: before the first authorization "
    "is requested).",
    fix="Have a licensed clinician complete the assessment with the person. Contacts before "
    "its date cannot be billed; later requests and notes can go ahead once it is on file.",
)
def cca_before_service(t: Tables, p: Params) -> ir.Table:
    first = first_notes(t)
    if p["entrance.cca_before"] == "authorization_request":
        auths = t.authorizations
        asked = auths.group_by(auths.person_id).aggregate(asked=auths.requested_on.min())
        joined = first.left_join(asked, first.person_id == asked.person_id)
        ref = joined.select(
            person_id=first.person_id, first_date=first.first_date, asked=asked.asked
        )
        ref = ref.mutate(
            due=ibis.coalesce(ref.asked, ref.first_date),
            what=ref.asked.isnull().ifelse("the first service", "the first authorization request"),
        ).drop("asked")
    else:
        ref = first.mutate(due=first.first_date, what=ibis.literal("the first service"))
    a = t.assessments
    cca = a.filter(a.medical_necessity.fill_null(False))
    ok = (
        ref.join(cca, (ref.person_id == cca.person_id) & (cca.date <= ref.due))
        .select(person_id=ref.person_id)
        .distinct()
    )
    bad = ref.anti_join(ok, ref.person_id == ok.person_id)
    why = text(
        "no assessment finding medical necessity on or before ", bad.what, " (", bad.due, ")"
    )
    return _subject_or_person(bad, a, "assessment_id", "date", "assessment", why)


@rule(
    id="ENTRANCE.SERVICE_ORDER",
    per_person=True,
    title="Service order signed by the first day of service",
    category="entrance",
    severity="deny",
    cites="entrance.service_order_required",
    explanation="Peer support needs a written order, signed by a physician or licensed "
    "clinician, on or before the first day of service.",
    fix="Ask the person's physician or licensed clinician to sign the order. Contacts before "
    "the date it was signed cannot be billed.",
)
def service_order(t: Tables, p: Params) -> ir.Table:
    first = first_notes(t)
    orders = t.service_orders
    ok = (
        first.join(
            orders,
            (first.person_id == orders.person_id) & (orders.signed_on <= first.first_date),
        )
        .select(person_id=first.person_id)
        .distinct()
    )
    bad = first.anti_join(ok, first.person_id == ok.person_id)
    why = text("no service order signed on or before the first service (", bad.first_date, ")")
    return _subject_or_person(bad, orders, "order_id", "signed_on", "service_order", why)


def _normal(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", code.lower())


@rule(
    id="ENTRANCE.SERVICE_ORDER_CREDENTIAL",
    per_person=True,
    needs=("service_orders",),
    title="Service order signed by an allowed clinician",
    category="entrance",
    severity="warn",
    cites="entrance.service_order_credentials",
    explanation="The policy names who may sign the order for peer support (a physician, or in "
    "some states certain licensed clinicians). This order's signer has another credential, "
    "or none is recorded.",
    fix="Check the signer's credential on the order. If it is not one the policy names, ask "
    "a physician or licensed clinician who is allowed to sign the order.",
)
def service_order_credential(t: Tables, p: Params) -> ir.Table:
    allowed = p.codes("entrance.service_order_credentials")
    accepted = sorted(
        {_normal(c) for c in allowed}
        | {alias for c in allowed for alias in CREDENTIAL_ALIASES.get(c.lower(), ())}
    )
    orders = t.service_orders
    credential = orders.credential.lower().re_replace(r"[^a-z0-9]", "")
    bad = orders.filter(credential.isnull() | ~credential.isin(accepted or ["<none>"]))
    return violations(
        bad,
        subject_type="service_order",
        subject_id=bad.order_id,
        person_id=bad.person_id,
        date=bad.signed_on,
        evidence=text("credential ", bad.credential, "; allowed: ", ", ".join(allowed)),
    )
