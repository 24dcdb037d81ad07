"""The policy engine's public face for screens, billing, reports, the API and the demo.

Code outside `peerpath.policy` asks these functions and never picks a pack, counts units,
head-counts a caseload or computes a due date itself: one policy truth. Each answer comes
from the same packs, contract overrides and unit rules that the rules read, so a figure on
a page and a finding about the same record cannot disagree.

    pack_in_force(person_id, on)        the pack (with its contract's overrides) judging a day
    packs_in_force(person_ids, on)      the same for many people, in two queries
    figure(person_id, key, on)          one cited figure as it applies to that person
    units_for_minutes(person_id, on, m) billable units of a contact of m minutes
    authorization_units(ids, on=...)    units used and left on each authorization
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .engine import Citation, citation_for
from .parameters import NoPackForDate, Override, Pack, load_packs, select_pack
from .units import pack_units

# Authorization statuses whose units may be used.
APPROVED_STATUSES = ("approved", "partial")


@dataclass(frozen=True)
class PackInForce:
    """The pack that judges a person's services on a day, with the payer contract's
    cited overrides applied. `contract` names the contract whose pack choice or figures
    apply (None: the state's pack as published)."""

    pack: Pack
    contract: str | None = None

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def title(self) -> str:
        return self.pack.title


@dataclass(frozen=True)
class Figure:
    """One figure as it applies: its value, the citation (which says when it is only
    assumed), and the values other sources give (shown, not enforced)."""

    key: str
    label: str
    value: object
    citation: Citation
    pack_id: str
    alternatives: tuple[tuple[object, str], ...] = ()

    @property
    def assumed(self) -> bool:
        return self.citation.confidence == "assumed"


@dataclass(frozen=True)
class AuthorizationUnits:
    authorization_id: int
    approved: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.approved is None else self.approved - self.used


def _contracts() -> tuple[
    dict[tuple[int, int], tuple[str, str]], dict[tuple[int, int], list[Override]]
]:
    """(agency, payer) -> (contract number, pack override) for contracts that choose the
    pack, and (agency, payer) -> the contract's figure overrides."""
    from peerpath.organizations.models import PayerContract

    from .checks import contract_overrides

    chosen = {
        (agency, payer): (number, pack)
        for agency, payer, number, pack in PayerContract.objects.exclude(pack_override="")
        .order_by("start")
        .values_list("agency_id", "payer_id", "number", "pack_override")
    }
    return chosen, contract_overrides()


def packs_in_force(person_ids: Iterable[int], on: dt.date) -> dict[int, PackInForce]:
    """The pack judging each person's services on `on`; people with no pack in force on
    that day (or no payer) are left out."""
    from peerpath.people.models import Person

    ids = list(person_ids)
    if not ids:
        return {}
    packs = load_packs()
    chosen, overrides = _contracts()
    out: dict[int, PackInForce] = {}
    for pid, agency, payer, state in (
        Person.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "agency_id", "payer_id", "payer__state")
    ):
        key = (agency, payer)
        contract: str | None = None
        if key in chosen and chosen[key][1] in packs and packs[chosen[key][1]].covers(on):
            contract, pack = chosen[key][0], packs[chosen[key][1]]
        else:
            try:
                pack = select_pack(packs, state or "", on)
            except NoPackForDate:
                continue
        if key in overrides:
            pack = pack.with_overrides(overrides[key])
            contract = contract or overrides[key][0].label.removeprefix("contract ")
        out[pid] = PackInForce(pack, contract)
    return out


def pack_in_force(person_id: int, on: dt.date) -> PackInForce | None:
    """The pack judging a person's services on `on`, or None when no pack is in force."""
    return packs_in_force([person_id], on).get(person_id)


def figure(person_id: int, key: str, on: dt.date) -> Figure | None:
    """A pack figure as it applies to the person on `on` (contract overrides included), or
    None when no pack is in force or the pack states nothing for that day."""
    chosen = pack_in_force(person_id, on)
    if chosen is None:
        return None
    pack = chosen.pack
    try:
        entry = pack.entry(key, on)
    except LookupError:
        return None
    return Figure(
        key=key,
        label=pack.param(key).label,
        value=entry.value,
        citation=citation_for(pack, key, on),
        pack_id=pack.id,
        alternatives=tuple(
            (a.value, f"{a.source.title}, {a.section} ({a.confidence})") for a in entry.alternatives
        ),
    )


def units_for_minutes(person_id: int, on: dt.date, minutes: int) -> int:
    """Billable units of a contact of `minutes` on `on`, by the unit length and rounding
    rule of the pack judging the person."""
    chosen = pack_in_force(person_id, on)
    return pack_units(minutes, chosen.pack if chosen else None, on)


def _minutes(start: dt.time, end: dt.time) -> int:
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def authorization_units(
    authorization_ids: Iterable[int], *, on: dt.date
) -> dict[int, AuthorizationUnits]:
    """Units used on each authorization (signed notes of the person within its dates,
    each rounded by the pack judging that day) and the units left, in three queries."""
    from peerpath.authorizations.models import Authorization
    from peerpath.services.models import ServiceNote

    auths = list(
        Authorization.objects.filter(pk__in=list(authorization_ids))
        .order_by()
        .values_list("pk", "person_id", "start", "end", "units_approved")
    )
    if not auths:
        return {}
    people = {a[1] for a in auths}
    since = min(a[2] for a in auths)
    until = max(a[3] for a in auths)
    notes: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for pid, day, begins, ends in (
        ServiceNote.objects.filter(
            person_id__in=people, status="signed", date__gte=since, date__lte=until
        )
        .order_by()
        .values_list("person_id", "date", "start_time", "end_time")
    ):
        notes[pid].append((day, _minutes(begins, ends)))
    chosen = packs_in_force(people, on)
    out: dict[int, AuthorizationUnits] = {}
    for pk, pid, start, end, approved in auths:
        pick = chosen.get(pid)
        pack = pick.pack if pick else None
        used = sum(pack_units(m, pack, day) for day, m in notes[pid] if start <= day <= end)
        out[pk] = AuthorizationUnits(pk, approved, used)
    return out
