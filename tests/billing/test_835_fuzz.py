"""Fuzzing the 835 reader: any bytes at all, and any damage to a real 835, give either a
posted file or a refusal that says where (segment number, or the file as a whole with the
byte offset), never another exception; and a refusal leaves the database as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerpath.audit.models import ChangeRecord
from peerpath.billing.models import (
    Adjustment,
    ClaimLine,
    ClaimPayment,
    LinePayment,
    Payment,
    RemittanceFile,
)
from peerpath.billing.remittance import post_remittance
from peerpath.billing.x12.remit import decode_835
from peerpath.billing.x12.remit_builder import build_835_from_837
from peerpath.billing.x12.tokens import X12Error
from tests.billing.test_remittance_posting import OUTCOMES, sent  # noqa: F401

MODELS = (RemittanceFile, Payment, ClaimPayment, LinePayment, Adjustment, ChangeRecord)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def state() -> tuple[object, ...]:
    counts = tuple(m.objects.count() for m in MODELS)
    lines = tuple(ClaimLine.objects.order_by("pk").values_list("status", "paid_amount"))
    return counts, lines


def post_or_refuse(actor, data: bytes) -> None:
    before = state()
    try:
        post_remittance(actor=actor, text=decode_835(data), file_name="fuzz.835")
    except X12Error as error:
        assert error.problems
        for problem in error.problems:
            assert problem.reason
            assert problem.position is not None or str(problem).startswith("file: ")
        assert state() == before, "a refused file changed the database"


@FUZZ
@given(data=st.binary(max_size=3000))
def test_any_bytes_are_posted_or_refused_saying_where(sent, data) -> None:  # noqa: F811
    actor, _, _ = sent
    post_or_refuse(actor, data)


EDITS = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1, allow_nan=False),
        st.sampled_from(["delete", "insert", "replace", "duplicate"]),
        st.binary(min_size=1, max_size=12)
        | st.sampled_from([b"*", b"~", b":", b"^", b"9" * 60, b"-1", b"1E99", b"\x00", b"\xff"]),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(edits=EDITS)
def test_a_damaged_real_835_is_posted_or_refused_saying_where(sent, edits) -> None:  # noqa: F811
    actor, _, text = sent
    data = bytearray(build_835_from_837(text, OUTCOMES, trace_number="EFT1", method="ACH").encode())
    for where, op, chunk in edits:
        i = int(where * len(data))
        if op == "delete":
            del data[i : i + len(chunk)]
        elif op == "insert":
            data[i:i] = chunk
        elif op == "replace":
            data[i : i + len(chunk)] = chunk
        else:
            data[i:i] = data[max(0, i - 40) : i]
    post_or_refuse(actor, bytes(data))
