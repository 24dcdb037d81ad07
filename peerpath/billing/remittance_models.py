"""Remittances posted: what payers paid, cut and denied, line by line (X12 835).

- A **RemittanceFile** is one 835 file as received, posted once (its text is kept).
- A **Payment** is one transaction of that file: one check, EFT or notice (BPR, TRN). The
  same trace number from the same payer is posted once per agency.
- A **ClaimPayment** is what the payer did with one claim (CLP); a **LinePayment** with one
  claim line (SVC); an **Adjustment** is one reason (CAS: group code, CARC, amount) on a line,
  or on the claim when the payer gave no line detail.

Imported by `models.py`, so Django finds these models in the billing app.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from peerpath.organizations.models import Agency, Payer

from .models import Claim, ClaimLine


class RemittanceFile(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="remittance_files")
    file_name = models.CharField(max_length=200, blank=True)
    file_text = models.TextField(help_text="The 835 as received.")
    file_sha256 = models.CharField(max_length=64)
    isa_control = models.CharField("interchange control number (ISA13)", max_length=9)
    sender_id = models.CharField("sender (ISA06)", max_length=15)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    posted_at = models.DateTimeField(default=timezone.now)
    claim_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = "remittance file (835)"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "file_sha256"], name="remittance_file_posted_once"
            )
        ]

    def __str__(self) -> str:
        return f"835 #{self.isa_control} ({self.claim_count} claims)"


class Payment(models.Model):
    """One 835 transaction: a payment (or a notice that nothing is paid)."""

    file = models.ForeignKey(RemittanceFile, on_delete=models.PROTECT, related_name="payments")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="payments")
    trace_number = models.CharField("check or EFT trace number (TRN02)", max_length=50)
    payer_identifier = models.CharField("payer identifier (TRN03)", max_length=10)
    st_control = models.CharField("transaction control number (ST02)", max_length=9)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(
        "payment method (BPR04)", max_length=3,
        choices=[("ACH", "EFT (ACH)"), ("CHK", "Check"), ("FWT", "Wire"),
                 ("BOP", "Financial institution option"), ("NON", "No payment")],
    )  # fmt: skip
    paid_on = models.DateField("payment date (BPR16)", null=True, blank=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "payer_identifier", "trace_number"],
                name="payment_trace_posted_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.trace_number}: {self.amount}"


class ClaimPayment(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    status_code = models.CharField("claim status (CLP02)", max_length=2)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    person_share = models.DecimalField(
        "the person's share (CLP05)", max_digits=12, decimal_places=2, default=Decimal("0")
    )
    payer_claim_number = models.CharField("payer claim control number (CLP07)", max_length=50)
    remarks = models.JSONField(default=list, blank=True, help_text="RARCs on the claim (MOA).")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
        help_text="For a reversal (CLP02 22): the earlier claim payment it takes back.",
    )  # fmt: skip
    is_clean = models.BooleanField(
        "clean claim",
        default=False,
        help_text="Paid on its first submission with no line refused (the clean-claim rate).",
    )

    class Meta:
        ordering = ["payment", "id"]
        indexes = [models.Index(fields=["claim"])]

    def __str__(self) -> str:
        return f"{self.claim_id}: paid {self.paid} of {self.charge}"


class LinePayment(models.Model):
    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.PROTECT, related_name="lines")
    line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="payments")
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    units_paid = models.DecimalField(max_digits=8, decimal_places=2)
    allowed = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    outcome = models.CharField(
        max_length=20,
        choices=[("paid", "Paid"), ("partly_paid", "Partly paid"), ("denied", "Denied")],
    )
    denial_group = models.CharField(max_length=2, blank=True)
    denial_reason = models.CharField(
        "main reason refused (CARC)", max_length=5, blank=True,
        help_text="The first adjustment that refuses rather than prices; blank when paid.",
    )  # fmt: skip
    remarks = models.JSONField(default=list, blank=True, help_text="RARCs (LQ*HE, MOA).")

    class Meta:
        ordering = ["claim_payment", "id"]
        indexes = [models.Index(fields=["denial_reason"]), models.Index(fields=["line"])]

    def __str__(self) -> str:
        return f"line {self.line_id}: {self.outcome}"


class Adjustment(models.Model):
    """One CAS reason. `line_payment` is empty for an adjustment to the whole claim."""

    claim_payment = models.ForeignKey(
        ClaimPayment, on_delete=models.PROTECT, related_name="adjustments"
    )
    line_payment = models.ForeignKey(
        LinePayment, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    group = models.CharField("group code (CAS01)", max_length=2)
    reason = models.CharField("reason (CARC)", max_length=5)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["claim_payment", "line_payment", "id"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"
