"""The envelopes around every X12 transaction: ISA/IEA, GS/GE, ST/SE.

`read_envelope` splits a file's segments into its functional groups and transaction sets and
checks the envelope's own bookkeeping: every opener has its closer (a missing SE, GE or IEA
means the file was cut short), the counts in SE01, GE01 and IEA01 are right, and the control
numbers in each closer repeat the opener's. Cut-short files stop the reading at once; wrong
counts and control numbers are collected so one message lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peerpath.billing.x12.tokens import Problem, Segment, X12Error

_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


@dataclass(frozen=True)
class TransactionSpan:
    st: Segment
    se: Segment
    body: tuple[Segment, ...]  # the segments between ST and SE

    @property
    def control_number(self) -> str:
        return self.st.el(2)


@dataclass(frozen=True)
class GroupSpan:
    gs: Segment
    ge: Segment
    transactions: tuple[TransactionSpan, ...]

    @property
    def control_number(self) -> str:
        return self.gs.el(6)


@dataclass(frozen=True)
class Envelope:
    isa: Segment
    iea: Segment
    groups: tuple[GroupSpan, ...]


def _cut_short(last: Segment, what: str) -> X12Error:
    return last.error(f"the file ends here, without {what}: it was cut short")


def _same_number(a: str, b: str) -> bool:
    """Control numbers compare as numbers when both are digits (ISA13 is zero-padded, IEA02
    may not be), otherwise as text."""
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def read_envelope(
    segments: Sequence[Segment],
    *,
    transaction_set: str,
    functional_id: str,
    version_prefix: str,
) -> Envelope:
    """Check and split the envelope of a file holding one interchange of `transaction_set`
    (e.g. "835") transactions in functional groups `functional_id` (e.g. "HP") whose GS08
    version starts with `version_prefix` (e.g. "005010X221")."""
    problems: list[Problem] = []
    if not segments:
        raise X12Error([Problem(None, "", "the file has no segments")])
    isa = segments[0]
    if isa.id != "ISA":
        raise isa.error("an X12 file starts with ISA")
    if len(isa.elements) != 16:
        problems.append(isa.problem(f"ISA has {len(isa.elements)} elements, it needs 16"))
    n = len(segments)
    i = 1
    groups: list[GroupSpan] = []
    iea: Segment | None = None
    while i < n:
        seg = segments[i]
        if seg.id == "GS":
            group, i = _read_group(
                segments, i, transaction_set, functional_id, version_prefix, problems
            )
            groups.append(group)
        elif seg.id == "IEA":
            iea = seg
            i += 1
            break
        else:
            raise seg.error(
                f"{seg.id} is outside any functional group: after ISA only GS or IEA may come"
            )
    if iea is None:
        raise _cut_short(
            segments[-1],
            f"the IEA that closes interchange {isa.el(13).strip()} (ISA at segment 1)",
        )
    if i < n:
        extra = segments[i]
        raise extra.error(
            f"{extra.id} comes after the IEA that closed the interchange: a file holds one "
            "interchange"
        )
    if not groups:
        problems.append(iea.problem("the interchange holds no functional group (GS)"))
    if iea.el(1) != str(len(groups)):
        problems.append(
            iea.problem(
                f"IEA01 says {iea.el(1) or 'nothing'} functional groups, the interchange "
                f"holds {len(groups)}"
            )
        )
    if not _same_number(iea.el(2).strip(), isa.el(13).strip()):
        problems.append(
            iea.problem(
                f"IEA02 control number '{iea.el(2)}' does not match ISA13 "
                f"'{isa.el(13)}' (segment 1)"
            )
        )
    if problems:
        raise X12Error(problems)
    return Envelope(isa=isa, iea=iea, groups=tuple(groups))


def _read_group(
    segments: Sequence[Segment],
    i: int,
    transaction_set: str,
    functional_id: str,
    version_prefix: str,
    problems: list[Problem],
) -> tuple[GroupSpan, int]:
    n = len(segments)
    gs = segments[i]
    i += 1
    if gs.el(1) != functional_id:
        problems.append(
            gs.problem(f"GS01 is '{gs.el(1)}': a {transaction_set} group must be '{functional_id}'")
        )
    if not gs.el(8).startswith(version_prefix):
        problems.append(gs.problem(f"GS08 version is '{gs.el(8)}', expected {version_prefix}..."))
    transactions: list[TransactionSpan] = []
    while True:
        if i >= n:
            raise _cut_short(
                segments[-1],
                f"the GE that closes functional group {gs.el(6)} (GS at segment {gs.position})",
            )
        seg = segments[i]
        if seg.id == "ST":
            span, i = _read_transaction(segments, i, transaction_set, gs, problems)
            transactions.append(span)
        elif seg.id == "GE":
            ge = seg
            i += 1
            break
        elif seg.id in ("IEA", "GS", "ISA"):
            raise seg.error(
                f"{seg.id} comes before the GE that closes functional group {gs.el(6)} "
                f"(GS at segment {gs.position}): the group was cut short"
            )
        else:
            raise seg.error(
                f"{seg.id} is outside any transaction set: inside a group only ST or GE may come"
            )
    if ge.el(1) != str(len(transactions)):
        problems.append(
            ge.problem(
                f"GE01 says {ge.el(1) or 'nothing'} transaction sets, the group holds "
                f"{len(transactions)}"
            )
        )
    if not _same_number(ge.el(2), gs.el(6)):
        problems.append(
            ge.problem(
                f"GE02 control number '{ge.el(2)}' does not match GS06 '{gs.el(6)}' "
                f"(segment {gs.position})"
            )
        )
    return GroupSpan(gs=gs, ge=ge, transactions=tuple(transactions)), i


def _read_transaction(
    segments: Sequence[Segment],
    i: int,
    transaction_set: str,
    gs: Segment,
    problems: list[Problem],
) -> tuple[TransactionSpan, int]:
    n = len(segments)
    st = segments[i]
    i += 1
    if st.el(1) != transaction_set:
        problems.append(
            st.problem(f"ST01 is '{st.el(1)}': this reader takes {transaction_set} transactions")
        )
    if st.el(3) and st.el(3) != gs.el(8):
        problems.append(st.problem(f"ST03 '{st.el(3)}' differs from the group's GS08 '{gs.el(8)}'"))
    body: list[Segment] = []
    while True:
        if i >= n:
            raise _cut_short(
                segments[-1],
                f"the SE that closes transaction set {st.el(2)} (ST at segment {st.position})",
            )
        seg = segments[i]
        if seg.id == "SE":
            se = seg
            i += 1
            break
        if seg.id in _ENVELOPE_IDS:
            raise seg.error(
                f"{seg.id} comes before the SE that closes transaction set {st.el(2)} "
                f"(ST at segment {st.position}): the transaction was cut short"
            )
        body.append(seg)
        i += 1
    counted = len(body) + 2  # SE01 counts ST and SE too
    if se.el(1) != str(counted):
        problems.append(
            se.problem(
                f"SE01 says {se.el(1) or 'nothing'} segments, the transaction set has "
                f"{counted} (ST at segment {st.position} to this SE)"
            )
        )
    if se.el(2) != st.el(2):
        problems.append(
            se.problem(
                f"SE02 control number '{se.el(2)}' does not match ST02 '{st.el(2)}' "
                f"(segment {st.position})"
            )
        )
    return TransactionSpan(st=st, se=se, body=tuple(body)), i
