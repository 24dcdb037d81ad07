"""Rules about the program around the service: group size, caseload and supervisor ratios,
staff training, the supervisor's contacts with each person, and professional evaluations.

Counting how many people are on a caseload (or peer specialists under a supervisor) on
every day is done by an event sweep, not by a calendar of days: each assignment span adds
+1 on its first day and -1 on the day after its last (an open span never ends), the events
are summed per staff member and date, and a running sum in date order gives the headcount
from each event date until the day before the next one. Overlapping spans of the same
pair are merged first, so a person listed twice counts once. The work grows with the number
of spans, not with spans times days, so it scales to an agency-wide audit.

Deadlines: anything done on or before the deadline day meets it. A missed deadline becomes
a finding on the day after it (the first day the problem is true) and only once the
evaluation's "as of" date has reached that day. A deadline that falls after the person was
discharged, or after the staff member left, is not a finding.

Dates a rule computes are cast back to dates: DuckDB turns date + interval into a timestamp.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from peerpath.policy.rules.base import Params, rule, text, violations
from peerpath.policy.rules.common import first_notes, first_per, judged_notes
from peerpath.policy.tables import Tables

# Roles each training requirement's `who` applies to.
WHO_ROLES: Mapping[str, tuple[str, ...]] = {
    "all": ("cpss", "supervisor"),
    "supervisor": ("supervisor",),
}

# The supervisor contacts that count: the seed asks for face-to-face contact.
FACE_TO_FACE = "face_to_face"

# Stands for "never ends" when open spans are merged and compared.
_OPEN_END = dt.date(9999, 12, 31)


# --- date helpers ---------------------------------------------------------------------------


def _as_date(value: ir.Value) -> ir.DateValue:
    """A date again after interval arithmetic (ibis thinks it still is one and would drop a
    plain cast to date, while DuckDB returns a timestamp)."""
    out: ir.DateValue = value.cast("timestamp").cast("date")
    return out


def _days_after(day: ir.DateValue, days: int) -> ir.DateValue:
    return _as_date(day + ibis.interval(days=days))


def _months_after(day: ir.DateValue, months: int | ir.IntegerValue) -> ir.DateValue:
    if isinstance(months, int):
        return _as_date(day + ibis.interval(months=months))
    return _as_date(day + months.as_interval("M"))


def _day_before(day: ir.DateValue) -> ir.DateValue:
    return _days_after(day, -1)


def _with_context(table: ir.Table, t: Tables) -> ir.Table:
    """Add the evaluation's `as_of` and `period_start` columns (one context row)."""
    return table.cross_join(t.context)


def _overdue_in_period(table: ir.Table, overdue: ir.DateValue) -> ir.BooleanValue:
    """The first overdue day has come by as_of and falls in the evaluated period."""
    return (overdue <= table.as_of) & (overdue >= table.period_start)


def _still_admitted(table: ir.Table, t: Tables, since: str, until: str) -> ir.Table:
    """Rows of `table` whose person was not discharged between the day in column `since`
    and the day in column `until`: no episode containing `since` ended on or before `until`.
    People without any episode on record count as still admitted."""
    eps = t.episodes.filter(t.episodes.end.notnull())
    return table.anti_join(
        eps,
        (table.person_id == eps.person_id)
        & (eps.start <= table[since])
        & (eps.end >= table[since])
        & (eps.end <= table[until]),
    )


def _hours(value: float) -> str:
    return f"{value:g}"


def _nothing(t: Tables) -> ir.Table:
    """No findings (a pack whose list holds nothing this rule checks)."""
    none = t.staff.filter(ibis.literal(False))
    return violations(
        none,
        subject_type="staff",
        subject_id=none.staff_id,
        staff_id=none.staff_id,
        date=none.hire_date,
        evidence=ibis.literal(""),
    )


# --- group size -----------------------------------------------------------------------------


@rule(
    id="RATIO.GROUP_SIZE",
    needs=("group_sessions",),
    title="Group no larger than the policy allows",
    category="staffing-ratio",
    severity="deny",
    cites="ratios.group_max",
    explanation="A peer support group may have only so many people for each peer specialist "
    "who leads it (12 in North Carolina, 10 in South Carolina). A larger group is not "
    "billable as peer support under this policy.",
    fix="Check the attendance and the number of facilitators on the group record. If the "
    "group really was larger, add a co-facilitator or split the group next time; bill only "
    "as many people as the limit allows, after talking with billing staff.",
)
def group_size(t: Tables, p: Params) -> ir.Table:
    # One finding per person whose note is in a group that was too large, judged by the
    # pack (and contract variant) that judges that person: a payer's contract may set a
    # smaller group than the state's, and only its members' notes are then affected.
    limit = p.int("ratios.group_max")
    groups = t.group_sessions
    # ASSUMPTION: a group with no facilitator count on record had one facilitator.
    leaders = ibis.greatest(groups.facilitators.fill_null(1), 1)
    big = groups.filter(groups.attendees > leaders * limit)
    notes = judged_notes(t)
    hit = notes.join(big, notes.group_session_id == big.session_id)
    staffed = ibis.greatest(hit.facilitators.fill_null(1), 1)
    return violations(
        hit,
        subject_type="group_session",
        subject_id=hit.session_id,
        person_id=hit.person_id,
        staff_id=hit.staff_id,
        date=hit.date_right,
        evidence=text(
            hit.attendees,
            " people with ",
            staffed,
            " facilitator(s); limit ",
            limit,
            " per facilitator (",
            staffed * limit,
            " in all)",
        ),
    ).distinct()


# --- caseload and supervisor ratios (event sweep) -------------------------------------------


def _merged_spans(spans: ir.Table) -> ir.Table:
    """Merge overlapping spans of the same (owner, member) pair so that nobody is counted
    twice. Input and output columns: owner, member, start, stop (stop = last day; open spans
    stop at _OPEN_END)."""
    spans = spans.filter(spans.start.notnull() & (spans.stop >= spans.start))
    pair = [spans.owner, spans.member]
    order = [spans.start, spans.stop]
    reach = spans.mutate(
        reach=spans.stop.max().over(ibis.cumulative_window(group_by=pair, order_by=order))
    )
    reach = reach.mutate(
        before=reach.reach.lag().over(
            group_by=[reach.owner, reach.member], order_by=[reach.start, reach.stop]
        )
    )
    fresh = reach.before.isnull() | (reach.start > reach.before)
    islands = reach.mutate(
        island=fresh.cast("int64").cumsum(
            group_by=[reach.owner, reach.member], order_by=[reach.start, reach.stop]
        )
    )
    return islands.group_by(["owner", "member", "island"]).aggregate(
        start=islands.start.min(), stop=islands.stop.max()
    )


def headcount_stretches(spans: ir.Table) -> ir.Table:
    """How many members each owner has, as stretches of days with one count: owner, day
    (first day), last (last day; _OPEN_END when it never changes again), count. The event
    sweep described at the top of this module; the board and the ratio rules both read
    it, so a page and a finding count the same people."""
    merged = _merged_spans(spans)
    open_end = ibis.date(_OPEN_END)
    plus = merged.select(owner=merged.owner, day=merged.start, delta=ibis.literal(1))
    ends = merged.filter(merged.stop < open_end)
    minus = ends.select(owner=ends.owner, day=_days_after(ends.stop, 1), delta=ibis.literal(-1))
    events = plus.union(minus)
    events = events.group_by(["owner", "day"]).aggregate(delta=events.delta.sum())
    counted = events.mutate(
        count=events.delta.cumsum(group_by=events.owner, order_by=events.day),
        next_day=events.day.lead().over(group_by=events.owner, order_by=events.day),
    )
    return counted.select(
        "owner",
        "day",
        "count",
        "next_day",
        last=ibis.coalesce(_day_before(counted.next_day), open_end),
    )


def caseload_spans(t: Tables) -> ir.Table:
    """Peer specialists' caseload assignments as owner (staff), member (person) spans."""
    loads = t.caseloads.semi_join(_cpss(t), t.caseloads.staff_id == _cpss(t).staff_id)
    return loads.select(
        owner=loads.staff_id,
        member=loads.person_id,
        start=loads.start,
        stop=loads.end.fill_null(ibis.date(_OPEN_END)),
    )


def supervision_spans(t: Tables) -> ir.Table:
    """Supervisors' peer specialists as owner (supervisor), member (staff) spans."""
    sup = t.supervision
    sup = sup.semi_join(_cpss(t), sup.staff_id == _cpss(t).staff_id)
    return sup.select(
        owner=sup.supervisor_id,
        member=sup.staff_id,
        start=sup.start,
        stop=sup.end.fill_null(ibis.date(_OPEN_END)),
    )


def _over_limit_runs(spans: ir.Table, t: Tables, limit: int) -> ir.Table:
    """Runs of consecutive days in [period_start, as_of] on which an owner has more than
    `limit` members. `spans`: owner, member, start, stop (last day, _OPEN_END when open).
    Returns owner, first (first day over), last (last day over, as of as_of), first_count
    (headcount on the first day), peak (the most on any day of the run)."""
    counted = headcount_stretches(spans)
    segs = _with_context(counted.filter(counted["count"] > limit), t)
    seg_to = ibis.least(
        ibis.coalesce(_day_before(segs.next_day), segs.as_of),
        segs.as_of,
    )
    segs = segs.mutate(seg_from=ibis.greatest(segs.day, segs.period_start), seg_to=seg_to)
    segs = segs.filter(segs.seg_from <= segs.seg_to)

    # Over-limit segments that touch one another form one run.
    prev_to = segs.seg_to.lag().over(group_by=segs.owner, order_by=segs.seg_from)
    segs = segs.mutate(fresh=(prev_to.isnull() | (segs.seg_from > _days_after(prev_to, 1))))
    segs = segs.mutate(
        run=segs.fresh.cast("int64").cumsum(group_by=segs.owner, order_by=segs.seg_from)
    )
    return segs.group_by(["owner", "run"]).aggregate(
        first=segs.seg_from.min(),
        last=segs.seg_to.max(),
        first_count=segs["count"].argmin(segs.seg_from),
        peak=segs["count"].max(),
        as_of=segs.as_of.max(),
    )


def _run_evidence(runs: ir.Table, what: str, limit: int) -> ir.StringValue:
    until = ibis.cases(
        (runs.last >= runs.as_of, text("still over on ", runs.as_of)),
        else_=text("over through ", runs.last),
    )
    return text(
        runs.first_count,
        f" {what} on ",
        runs.first,
        f"; limit {limit}; ",
        until,
        " (most ",
        runs.peak,
        ")",
    )


def _cpss(t: Tables) -> ir.Table:
    return t.staff.filter(t.staff.role == "cpss")


@rule(
    id="RATIO.CASELOAD",
    about="staff",
    needs=("caseloads",),
    title="Caseload within the policy's ratio",
    category="staffing-ratio",
    severity="warn",
    cites="ratios.cpss_to_people",
    explanation="The policy sets how many people one peer specialist may support at a time "
    "(in North Carolina: 25 in the 2018 draft, 12 under policy 8G). Above that, each person "
    "may not get the time and attention peer support is meant to give.",
    fix="Review the peer specialist's caseload with them: move some people to a colleague "
    "with room, or close assignments for people who have finished their service.",
)
def caseload_ratio(t: Tables, p: Params) -> ir.Table:
    # One finding per peer specialist per run of consecutive days over the limit inside the
    # evaluated period, dated the first day over.
    limit = p.int("ratios.cpss_to_people")
    runs = _over_limit_runs(caseload_spans(t), t, limit)
    return violations(
        runs,
        subject_type="staff",
        subject_id=runs.owner,
        staff_id=runs.owner,
        date=runs.first,
        evidence=_run_evidence(runs, "people on caseload", limit),
    )


@rule(
    id="RATIO.SUPERVISOR",
    about="staff",
    needs=("supervision",),
    title="Supervisor ratio within the policy",
    category="staffing-ratio",
    severity="warn",
    cites="ratios.qp_to_cpss",
    explanation="The policy sets how many peer specialists one supervisor may oversee "
    "(in North Carolina: 6 in the 2018 draft, 8 under policy 8G), so each peer specialist "
    "gets real support and supervision.",
    fix="Assign some of this supervisor's peer specialists to another qualified supervisor, "
    "or hire another supervisor before adding peer specialists.",
)
def supervisor_ratio(t: Tables, p: Params) -> ir.Table:
    # One finding per supervisor per run of consecutive days over the limit, as above.
    limit = p.int("ratios.qp_to_cpss")
    runs = _over_limit_runs(supervision_spans(t), t, limit)
    return violations(
        runs,
        subject_type="staff",
        subject_id=runs.owner,
        staff_id=runs.owner,
        date=runs.first,
        evidence=_run_evidence(runs, "peer specialists supervised", limit),
    )


# --- training -------------------------------------------------------------------------------


def _requirements(p: Params, due_key: str) -> list[tuple[str, float, int, tuple[str, ...]]]:
    """The pack's training requirements due in the given way: (id, hours, N, roles)."""
    out: list[tuple[str, float, int, tuple[str, ...]]] = []
    for item in p.records("training.requirements"):
        due = item.get("due")
        if not isinstance(due, Mapping) or due.get(due_key) is None:
            continue
        who = str(item.get("who") or "all")
        roles = WHO_ROLES.get(who, (who,))
        hours = item.get("hours")
        if not isinstance(hours, int | float) or isinstance(hours, bool):
            raise TypeError(f"training requirement {item.get('id')!r}: hours {hours!r}")
        out.append((str(item["id"]), float(hours), int(str(due[due_key])), roles))
    return out


def _union(parts: list[ir.Table], t: Tables) -> ir.Table:
    if not parts:
        return _nothing(t)
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out


@rule(
    id="TRAINING.INITIAL_DEADLINES",
    about="staff",
    title="Required training finished on time after hire",
    category="training",
    severity="warn",
    cites="training.requirements",
    explanation="New peer specialists and supervisors must finish set trainings within a "
    "number of days of being hired (in North Carolina: policy, crisis planning, person-"
    "centered plan and documentation within 30 days; motivational interviewing, person-"
    "centered thinking and crisis response within 90 days; supervisors also a course on "
    "supervising peer support).",
    fix="Schedule the missing training as soon as possible and record the hours and the date "
    "it was finished. Until then, check with the program supervisor whether this staff "
    "member should keep giving the service.",
)
def initial_training(t: Tables, p: Params) -> ir.Table:
    parts: list[ir.Table] = []
    for req_id, hours, days, roles in _requirements(p, "days_after_hire"):
        staff = t.staff.filter(t.staff.role.isin(roles) & t.staff.hire_date.notnull())
        staff = _with_context(staff.mutate(deadline=_days_after(staff.hire_date, days)), t)
        staff = staff.mutate(overdue=_days_after(staff.deadline, 1))
        staff = staff.filter(
            (staff.overdue <= staff.as_of)
            & (staff.end_date.isnull() | (staff.end_date > staff.deadline))
        )
        done = t.trainings.filter(t.trainings.topic == req_id)
        joined = staff.left_join(done, staff.staff_id == done.staff_id)
        in_time = (joined.completed_on <= joined.deadline).ifelse(joined.hours, 0.0)
        before_period = (joined.completed_on < joined.period_start).ifelse(joined.hours, 0.0)
        sums = joined.group_by(
            [joined.staff_id, joined.deadline, joined.overdue, joined.period_start]
        ).aggregate(
            by_deadline=in_time.sum().fill_null(0.0),
            by_period=before_period.sum().fill_null(0.0),
        )
        # Missed inside the period, or missed earlier and still not made up when the period
        # starts (an audit of this period must still see it).
        in_period = sums.overdue >= sums.period_start
        short = sums.filter(
            (in_period & (sums.by_deadline < hours)) | (~in_period & (sums.by_period < hours))
        )
        parts.append(
            violations(
                short,
                subject_type="staff",
                subject_id=short.staff_id,
                staff_id=short.staff_id,
                date=(short.overdue >= short.period_start).ifelse(
                    short.overdue, short.period_start
                ),
                evidence=text(
                    f"{req_id}: ",
                    short.by_deadline.round(2),
                    f" of {_hours(hours)} hours done by ",
                    short.deadline,
                    f" ({days} days after hire)",
                ),
            )
        )
    return _union(parts, t)


@rule(
    id="TRAINING.CONTINUING_EDUCATION",
    about="staff",
    title="Yearly continuing education",
    category="training",
    severity="warn",
    cites="training.requirements",
    explanation="Staff must complete a number of continuing-education hours in every year of "
    "service to keep their certification current (10 hours in North Carolina; 40 hours in "
    "South Carolina). Years are counted from the hire date.",
    fix="Record every continuing-education session with its hours and date. Plan the missing "
    "hours with the staff member now, and check that their certification is still current.",
)
def continuing_education(t: Tables, p: Params) -> ir.Table:
    parts: list[ir.Table] = []
    for req_id, hours, months, roles in _requirements(p, "every_months"):
        if months <= 0:
            continue
        staff = t.staff.filter(t.staff.role.isin(roles) & t.staff.hire_date.notnull())
        staff = _with_context(staff, t)

        # The periods that may end inside the evaluated period: from one before the period
        # containing period_start to the one containing as_of (exact bounds filtered below).
        def months_since(day: ir.DateValue, hired: ir.DateValue) -> ir.IntegerValue:
            span: ir.IntegerValue = (day.year() - hired.year()) * 12 + (day.month() - hired.month())
            return span.cast("int64")

        lo = ibis.greatest(months_since(staff.period_start, staff.hire_date) // months - 1, 0)
        hi = months_since(staff.as_of, staff.hire_date) // months + 1
        bounded = staff.mutate(k_lo=lo, k_hi=hi)
        periods = bounded.cross_join(t.numbers).filter(lambda r: (r.n >= r.k_lo) & (r.n < r.k_hi))
        periods = periods.mutate(k=periods.n)
        periods = periods.mutate(
            p_from=_months_after(periods.hire_date, periods.k * months),
            p_to=_day_before(_months_after(periods.hire_date, (periods.k + 1) * months)),
        )
        overdue = _days_after(periods.p_to, 1)
        periods = periods.filter(
            _overdue_in_period(periods, overdue)
            & (periods.end_date.isnull() | (periods.end_date > periods.p_to))
        )
        done = t.trainings.filter(t.trainings.topic == req_id)
        joined = periods.left_join(
            done,
            (periods.staff_id == done.staff_id)
            & (done.completed_on >= periods.p_from)
            & (done.completed_on <= periods.p_to),
        )
        sums = joined.group_by([joined.staff_id, joined.p_from, joined.p_to]).aggregate(
            done=joined.hours.sum().fill_null(0.0)
        )
        short = sums.filter(sums.done < hours)
        parts.append(
            violations(
                short,
                subject_type="staff",
                subject_id=short.staff_id,
                staff_id=short.staff_id,
                date=_days_after(short.p_to, 1),
                evidence=text(
                    f"{req_id}: ",
                    short.done.round(2),
                    f" of {_hours(hours)} hours from ",
                    short.p_from,
                    " to ",
                    short.p_to,
                ),
            )
        )
    return _union(parts, t)


# --- supervisor contacts with each person ---------------------------------------------------


def _face_to_face(t: Tables) -> ir.Table:
    return t.supervisor_contacts.filter(t.supervisor_contacts.kind == FACE_TO_FACE)


@rule(
    id="SUPERVISION.FIRST_CONTACT",
    title="Supervisor meets the person soon after peer support starts",
    category="supervision",
    severity="warn",
    cites="supervision.first_contact_days",
    explanation="The program supervisor meets each person face to face within a set number "
    "of days after their peer support begins (30 days in North Carolina), to check that the "
    "service is helping and that the plan fits what the person wants.",
    fix="Schedule a face-to-face meeting between the person and the program supervisor, and "
    "record it as a supervisor contact.",
)
def first_contact(t: Tables, p: Params) -> ir.Table:
    days = p.int("supervision.first_contact_days")
    first = first_notes(t)
    first = _with_context(first.mutate(due=_days_after(first.first_date, days)), t)
    first = first.filter(_overdue_in_period(first, _days_after(first.due, 1)))
    met = _face_to_face(t)
    first = first.anti_join(met, (first.person_id == met.person_id) & (met.date <= first.due))
    first = _still_admitted(first, t, "first_date", "due")
    return violations(
        first,
        subject_type="person",
        subject_id=first.person_id,
        person_id=first.person_id,
        date=_days_after(first.due, 1),
        evidence=text(
            "peer support began ",
            first.first_date,
            "; no face-to-face supervisor contact by ",
            first.due,
            f" ({days} days)",
        ),
    )


@rule(
    id="SUPERVISION.CONTACT_INTERVAL",
    title="Supervisor meets the person regularly",
    category="supervision",
    severity="warn",
    cites="supervision.contact_interval_days",
    explanation="After the first meeting, the program supervisor meets each person face to "
    "face at least every so many days (every 60 days in North Carolina) while they receive "
    "peer support, to follow their progress.",
    fix="Schedule the next face-to-face meeting between the person and the program "
    "supervisor, and record it as a supervisor contact. Put the following one on the "
    "calendar before the interval runs out.",
)
def contact_interval(t: Tables, p: Params) -> ir.Table:
    days = p.int("supervision.contact_interval_days")
    met = _face_to_face(t)
    met = met.select(met.person_id, met.date).distinct()
    met = met.mutate(next_date=met.date.lead().over(group_by=met.person_id, order_by=met.date))
    met = _with_context(met.mutate(due=_days_after(met.date, days)), t)
    met = met.filter(
        _overdue_in_period(met, _days_after(met.due, 1))
        & (met.next_date.isnull() | (met.next_date > met.due))
    )
    # The last contact is overdue only while the person is still being served.
    notes = judged_notes(t)
    served = met.semi_join(
        notes,
        (met.person_id == notes.person_id) & (notes.date > met.date) & (notes.date <= met.as_of),
    )
    met = met.filter(met.next_date.notnull()).union(served.filter(served.next_date.isnull()))
    met = _still_admitted(met, t, "date", "due")
    gap = (met.next_date - met.date).cast("int64")
    return violations(
        met,
        subject_type="person",
        subject_id=met.person_id,
        person_id=met.person_id,
        date=_days_after(met.due, 1),
        evidence=ibis.cases(
            (
                met.next_date.notnull(),
                text(
                    "face-to-face supervisor contacts on ",
                    met.date,
                    " and ",
                    met.next_date,
                    ": ",
                    gap,
                    f" days apart; at most {days}",
                ),
            ),
            else_=text(
                "last face-to-face supervisor contact ",
                met.date,
                "; next was due by ",
                met.due,
                f" (every {days} days)",
            ),
        ),
    )


# --- professional evaluations (SC: the MHP) -------------------------------------------------


@rule(
    id="EVALUATION.FIRST",
    title="First professional evaluation on time",
    category="evaluation",
    severity="warn",
    cites="evaluation.first_due_months",
    explanation="A mental health professional evaluates each person's recovery and the focus "
    "of their peer support no later than a set number of months after admission (6 months "
    "in South Carolina).",
    fix="Schedule the evaluation with the mental health professional and the person, and "
    "record it with its date.",
)
def first_evaluation(t: Tables, p: Params) -> ir.Table:
    months = p.int("evaluation.first_due_months")
    eps = t.episodes.filter(t.episodes.start.notnull())
    eps = _with_context(eps.mutate(due=_months_after(eps.start, months)), t)
    eps = eps.filter(
        _overdue_in_period(eps, _days_after(eps.due, 1)) & (eps.end.isnull() | (eps.end > eps.due))
    )
    ev = t.evaluations
    late = eps.anti_join(
        ev,
        (eps.person_id == ev.person_id) & (ev.date >= eps.start) & (ev.date <= eps.due),
    )
    return violations(
        late,
        subject_type="person",
        subject_id=late.person_id,
        person_id=late.person_id,
        date=_days_after(late.due, 1),
        evidence=text(
            "admitted ",
            late.start,
            " (episode ",
            late.episode_id,
            "); no evaluation by ",
            late.due,
            f" ({months} months)",
        ),
    )


@rule(
    id="EVALUATION.ANNUAL",
    needs=("evaluations",),
    title="Professional evaluation repeated on time",
    category="evaluation",
    severity="warn",
    cites="evaluation.interval_months",
    explanation="After the first evaluation, a mental health professional evaluates the "
    "person again at least every so many months (every 12 months in South Carolina) while "
    "they receive peer support.",
    fix="Schedule the next evaluation with the mental health professional and the person, "
    "and record it with its date.",
)
def annual_evaluation(t: Tables, p: Params) -> ir.Table:
    months = p.int("evaluation.interval_months")
    ev = t.evaluations.select(t.evaluations.person_id, t.evaluations.date).distinct()
    ev = ev.mutate(next_date=ev.date.lead().over(group_by=ev.person_id, order_by=ev.date))
    # Each evaluation in the episode it belongs to (the latest one, should two overlap);
    # evaluations outside every episode are not judged here.
    eps = t.episodes
    inside = ev.join(
        eps,
        (ev.person_id == eps.person_id)
        & (eps.start <= ev.date)
        & (eps.end.isnull() | (ev.date <= eps.end)),
    ).select(
        person_id=ev.person_id,
        date=ev.date,
        next_date=ev.next_date,
        episode_id=eps.episode_id,
        ep_start=eps.start,
        ep_end=eps.end,
    )
    inside = first_per(inside, ["person_id", "date"], ibis.desc(inside.ep_start))
    inside = _with_context(inside.mutate(due=_months_after(inside.date, months)), t)
    late = inside.filter(
        _overdue_in_period(inside, _days_after(inside.due, 1))
        & (inside.next_date.isnull() | (inside.next_date > inside.due))
        & (inside.ep_end.isnull() | (inside.ep_end > inside.due))
    )
    return violations(
        late,
        subject_type="person",
        subject_id=late.person_id,
        person_id=late.person_id,
        date=_days_after(late.due, 1),
        evidence=text(
            "evaluation on ",
            late.date,
            "; next was due by ",
            late.due,
            f" ({months} months); ",
            ibis.cases(
                (late.next_date.notnull(), text("next on ", late.next_date)),
                else_=ibis.literal("none since"),
            ),
        ),
    )
