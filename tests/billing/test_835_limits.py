"""An 835 whose fields are longer than the standard allows (CLP07, TRN02, ST02) is refused,
naming the segment and field, instead of failing on the database's column width."""

from __future__ import annotations

import pytest

from peerpath.billing.models import Payment, RemittanceFile
from peerpath.billing.remittance import post_remittance
from peerpath.billing.x12.remit_builder import build_835_from_837
from peerpath.billing.x12.tokens import X12Error
from tests.billing.test_remittance_posting import OUTCOMES, sent  # noqa: F401


def _edit(text: str, tag: str, index: int, value: str) -> str:
    """Set element `index` of every `tag` segment."""
    out = []
    for seg in text.split("~"):
        parts = seg.strip("\n").split("*")
        if parts[0] == tag and len(parts) > index:
            parts[index] = value
            seg = "*".join(parts)
        out.append(seg)
    return "~".join(out)


@pytest.mark.parametrize(
    ("tag", "index", "name"),
    [("CLP", 7, "CLP07"), ("TRN", 2, "TRN02"), ("ST", 2, "ST02")],
)
def test_an_over_long_field_is_refused_naming_it(sent, tag, index, name) -> None:  # noqa: F811
    actor, _, text = sent
    remit = build_835_from_837(text, OUTCOMES, trace_number="EFT1001", method="ACH")
    broken = _edit(remit, tag, index, "9" * 400)
    if tag == "ST":
        broken = _edit(broken, "SE", 2, "9" * 400)
    with pytest.raises(X12Error) as caught:
        post_remittance(actor=actor, text=broken, file_name="long.835")
    assert name in str(caught.value) or tag in str(caught.value)
    assert "long" in str(caught.value)
    assert not RemittanceFile.objects.exists() and not Payment.objects.exists()
