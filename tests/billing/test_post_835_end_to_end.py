"""From signed notes to posted payments: scrub, write the 837P, answer it with an 835 (paid,
partly paid, denied lines), post it, from the service function and from the command line."""

from __future__ import annotations

import datetime as dt
from datetime import time
from decimal import Decimal

import pytest

from peerpath.billing.models import Claim, ClaimLine, RemittanceFile
from peerpath.billing.services import batch_create
from peerpath.billing.x12.remit_builder import LineOutcome, build_835_from_837
from peerpath.cli import main
from tests.billing.conftest import TODAY, ready_person
from tests.billing.x12_support import pyx12_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(world):
    agency, payer = world
    people = [ready_person(agency, payer) for _ in range(3)]
    for r in people:
        r.note()
    batch = batch_create(actor=None, agency=agency, payer=payer, today=TODAY, usage="T")
    assert batch is not None and batch.claim_count == 3
    return agency, batch


def outcomes(batch):
    first, second, third = batch.claims.order_by("pk")
    return {
        first.patient_control_number: LineOutcome.pay(),
        second.patient_control_number: LineOutcome.part(Decimal("20.00"), reason="151"),
        third.patient_control_number: LineOutcome.deny("197", remarks=("N54",)),
    }


def test_an_835_for_a_batch_written_by_peerpath_posts_every_outcome(billed) -> None:
    from peerpath.billing.remittance import post_remittance

    agency, batch = billed
    remit = build_835_from_837(batch.file_text, outcomes(batch), method="ACH")
    assert pyx12_problems(remit) == []
    post_remittance(actor=None, text=remit, agency=agency)
    assert [c.status for c in Claim.objects.order_by("pk")] == ["paid", "partly_paid", "denied"]
    assert [x.status for x in ClaimLine.objects.order_by("claim_id")] == [
        "paid",
        "partly_paid",
        "denied",
    ]


def test_post_835_from_the_command_line(billed, capsys, tmp_path) -> None:
    agency, batch = billed
    good = tmp_path / "era.835"
    good.write_text(build_835_from_837(batch.file_text, outcomes(batch)))
    assert main(["billing", "post-835", str(good), "--agency", str(agency.pk)]) == 0
    assert "posted 3 claims and 3 lines" in capsys.readouterr().out
    assert main(["billing", "post-835", str(good), "--agency", str(agency.pk)]) == 1
    said = capsys.readouterr().out
    assert "nothing posted" in said and "already posted" in said
    assert RemittanceFile.objects.count() == 1


def test_post_835_names_where_a_cut_file_broke(billed, capsys, tmp_path) -> None:
    agency, batch = billed
    text = build_835_from_837(batch.file_text)
    cut = tmp_path / "cut.835"
    cut.write_text("\n".join(text.splitlines()[:12]) + "\n")
    assert main(["billing", "post-835", str(cut), "--agency", str(agency.pk)]) == 1
    said = capsys.readouterr().out
    assert "segment 12 (" in said and "cut short" in said
    assert set(ClaimLine.objects.values_list("status", flat=True)) == {"submitted"}


def test_a_later_note_billed_after_a_remittance_still_matches_its_own_claim(world) -> None:
    from peerpath.billing.remittance import post_remittance

    agency, payer = world
    r = ready_person(agency, payer)
    r.note()
    first = batch_create(actor=None, agency=agency, payer=payer, today=TODAY)
    assert first is not None
    post_remittance(actor=None, text=build_835_from_837(first.file_text), agency=agency)
    r.note(date=dt.date(2026, 4, 8), start_time=time(9), end_time=time(9, 30))
    second = batch_create(actor=None, agency=agency, payer=payer, today=TODAY)
    assert second is not None
    post_remittance(
        actor=None,
        text=build_835_from_837(second.file_text, trace_number="T2", control_number=2),
        agency=agency,
    )
    assert set(ClaimLine.objects.values_list("status", flat=True)) == {"paid"}
