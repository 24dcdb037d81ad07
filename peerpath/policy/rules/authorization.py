"""Rules about authorizations and units: every billed contact inside an approved
authorization (or the unmanaged units), no more units than approved or than a state's cap,
and a continued-stay request backed by documented progress.

Units are each note's units as the engine counts them for every screen and claim
(`note_units`: by the unit rule of the contract variant judging the note's day). Running
totals are taken in the order the contacts happened: date, then start time, then note id.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from peerpath.policy.rules.base import Params, rule, text, violations
from peerpath.policy.rules.common import (
    active_on,
    clock,
    counted_notes,
    first_per,
    judged_notes,
    note_violations,
    shift_date,
)
from peerpath.policy.tables import Tables

# Authorizations that allow service: the payer approved them, in full or in part.
APPROVED = ("approved", "partial")


def _units(t: Tables, p: Params) -> ir.Table:
    """Judged notes with their units (a note with missing times, or on a day no pack
    judges, counts 0 units): note_id, person_id, staff_id, date, start_min, units."""
    return counted_notes(t).drop("modality", "counted")


def _fiscal_year(day: ir.DateValue, start_month: int) -> ir.IntegerValue:
    """The calendar year in which the state fiscal year containing `day` began."""
    if start_month <= 1:
        return day.year().cast("int64")
    return (day.year() - (day.month() < start_month).ifelse(1, 0)).cast("int64")


def _start_month(p: Params) -> int:
    value = p["fiscal_year.start_month"]
    if value is None:
        return 1
    month = int(str(value))
    if not 1 <= month <= 12:
        raise ValueError(f"parameter 'fiscal_year.start_month' is not a month: {value!r}")
    return month


def _window_text(p: Params) -> str:
    value = p["authorization.unmanaged_window"]
    return "" if value is None else str(value)


@rule(
    id="AUTH.NOTE_COVERED",
    per_person=True,
    needs=("notes",),
    title="Inside an approved authorization",
    category="authorization",
    severity="deny",
    cites="authorization.prior_approval_required",
    params=(
        "authorization.unmanaged_units",
        "authorization.unmanaged_window",
        "fiscal_year.start_month",
    ),
    explanation="Peer support needs the payer's approval before it is given. A contact on a "
    "day no approved authorization covers is not billable, beyond the few unmanaged units "
    "some policies allow without approval (in NC 8G: 24 units per episode of care per state "
    "fiscal year).",
    fix="Check the authorization dates for this person. If the contact really happened "
    "outside them, request an authorization (or a retro review if the payer allows one); "
    "plan the next contacts inside an approved period.",
)
def note_covered(t: Tables, p: Params) -> ir.Table:
    notes = _units(t, p)
    auths = t.authorizations.filter(t.authorizations.status.isin(APPROVED))
    covered = (
        notes.join(
            auths,
            (notes.person_id == auths.person_id) & active_on(auths.start, auths.end, notes.date),
        )
        .select(note_id=notes.note_id)
        .distinct()
    )
    outside = notes.anti_join(covered, notes.note_id == covered.note_id)
    allowance = p["authorization.unmanaged_units"]
    if not isinstance(allowance, int) or isinstance(allowance, bool) or allowance <= 0:
        # No unmanaged units: every contact outside an authorization is a finding.
        return note_violations(
            outside,
            evidence=text("no approved authorization covers ", outside.date),
        )

    window = _window_text(p)
    group_by = ["person_id"]
    if "fiscal_year" in window:
        outside = outside.mutate(fiscal_year=_fiscal_year(outside.date, _start_month(p)))
        group_by.append("fiscal_year")
    if "episode" in window:
        # The episode of care containing the note (the latest, should two overlap); notes
        # outside every episode share one count.
        eps = t.episodes
        in_episode = outside.join(
            eps,
            (outside.person_id == eps.person_id) & active_on(eps.start, eps.end, outside.date),
        ).select(note_id=outside.note_id, episode_id=eps.episode_id, ep_start=eps.start)
        in_episode = first_per(
            in_episode,
            "note_id",
            ibis.desc(in_episode.ep_start),
            ibis.desc(in_episode.episode_id),
        ).drop("ep_start")
        outside = outside.left_join(in_episode, outside.note_id == in_episode.note_id).drop(
            "note_id_right"
        )
        group_by.append("episode_id")
    running = outside.units.sum().over(
        ibis.cumulative_window(
            group_by=[outside[c] for c in group_by],
            order_by=[outside.date, outside.start_min, outside.note_id],
        )
    )
    counted = outside.mutate(used=running)
    bad = counted.filter((counted.used > allowance) & (counted.units > 0))
    return note_violations(
        bad,
        evidence=text(
            "no approved authorization covers ",
            bad.date,
            "; unmanaged units used ",
            bad.used,
            f" of {allowance}",
            f" ({window.replace('_', ' ')})" if window else "",
        ),
    )


@rule(
    id="AUTH.UNITS_EXCEEDED",
    per_person=True,
    needs=("notes", "authorizations"),
    title="Within the units approved",
    category="units",
    severity="deny",
    cites="authorization.prior_approval_required",
    explanation="An authorization approves a number of units for its dates. Contacts beyond "
    "that number are not billable under it.",
    fix="Ask the payer for more units (a concurrent review) before using them, with the "
    "person's progress toward their plan goals; until then, plan contacts within the units "
    "left.",
)
def units_exceeded(t: Tables, p: Params) -> ir.Table:
    notes = _units(t, p)
    auths = t.authorizations.filter(
        t.authorizations.status.isin(APPROVED) & t.authorizations.units_approved.notnull()
    )
    inside = notes.join(
        auths,
        (notes.person_id == auths.person_id) & active_on(auths.start, auths.end, notes.date),
    ).select(
        note_id=notes.note_id,
        person_id=notes.person_id,
        date=notes.date,
        start_min=notes.start_min,
        units=notes.units,
        auth_id=auths.auth_id,
        auth_start=auths.start,
        approved=auths.units_approved,
    )
    # Overlapping authorizations: a note counts once, toward the earliest-starting one that
    # covers it (ties: the lower authorization id), so units are never counted twice.
    inside = first_per(inside, "note_id", inside.auth_start, inside.auth_id)
    running = inside.units.sum().over(
        ibis.cumulative_window(
            group_by=inside.auth_id, order_by=[inside.date, inside.start_min, inside.note_id]
        )
    )
    counted = inside.mutate(used=running)
    over = counted.filter(counted.used > counted.approved)
    first = over.group_by([over.auth_id, over.person_id, over.approved]).aggregate(
        date=over.date.min(), used=over.used.max()
    )
    return violations(
        first,
        subject_type="authorization",
        subject_id=first.auth_id,
        person_id=first.person_id,
        date=first.date,
        evidence=text(
            first.used, " units used of ", first.approved, " approved (over from ", first.date, ")"
        ),
    )


def _cap(p: Params) -> Mapping[str, object] | None:
    value = p["units.cap"]
    if isinstance(value, Mapping) and value.get("window") == "rolling_months":
        return value
    return None


def _cap_number(cap: Mapping[str, object], key: str) -> int:
    value = cap.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TypeError(f"parameter 'units.cap' needs a positive whole {key!r}, got {value!r}")
    return value


def _used_since_cut(notes: ir.Table, by_day: ir.Table) -> ir.Table:
    """UNITS.CAP's units used since each note's cut, without an as-of join (SQLite, Spark):
    in one ordered pass, each day's closing total and each note's cut are put in one stream
    per person, ordered by date (a day before a cut on the same date), and a running maximum
    of the closing totals (they only grow) read at each cut."""
    no_id = ibis.null().cast("int64")
    events = by_day.select(
        person_id=by_day.person_id,
        at=by_day.date,
        seq=ibis.literal(0),
        note_id=no_id,
        day_total=by_day.day_total.cast("int64"),
    ).union(
        notes.select(
            person_id=notes.person_id,
            at=notes.cut,
            seq=ibis.literal(1),
            note_id=notes.note_id,
            day_total=no_id,
        ),
        distinct=False,
    )
    events = events.mutate(
        before=events.day_total.max().over(
            ibis.cumulative_window(group_by=events.person_id, order_by=[events.at, events.seq])
        )
    )
    at_cut = events.filter(events.seq == 1).select(cut_note=events.note_id, before=events.before)
    joined = notes.left_join(at_cut, notes.note_id == at_cut.cut_note)
    return _used(joined, joined.before)


def _used(notes: ir.Table, before: ir.IntegerValue) -> ir.Table:
    """Each note with its running total less `before` (the total at the end of the last
    day on or before its cut; none: 0) as `used`."""
    return notes.select(
        note_id=notes.note_id,
        person_id=notes.person_id,
        staff_id=notes.staff_id,
        date=notes.date,
        units=notes.units,
        cut=notes.cut,
        used=notes.total - before.fill_null(0),
    )


@rule(
    id="UNITS.CAP",
    per_person=True,
    needs=("notes",),
    title="Within the units cap",
    category="units",
    severity="deny",
    cites="units.cap",
    # Only a rolling-months cap is checked (Texas: 104 units per rolling 6 months).
    applies=lambda p: _cap(p) is not None,
    explanation="The policy caps the units a person may receive in a rolling number of "
    "months (in Texas: 104 units in any 6 months). Units beyond the cap need a further "
    "finding of medical necessity.",
    fix="Count the person's units in the months before this contact. If more are needed, "
    "document the medical necessity and get the extra units approved first.",
)
def units_cap(t: Tables, p: Params) -> ir.Table:
    cap = _cap(p)
    assert cap is not None  # guarded by `applies`
    limit, months = _cap_number(cap, "units"), _cap_number(cap, "months")
    notes = _units(t, p)
    # The window of a note dated D holds the notes dated after the same day `months` months
    # before D (the "cut"), up to D: for a note on 15 July with 6 months, 16 January to
    # 15 July. (A day missing in the earlier month is its last day: 6 months before 31 August
    # is 28/29 February, so that window opens on 1 March.) Notes on D itself count up to and
    # including this one (start time, then note id), so the earlier contacts of a day are not
    # blamed for a later one.
    #
    # Computed as the person's running total of units at this note, less the running total
    # at the end of the last day on or before the cut. No note is paired with every other
    # in its window.
    running = notes.units.sum().over(
        ibis.cumulative_window(
            group_by=notes.person_id, order_by=[notes.date, notes.start_min, notes.note_id]
        )
    )
    notes = notes.mutate(total=running, cut=shift_date(notes.date, months=-months))
    by_day = notes.group_by([notes.person_id, notes.date]).aggregate(day_total=notes.total.max())
    if t.as_of_join:
        # Where the engine has an as-of join (DuckDB), each note is joined to its person's
        # last day on or before the cut: the same figure as the ordered pass (held to it by
        # tests/policy/test_units_cap_forms.py) without a stream of twice the notes sorted
        # again (an audit of ten million claim lines: its rules 2.3 of 17 CPU seconds less).
        day = by_day.select(
            day_person=by_day.person_id, day=by_day.date, day_total=by_day.day_total
        )
        at_cut = notes.asof_join(
            day, on=notes.cut >= day.day, predicates=[notes.person_id == day.day_person]
        )
        joined = _used(at_cut, at_cut.day_total)
    else:
        joined = _used_since_cut(notes, by_day)
    bad = joined.filter((joined.used > limit) & (joined.units > 0))
    return note_violations(
        bad,
        evidence=text(
            bad.used,
            " units from ",
            shift_date(bad.cut, days=1),
            " to ",
            bad.date,
            f" (rolling {months} months); cap {limit}",
        ),
    )


@rule(
    id="UNITS.SAME_PERSON_OVERLAP",
    per_person=True,
    needs=("notes",),
    title="One contact at a time for a person",
    category="units",
    severity="deny",
    cites="units.minutes_per_unit",
    explanation="A person cannot receive two billed peer support contacts at the same time. "
    "This note's time overlaps another note for the same person on the same day.",
    fix="Check the start and end times of both notes and correct the wrong one. If the two "
    "contacts were really one, keep one note and bill its time once.",
)
def same_person_overlap(t: Tables, p: Params) -> ir.Table:
    later = judged_notes(t)
    other = later.view()
    hit = later.join(
        other,
        (later.person_id == other.person_id)
        & (later.date == other.date)
        & (later.note_id != other.note_id)
        & (later.start_min < other.end_min)
        & (other.start_min < later.end_min)
        # `later` starts after `other` (ties: the higher note id is the later one).
        & (
            (later.start_min > other.start_min)
            | ((later.start_min == other.start_min) & (later.note_id > other.note_id))
        ),
    ).select(
        note_id=later.note_id,
        person_id=later.person_id,
        staff_id=later.staff_id,
        date=later.date,
        other_id=other.note_id,
        other_start=other.start_min,
        other_end=other.end_min,
    )
    bad = hit.group_by([hit.note_id, hit.person_id, hit.staff_id, hit.date]).aggregate(
        other_id=hit.other_id.min(),
        other_start=hit.other_start.argmin(hit.other_id),
        other_end=hit.other_end.argmin(hit.other_id),
    )
    return note_violations(
        bad,
        evidence=text(
            "overlaps note ", bad.other_id, " ", clock(bad.other_start), "-", clock(bad.other_end)
        ),
    )


@rule(
    id="CONTINUED_STAY.PROGRESS_DOCUMENTED",
    per_person=True,
    needs=("authorizations",),
    title="Continued stay backed by documented progress",
    category="continued-stay",
    severity="warn",
    cites="continued_stay.criteria",
    params=("continued_stay.progress_lookback_days",),
    applies=lambda p: (
        "progress_documented" in p.codes("continued_stay.criteria")
        and isinstance(p["continued_stay.progress_lookback_days"], int)
    ),
    explanation="A request to continue peer support must be supported by notes showing the "
    "person's progress toward the goals in their plan. No signed note was written in the "
    "look-back period (a pack parameter) before this authorization starts.",
    fix="Before asking to continue, make sure recent signed notes describe what the person "
    "worked on and how they are doing on their plan goals; send them with the request.",
)
def progress_documented(t: Tables, p: Params) -> ir.Table:
    a = t.authorizations
    asks = a.filter((a.kind == "concurrent") & a.status.isin([*APPROVED, "requested"]))
    notes = t.notes.filter(t.notes.status == "signed")
    lookback = p.int("continued_stay.progress_lookback_days")
    since = shift_date(asks.start, days=-lookback)
    backed = (
        asks.join(
            notes,
            (asks.person_id == notes.person_id) & (notes.date >= since) & (notes.date < asks.start),
        )
        .select(auth_id=asks.auth_id)
        .distinct()
    )
    bad = asks.anti_join(backed, asks.auth_id == backed.auth_id)
    return violations(
        bad,
        subject_type="authorization",
        subject_id=bad.auth_id,
        person_id=bad.person_id,
        date=ibis.coalesce(bad.requested_on, bad.start),
        evidence=text(
            f"no signed note in the {lookback} days before the start on ",
            bad.start,
            " (from ",
            shift_date(bad.start, days=-lookback),
            "): no documented progress toward plan goals before the request",
        ),
    )
