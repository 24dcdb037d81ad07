"""Work on denials: what was done about each refused line (X12 835 denial or cut), in order.

A **DenialAction** is one step on one refusal (a `LinePayment` that denied or cut a line):
corrected and resubmitted (a replacement claim, frequency 7), voided (frequency 8), written
off with a reason, or appealed (a letter). The actions of a refusal, oldest first, are its
status trail; the latest decides where it stands in the denials queue.

Imported by `models.py`, so Django finds this model in the billing app.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from .models import ClaimBatch
from .remittance_models import LinePayment


class DenialActionKind(models.TextChoices):
    CORRECTED = "corrected", "Corrected and resubmitted"
    VOIDED = "voided", "Voided"
    WRITTEN_OFF = "written_off", "Written off"
    APPEALED = "appealed", "Appealed"


# Actions that settle a refusal: it leaves the queue.
SETTLING = (DenialActionKind.CORRECTED, DenialActionKind.VOIDED, DenialActionKind.WRITTEN_OFF)


class DenialAction(models.Model):
    refusal = models.ForeignKey(LinePayment, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=20, choices=DenialActionKind.choices)
    reason = models.TextField(
        blank=True,
        help_text="Why (a write-off), what was corrected, or the appeal's argument.",
    )
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"),
        help_text="The amount written off, or appealed (what the payer did not pay).",
    )  # fmt: skip
    batch = models.ForeignKey(
        ClaimBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The 837P that carried the replacement or void claim.",
    )  # fmt: skip
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["refusal", "at", "id"]
        indexes = [models.Index(fields=["refusal", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (refusal #{self.refusal_id})"
