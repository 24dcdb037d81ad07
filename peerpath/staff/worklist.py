"""The board's due items as a worklist: filtered by peer specialist, kind of item and
urgency, sorted, in pages. The items, their due dates and citations are the policy
engine's (`peerpath.policy.api.due_lists`, gathered by `team_board`); this module only
filters and orders what the engine gave."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from peerpath.policy.api import DUE_KINDS, DueItem

from .models import StaffMember
from .selectors import Board

PER_PAGE = 15
WHEN = (("", "Overdue and due soon"), ("overdue", "Overdue"), ("soon", "Due soon"))
SORTS = (("due", "Due date"), ("person", "Name"), ("kind", "Kind of item"))
KIND_TITLES = dict(DUE_KINDS)


@dataclass(frozen=True)
class Filters:
    peer: int | None = None
    kind: str = ""
    when: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str], board: Board) -> tuple[Filters, list[str]]:
        """The filters asked for, and a plain message for each value that was not one of
        the choices (that filter is then left off)."""
        errors: list[str] = []
        peers = {m.staff.pk for m in board.members}
        raw_peer = query.get("peer", "")
        peer = int(raw_peer) if raw_peer.isdigit() and int(raw_peer) in peers else None
        if raw_peer and peer is None:
            errors.append("Peer specialist: choose one on this team.")
        kind = query.get("kind", "")
        if kind not in KIND_TITLES:
            if kind:
                errors.append("Kind: choose one of the kinds listed.")
            kind = ""
        when = query.get("when", "")
        if when not in dict(WHEN):
            errors.append("Show: choose overdue or due soon.")
            when = ""
        sort = query.get("sort", "due")
        if sort not in dict(SORTS):
            errors.append("Sort: choose due date, name or kind.")
            sort = "due"
        raw_page = query.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        return cls(peer, kind, when, sort, page), errors

    def query(self, **changes: object) -> str:
        """The query string of these filters with `changes` (for links: pages, chips)."""
        from urllib.parse import urlencode

        values: dict[str, object] = {
            "peer": self.peer or "",
            "kind": self.kind,
            "when": self.when,
            "sort": self.sort if self.sort != "due" else "",
            "page": self.page if self.page != 1 else "",
        }
        values.update({k: ("" if v is None else v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass(frozen=True)
class Row:
    """One due item with whom it concerns on the team."""

    item: DueItem
    kind_title: str
    peer: StaffMember | None

    @property
    def name(self) -> str:
        if self.item.person is not None:
            return self.item.person.display_name
        return self.item.staff.full_name if self.item.staff is not None else ""


@dataclass
class Worklist:
    filters: Filters
    page: Page[Row]
    total: int
    by_kind: list[tuple[str, str, int, int]]  # kind, title, items, overdue (peer filter only)
    overdue: int
    soon: int


def worklist(board: Board, filters: Filters, *, per_page: int = PER_PAGE) -> Worklist:
    """The board's due items with the filters applied, sorted, and the page asked for."""
    peer_of_person = {row.person.pk: m.staff for m in board.members for row in m.people}
    members = {m.staff.pk: m.staff for m in board.members}
    rows: list[Row] = []
    for due in board.due:
        for item in due.items:
            if item.person is not None:
                peer = peer_of_person.get(item.person.pk)
            else:
                peer = members.get(item.staff.pk) if item.staff is not None else None
            rows.append(Row(item, due.title, peer))
    if filters.peer is not None:
        rows = [r for r in rows if r.peer is not None and r.peer.pk == filters.peer]
    by_kind = [
        (
            kind,
            title,
            sum(1 for r in rows if r.item.kind == kind),
            sum(1 for r in rows if r.item.kind == kind and r.item.overdue),
        )
        for kind, title in DUE_KINDS
    ]
    if filters.kind:
        rows = [r for r in rows if r.item.kind == filters.kind]
    overdue = sum(1 for r in rows if r.item.overdue)
    soon = len(rows) - overdue
    if filters.when == "overdue":
        rows = [r for r in rows if r.item.overdue]
    elif filters.when == "soon":
        rows = [r for r in rows if not r.item.overdue]
    keys = {
        "due": lambda r: (r.item.due, r.name, r.item.what),
        "person": lambda r: (r.name.lower(), r.item.due, r.item.what),
        "kind": lambda r: ([k for k, _ in DUE_KINDS].index(r.item.kind), r.item.due, r.name),
    }
    rows.sort(key=keys[filters.sort])
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(filters.page)
    return Worklist(filters, page, len(rows), by_kind, overdue, soon)


def days_of(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
