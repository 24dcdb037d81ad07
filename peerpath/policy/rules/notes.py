"""Rules about each service note: how, where and what was delivered, and by whom."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from peerpath.policy.exceptions import (
    SOCIAL_SKILL_GOAL,
    TRANSITION_PROGRAMS,
    TRANSITION_WINDOW,
    declared,
)
from peerpath.policy.rules.base import Params, rule, text, violations
from peerpath.policy.rules.common import (
    active_on,
    clock,
    counted_notes,
    judged_notes,
    note_violations,
    plan_in_force,
)
from peerpath.policy.tables import Tables

# The note's activity codes that fall under a pack's not-covered codes.
ACTIVITY_NOT_COVERED = {
    "transportation": "transportation",
    "recreation": "recreation",
    "habilitation": "habilitation",
    "childcare": "childcare",
    "academic_instruction": "academic_instruction",
    "family_services": "family_services",
}
# Packs name services to others than the member in two ways; both cover family services.
_FAMILY_CODES = {"family_services", "non_member"}


@rule(
    id="NOTE.MODALITY_ALLOWED",
    per_person=True,
    needs=("notes",),
    title="Delivered in a way the policy allows",
    category="modality",
    severity="deny",
    cites="modality.allowed",
    explanation="The policy lists how peer support may be delivered (in person, audio-video, "
    "audio only). A contact delivered another way is not billable under this policy.",
    fix="Record the contact as it really happened; if it was by phone or video and the policy "
    "does not allow that, it cannot be billed as peer support: keep the note as a record only.",
)
def modality_allowed(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    bad = notes.filter(~notes.modality.isin(p.codes("modality.allowed")))
    return note_violations(
        bad,
        evidence=text(
            "modality ", bad.modality, "; allowed: ", ", ".join(p.codes("modality.allowed"))
        ),
    )


@rule(
    id="NOTE.SETTING_ALLOWED",
    per_person=True,
    needs=("notes",),
    title="Delivered in a setting the policy names",
    category="modality",
    severity="warn",
    cites="settings.allowed",
    explanation="The policy names the places peer support is delivered. A contact in another "
    "setting may be questioned in a review.",
    fix="Check the setting on the note. If it is right, note why that place served the "
    "person's goal.",
)
def setting_allowed(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    bad = notes.filter(~notes.setting.isin(p.codes("settings.allowed")))
    return note_violations(
        bad,
        evidence=text("setting ", bad.setting, "; named: ", ", ".join(p.codes("settings.allowed"))),
    )


@rule(
    id="NOTE.NOT_COVERED_ACTIVITY",
    per_person=True,
    needs=("notes",),
    title="Activity the policy does not cover",
    category="not-covered",
    severity="deny",
    cites="not_covered.activities",
    exceptions=(SOCIAL_SKILL_GOAL,),
    explanation="Some activities are never billable as peer support under this policy, such "
    "as transportation alone, recreation, habilitation or childcare. Where the policy allows "
    "recreation that serves a planned social-skill or support-network goal, a recreation "
    "note tied to such a goal of the person's plan is covered.",
    fix="If the time was spent on a covered peer support activity (mentoring, connecting to "
    "resources, a skills group, building community), say so in the note; if it was "
    "recreation that works on a social-skill or support-network goal, tie the note to that "
    "goal (marked so in the plan); otherwise do not bill it.",
)
def not_covered_activity(t: Tables, p: Params) -> ir.Table:
    listed = set(p.codes("not_covered.activities"))
    activities = [a for a, code in ACTIVITY_NOT_COVERED.items() if code in listed]
    if listed & _FAMILY_CODES:
        activities.append("family_services")
    notes = judged_notes(t)
    bad = notes.filter(notes.activity.isin(activities or ["<none>"]))
    if not declared(SOCIAL_SKILL_GOAL, p):
        return note_violations(bad, evidence=text("activity ", bad.activity))
    # The named exception: recreation tied to a goal of the person's own plan that the plan
    # builder marks as building social skills or a support network.
    goals = t.goals.select(
        g_id=t.goals.goal_id, g_person=t.goals.person_id, g_social=t.goals.social_skill
    )
    joined = bad.left_join(goals, (bad.goal_id == goals.g_id) & (bad.person_id == goals.g_person))
    social = joined.g_social.fill_null(False)
    joined = joined.filter(~((joined.activity == "recreation") & social))
    why = ibis.cases(
        (
            (joined.activity == "recreation") & joined.goal_id.isnull(),
            "activity recreation, tied to no goal (recreation is covered only for a planned "
            "social-skill or support-network goal)",
        ),
        (
            joined.activity == "recreation",
            text(
                "activity recreation, for goal ",
                joined.goal_id,
                ", which the plan does not mark as a social-skill or support-network goal",
            ),
        ),
        else_=text("activity ", joined.activity),
    )
    return note_violations(joined, evidence=why)


def _not_in_plan_listed(p: Params) -> bool:
    return "not_in_plan" in p.codes("not_covered.activities") or p["plan.required"] is True


@rule(
    id="NOTE.PLAN_GOAL",
    per_person=True,
    needs=("notes",),
    title="Note tied to a goal and intervention of the plan",
    category="documentation",
    severity="deny",
    cites="plan.required",
    params=("not_covered.activities",),
    applies=_not_in_plan_listed,
    explanation="Interventions not in the person-centered plan are not covered: every note "
    "must say which of the person's goals it worked on, and which planned intervention.",
    fix="Pick the goal and intervention from the person's current plan. If the work was on "
    "something new, update the plan with the person first.",
)
def plan_goal(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    bad = notes.filter(notes.goal_id.isnull() | notes.intervention_id.isnull())
    return note_violations(
        bad,
        evidence=text("goal ", bad.goal_id, ", intervention ", bad.intervention_id),
    )


@rule(
    id="PLAN.CURRENT",
    per_person=True,
    needs=("notes",),
    title="A current plan on the date of service",
    category="plan",
    severity="deny",
    cites="plan.required",
    explanation="Peer support follows the person's plan: on the day of service the plan must "
    "be in force (signed, not past its review date) and the note's goal must come from it.",
    fix="Review the plan with the person and sign the new version, then tie the note to a goal "
    "of that version.",
)
def plan_current(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    force = plan_in_force(t)
    joined = notes.left_join(force, notes.note_id == force.note_id)
    bad = joined.filter(
        joined.plan_id.isnull()
        | (joined.date > joined.review_due)
        | (joined.goal_plan_id.notnull() & (joined.goal_plan_id != joined.plan_id))
    )
    why = ibis.cases(
        (bad.plan_id.isnull(), "no signed plan had started by this date"),
        (
            bad.date > bad.review_due,
            text("plan ", bad.plan_id, " was due for review on ", bad.review_due),
        ),
        else_=text(
            "the goal is from plan ", bad.goal_plan_id, ", but plan ", bad.plan_id, " was in force"
        ),
    )
    return note_violations(
        bad,
        evidence=why,
    )


@rule(
    id="CRISIS.PLAN_PRESENT",
    per_person=True,
    needs=("notes", "plans"),
    title="The plan has a crisis plan",
    category="crisis-plan",
    severity="deny",
    cites="plan.crisis_plan_required",
    explanation="Every person-centered plan must include an individual crisis plan, made with "
    "the person and kept up to date.",
    fix="Write the crisis plan with the person: triggers, early signs, what helps, who to call.",
)
def crisis_plan_present(t: Tables, p: Params) -> ir.Table:
    force = plan_in_force(t)
    notes = judged_notes(t)
    joined = notes.join(force, notes.note_id == force.note_id)
    bad = joined.filter(~joined.has_crisis_plan)
    first = bad.group_by([bad.plan_id, bad.person_id]).aggregate(date=bad.date.min())
    return violations(
        first,
        subject_type="plan",
        subject_id=first.plan_id,
        person_id=first.person_id,
        date=first.date,
        evidence=text("plan ", first.plan_id, " has no crisis plan"),
    )


@rule(
    id="CREDENTIAL.CURRENT",
    per_person=True,
    needs=("notes",),
    title="Certification current on the date of service",
    category="credential",
    severity="deny",
    cites="credential.required",
    explanation="Peer support is billable only when given by a certified peer support "
    "specialist whose certification is current on the day of service.",
    fix="Renew the certification and upload the new card. Notes written while it was lapsed "
    "cannot be billed.",
)
def credential_current(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    certs = t.certifications
    # The notes no certification of their peer covers (one anti join with the dates in
    # its condition: no list of covered notes is built and deduplicated first).
    bad = notes.anti_join(
        certs,
        [notes.staff_id == certs.staff_id, active_on(certs.start, certs.end, notes.date)],
    )
    last = certs.group_by(certs.staff_id).aggregate(last_end=certs.end.max())
    bad = bad.left_join(last, bad.staff_id == last.staff_id)
    return note_violations(
        bad,
        evidence=text("no certification covers this date; latest expiry on file ", bad.last_end),
    )


@rule(
    id="LIMITS.FAMILY_MEMBER",
    per_person=True,
    needs=("notes", "family"),
    title="Not given by a family member",
    category="credential",
    severity="deny",
    cites="limits.family_may_not_deliver",
    explanation="Family members and legally responsible people may not give a person their "
    "peer support.",
    fix="Move the person to another peer specialist's caseload.",
)
def family_member(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    fam = t.family
    bad = notes.join(fam, (notes.person_id == fam.person_id) & (notes.staff_id == fam.staff_id))
    return note_violations(
        bad,
        evidence=text("staff ", bad.staff_id, " is family of person ", bad.person_id),
    )


def _same_time_applies(p: Params) -> bool:
    return p.text("concurrency.same_time_rule") in {"never", "allowed_list"}


@rule(
    id="CONCURRENCY.OTHER_SERVICE",
    per_person=True,
    needs=("notes", "other_services"),
    title="Not at the same time as another service",
    category="concurrency",
    severity="deny",
    cites="concurrency.same_time_rule",
    params=("concurrency.allowed_concurrent_services",),
    applies=_same_time_applies,
    explanation="Only the time the person actually receives peer support is billable; it may "
    "not overlap another service billed for the same person (some states allow a short list "
    "of services at the same time).",
    fix="Check the times on the note against the other service. If they really overlapped, "
    "bill only the minutes that did not.",
)
def other_service_overlap(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    other = t.other_services
    if p.text("concurrency.same_time_rule") == "allowed_list":
        allowed = p.codes("concurrency.allowed_concurrent_services")
        other = other.filter(~other.category.isin(allowed or ["<none>"]))
    hit = notes.join(
        other,
        (notes.person_id == other.person_id)
        & (notes.date == other.date)
        & (notes.start_min < other.end_min)
        & (other.start_min < notes.end_min),
    )
    return note_violations(
        hit,
        evidence=text(
            "overlaps ",
            hit.category,
            " (service ",
            hit.service_id,
            ") ",
            clock(hit.start_min_right),
            "-",
            clock(hit.end_min_right),
        ),
    )


@rule(
    id="CONCURRENCY.EXCLUDED_PROGRAM",
    per_person=True,
    needs=("notes", "enrollments"),
    title="Not while in a program that excludes peer support",
    category="concurrency",
    severity="deny",
    cites="concurrency.excluded_programs",
    params=("concurrency.transition_window_days",),
    exceptions=(TRANSITION_WINDOW,),
    explanation="People receiving some services (in NC: ACT, Community Support Team, the "
    "Innovations waiver) cannot also receive peer support, except during the last days of "
    "an ACT or CST authorization to help the move to peer support.",
    fix="Check the dates of the other program. If the person is moving to peer support, start "
    "within the transition window; otherwise coordinate with the other team.",
)
def excluded_program(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    enr = t.enrollments.filter(t.enrollments.program.isin(p.codes("concurrency.excluded_programs")))
    hit = notes.join(
        enr, (notes.person_id == enr.person_id) & active_on(enr.start, enr.end, notes.date)
    )
    if declared(TRANSITION_WINDOW, p):
        # The named exception: the last `window` days of an ACT or CST span.
        window = p.int("concurrency.transition_window_days")
        in_transition = (
            hit.program.isin(list(TRANSITION_PROGRAMS))
            & hit.end.notnull()
            & ((hit.end - hit.date).cast("int64") < window)
        )
        hit = hit.filter(~in_transition)
    return note_violations(
        hit,
        evidence=text(
            "enrolled in ",
            hit.program,
            " from ",
            hit.start,
            " to ",
            hit.end.cast("string").fill_null("open"),
        ),
    )


@rule(
    id="DISCHARGE.NO_SERVICE_AFTER",
    per_person=True,
    needs=("notes", "episodes"),
    title="No service after discharge",
    category="discharge",
    severity="deny",
    cites="discharge.criteria",
    explanation="Once a person is discharged, their episode of care is closed: a later "
    "contact needs a new admission (and its assessment, plan and authorization).",
    fix="If the person came back, open a new episode with them; otherwise the note's date is "
    "wrong.",
)
def no_service_after_discharge(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    eps = t.episodes.filter(t.episodes.end.notnull())
    later = t.episodes
    hit = notes.join(eps, (notes.person_id == eps.person_id) & (notes.date > eps.end))
    # Not a finding when a later episode covers the note.
    covered = (
        hit.join(
            later, (hit.person_id == later.person_id) & active_on(later.start, later.end, hit.date)
        )
        .select(note_id=hit.note_id)
        .distinct()
    )
    bad = hit.anti_join(covered, hit.note_id == covered.note_id)
    bad = bad.group_by([bad.note_id, bad.person_id, bad.staff_id, bad.date]).aggregate(
        discharged=bad.end.max()
    )
    return note_violations(
        bad,
        evidence=text("discharged on ", bad.discharged),
    )


@rule(
    id="DISCHARGE.REASON",
    per_person=True,
    needs=("episodes",),
    title="Discharge for a reason the policy names",
    category="discharge",
    severity="info",
    cites="discharge.criteria",
    explanation="The policy names the reasons for discharge (goals met with a transition plan, "
    "stable recovery, no progress after every reasonable strategy, or the person's choice).",
    fix="Record which of the policy's discharge reasons applies, with the transition plan.",
)
def discharge_reason(t: Tables, p: Params) -> ir.Table:
    eps = t.episodes.filter(t.episodes.end.notnull())
    bad = eps.filter(
        eps.discharge_reason.isnull() | ~eps.discharge_reason.isin(p.codes("discharge.criteria"))
    )
    return violations(
        bad,
        subject_type="episode",
        subject_id=bad.episode_id,
        person_id=bad.person_id,
        date=bad.end,
        evidence=text("reason ", bad.discharge_reason),
    )


def _month_key(day: ir.DateValue) -> ir.IntegerValue:
    """A calendar month as one number (2025-06 is 202506), the same on every engine."""
    return (day.year() * 100 + day.month()).cast("int64")


def _month_label(key: ir.IntegerValue) -> ir.StringValue:
    return (
        (key // 100).cast("int64").cast("string")
        + "-"
        + (key % 100).cast("int64").cast("string").lpad(2, "0")
    )


@rule(
    id="MODALITY.TELEHEALTH_SHARE",
    per_person=True,
    needs=("notes",),
    title="Telehealth within the policy's share of the person's units",
    category="modality",
    severity="warn",
    cites="modality.telehealth_max_share",
    explanation="Where the policy limits how much of a person's peer support may be given by "
    "telehealth (audio-video or audio only), a record in which telehealth units pass that "
    "share of all the person's units may be questioned in a review.",
    fix="Plan more of the person's contacts in person, or document why telehealth served "
    "them better.",
)
def telehealth_share(t: Tables, p: Params) -> ir.Table:
    limit = p.float("modality.telehealth_max_share")
    # The notes the engine counts units for (the join other unit rules share).
    joined = counted_notes(t).filter(lambda n: n.counted)
    remote = joined.modality.isin(["audio_video", "audio_only"])
    rows = joined.select(
        person_id=joined.person_id,
        date=joined.date,
        units=joined.units.cast("int64"),
        remote_units=remote.ifelse(joined.units, 0).cast("int64"),
    )
    people = rows.group_by(rows.person_id).aggregate(
        units=rows.units.sum(), remote=rows.remote_units.sum(), last=rows.date.max()
    )
    bad = people.filter((people.units > 0) & (people.remote > people.units * limit))
    share = (bad.remote * 100 // bad.units).cast("int64")
    return violations(
        bad,
        subject_type="person",
        subject_id=bad.person_id,
        person_id=bad.person_id,
        date=bad.last,
        evidence=text(
            bad.remote,
            " of ",
            bad.units,
            " units by telehealth (",
            share,
            "%); largest share ",
            str(round(limit * 100)),
            "%",
        ),
    )


@rule(
    id="LIMITS.SINGLE_PROVIDER",
    needs=("notes",),
    title="One peer support provider at a time",
    category="concurrency",
    severity="warn",
    cites="limits.single_provider",
    explanation="A person receives peer support from one provider agency at a time. A month "
    "in which two agencies gave the same Medicaid member peer support is questioned. (Seen "
    "only in data that holds more than one agency, such as a state audit extract.)",
    fix="Find out which agency the person chose and end the other agency's service; bill "
    "only the chosen agency's contacts.",
)
def single_provider(t: Tables, p: Params) -> ir.Table:
    notes = judged_notes(t)
    people = t.people.filter(t.people.medicaid_id.notnull() & (t.people.medicaid_id != ""))
    joined = notes.join(people, notes.person_id == people.person_id)
    served = joined.select(
        person_id=joined.person_id,
        medicaid_id=joined.medicaid_id,
        agency_id=joined.agency_id,
        month=_month_key(joined.date),
        date=joined.date,
    )
    mine = served.group_by(["person_id", "medicaid_id", "agency_id", "month"]).aggregate(
        first=served.date.min()
    )
    other = mine.select(
        o_medicaid=mine.medicaid_id, o_agency=mine.agency_id, o_month=mine.month
    ).distinct()
    hit = mine.join(
        other,
        (mine.medicaid_id == other.o_medicaid)
        & (mine.month == other.o_month)
        & (mine.agency_id != other.o_agency),
    )
    bad = hit.group_by(["person_id", "month", "first"]).aggregate(others=hit.o_agency.min())
    return violations(
        bad,
        subject_type="person",
        subject_id=bad.person_id,
        person_id=bad.person_id,
        date=bad.first,
        evidence=text(
            _month_label(bad.month), ": also served by agency ", bad.others, " the same month"
        ),
    )
