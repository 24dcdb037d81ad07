"""On the demo agency, the scrub holds every planted defect that affects billing, with its
rule and citation, and holds no note the generator made clean."""

from __future__ import annotations

from collections import defaultdict

import pytest

from peerpath.billing.models import ClaimLine, LineHold, LineStatus
from peerpath.billing.services import batch_create, lines_scrub
from peerpath.billing.x12.claim837 import validate_837
from peerpath.demo.generator import generate
from peerpath.organizations.models import Agency, Payer
from peerpath.policy.rules.base import REGISTRY
from peerpath.services.models import ServiceNote
from tests.policy.test_demo_findings import EXPECTED_RULES

pytestmark = pytest.mark.django_db

# A defect affects billing when a rule that catches it denies (the others only warn).
BILLING_KINDS = {
    kind
    for kind, rules in EXPECTED_RULES.items()
    if any(REGISTRY[r].severity == "deny" for r in rules)
}


def _explains(defect, line, session_id) -> bool:
    if defect.record_type == "services.ServiceNote" and defect.record_id == line.note_id:
        return True
    if defect.record_type == "services.GroupSession":
        return session_id == defect.record_id
    if defect.person_id is not None:
        return defect.person_id == line.person_id
    if defect.staff_id is not None:  # a lapsed certification holds every later note
        return line.note.staff_id == defect.staff_id
    return False


@pytest.fixture(scope="module")
def scrubbed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        # Module-wide data, rolled back at the end: the demo takes a while to build.
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            report = generate(seed=7)
            agency = Agency.objects.get()
            result = lines_scrub(actor=None, agency=agency, today=report.end)
            yield report, agency, result
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_every_billing_defect_is_held_with_its_rule_and_citation(scrubbed):
    report, _, result = scrubbed
    assert (
        set(EXPECTED_RULES)
        - {
            "missed_supervisor_contact",
            "training_missed",
            "caseload_over_ratio",
            "outcome_measure_overdue",
        }
        == BILLING_KINDS
    )
    held = ClaimLine.objects.filter(status=LineStatus.HELD).select_related("note")
    holds = defaultdict(list)
    for h in LineHold.objects.filter(released_at__isnull=True):
        holds[h.line_id].append(h)
    missed = []
    for d in report.defects:
        if d.kind not in BILLING_KINDS:
            continue
        found = [
            h
            for line in held
            if _explains(d, line, line.note.group_session_id)
            for h in holds[line.pk]
            if h.rule_id in EXPECTED_RULES[d.kind]
        ]
        if not found:
            missed.append(d.kind)
        for h in found:
            assert h.citation and h.fix and h.evidence, h.rule_id
    assert missed == [], f"planted defects not held: {missed}"
    assert result.held > 0 and result.ready > result.held


def test_no_clean_note_is_held(scrubbed):
    report, _, _ = scrubbed
    unexplained = []
    for line in ClaimLine.objects.filter(status=LineStatus.HELD).select_related("note"):
        for h in line.holds.filter(released_at__isnull=True):
            if not any(
                h.rule_id in EXPECTED_RULES[d.kind]
                and _explains(d, line, line.note.group_session_id)
                for d in report.defects
            ):
                unexplained.append((line.note_id, h.rule_id, h.evidence))
    assert unexplained == [], unexplained[:10]
    signed = ServiceNote.objects.filter(status="signed").count()
    assert ClaimLine.objects.count() == signed


def test_demo_batches_validate_clean_with_pyx12(scrubbed):
    report, agency, _ = scrubbed
    for payer in Payer.objects.order_by("pk"):
        batch = batch_create(actor=None, agency=agency, payer=payer, today=report.end)
        assert batch is not None
        check = validate_837(batch.file_text)
        assert check.valid, check.errors[:5]
        assert batch.line_count == ClaimLine.objects.filter(claim__batch=batch).count()
    assert not ClaimLine.objects.filter(status=LineStatus.READY).exists()
