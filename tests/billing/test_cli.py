"""`peerpath billing scrub|batch|validate`."""

from __future__ import annotations

from datetime import time

import pytest

from peerpath.billing.models import ClaimBatch
from peerpath.cli import main
from tests.billing.conftest import ready_person

pytestmark = pytest.mark.django_db


def test_scrub_then_batch_then_validate(world, capsys, tmp_path):
    agency, payer = world
    r = ready_person(agency, payer)
    r.note()
    r.note(activity="recreation", start_time=time(14), end_time=time(14, 30))
    assert main(["billing", "scrub", "--through", "2026-04-30"]) == 0
    assert "held (NOTE.NOT_COVERED_ACTIVITY 1)" in capsys.readouterr().out
    out_file = tmp_path / "claims.x12"
    assert main(["billing", "batch", "--payer", "BRHP1", "--out", str(out_file), "--test"]) == 0
    said = capsys.readouterr().out
    assert "1 claims, 1 lines" in said  # the recreation note stays held
    assert ClaimBatch.objects.get().usage == "T"
    assert main(["billing", "validate", str(out_file)]) == 0
    assert "valid 837P" in capsys.readouterr().out
    assert main(["billing", "batch", "--payer", "BRHP1", "--out", str(out_file)]) == 0
    assert "Nothing ready to bill." in capsys.readouterr().out


def test_validate_lists_problems_and_fails(capsys, tmp_path):
    bad = tmp_path / "bad.x12"
    bad.write_text("ISA*00*nonsense~")
    assert main(["billing", "validate", str(bad)]) == 1
    assert "problem" in capsys.readouterr().out


def test_unknown_payer_is_named(world, capsys):
    assert main(["billing", "batch", "--payer", "NOPE"]) == 2
    assert "No payer with payer ID 'NOPE'. Known: BRHP1" in capsys.readouterr().out
