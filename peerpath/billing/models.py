"""Claims: from signed notes to claim lines, held or ready, then 837P files to payers.

- A **ClaimLine** is one signed note on its way to being paid: made by the scrub, `ready` or
  `held` (with its `LineHold` reasons), then `submitted` on a claim, then `paid`,
  `partly_paid` or `denied` when the payer answers (835), or `void`.
- A **Claim** is one CLM of an 837P: one person, one payer, up to 50 lines. Frequency 1 is
  an original claim, 7 replaces an earlier claim and 8 voids one.
- A **ClaimBatch** is one 837P file (one interchange) for one payer, with its control
  numbers and the file's text.

A note is billed at most once: a unique index allows one *current* line per note. A line
replaced by a replacement or void claim stops being current (its history is kept), and the
new claim's line for the same note becomes the current one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from peerpath.organizations.models import Agency, Payer, validate_npi
from peerpath.people.models import Person
from peerpath.services.models import ServiceNote

MAX_LINES_PER_CLAIM = 50  # 837P loop 2400 repeats at most 50 times per claim (005010X222A1)
MAX_DIAGNOSES_PER_CLAIM = 12  # HI segment: one principal and up to 11 other diagnoses
MAX_POINTERS_PER_LINE = 4  # SV107: up to four diagnosis code pointers


class LineStatus(models.TextChoices):
    READY = "ready", "Ready to bill"
    HELD = "held", "Held: needs a fix before billing"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"
    VOID = "void", "Void"


class Frequency(models.TextChoices):
    """CLM05-3, the claim frequency type code."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of a prior claim"
    VOID = "8", "Void of a prior claim"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"
    REPLACED = "replaced", "Replaced by a later claim"
    VOIDED = "voided", "Voided by a later claim"


class ClaimBatch(models.Model):
    """One 837P file: one interchange (ISA), one functional group (GS), one transaction (ST),
    for one payer."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="claim_batches")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claim_batches")
    isa_control = models.PositiveIntegerField(
        "interchange control number (ISA13)", null=True, blank=True
    )
    gs_control = models.PositiveIntegerField("group control number (GS06)", null=True, blank=True)
    st_control = models.CharField("transaction control number (ST02)", max_length=9, blank=True)
    usage = models.CharField(
        "usage (ISA15)",
        max_length=1,
        choices=[("P", "Production"), ("T", "Test")],
        default="P",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=100, blank=True)
    file_text = models.TextField(blank=True, help_text="The 837P as written.")
    claim_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    total_charge = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "claim batch (837P file)"
        verbose_name_plural = "claim batches (837P files)"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "isa_control"], name="isa_control_unique_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"837P #{self.isa_control or self.pk} to {self.payer_id} ({self.claim_count} claims)"


class Claim(models.Model):
    """One claim (CLM) of an 837P."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    frequency = models.CharField(
        "frequency (CLM05-3)", max_length=1, choices=Frequency.choices, default=Frequency.ORIGINAL
    )
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="For a replacement (7) or void (8): the claim it corrects.",
    )
    original_reference = models.CharField(
        "original claim reference (REF*F8)",
        max_length=50,
        blank=True,
        help_text="For 7 and 8: the payer's claim number of the claim being corrected.",
    )
    payer_claim_number = models.CharField(
        "payer claim control number",
        max_length=50,
        blank=True,
        help_text="The number the payer gave this claim (835 CLP07), once it answers.",
    )
    patient_control_number = models.CharField(
        "patient control number (CLM01)", max_length=20, unique=True
    )
    authorization_number = models.CharField(
        "prior authorization (REF*G1)", max_length=30, blank=True
    )
    rendering_npi = models.CharField(
        "rendering NPI (2310B)", max_length=10, blank=True, validators=[validate_npi]
    )
    diagnosis_codes = models.JSONField(
        default=list, help_text="ICD-10-CM codes sent in HI, principal first."
    )
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    first_service_date = models.DateField()
    last_service_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["person", "first_service_date"]),
            models.Index(fields=["payer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(frequency="1", original__isnull=True)
                | (~models.Q(frequency="1") & models.Q(original__isnull=False)),
                name="claim_correction_names_original",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number} ({self.get_frequency_display()})"

    def clean(self) -> None:
        if self.frequency == Frequency.ORIGINAL and self.original_id is not None:
            raise ValidationError({"original": "An original claim corrects no earlier claim."})
        if self.frequency != Frequency.ORIGINAL and self.original_id is None:
            raise ValidationError(
                {"original": "A replacement or void claim must name the claim it corrects."}
            )
        if len(self.diagnosis_codes or []) > MAX_DIAGNOSES_PER_CLAIM:
            raise ValidationError(
                {"diagnosis_codes": f"A claim carries at most {MAX_DIAGNOSES_PER_CLAIM} codes."}
            )


class ClaimLine(models.Model):
    """One service line: one signed note, billed (or held) once."""

    note = models.ForeignKey(ServiceNote, on_delete=models.PROTECT, related_name="claim_lines")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="claim_lines")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claim_lines")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    line_number = models.PositiveSmallIntegerField("line number (LX)", null=True, blank=True)
    service_date = models.DateField("date of service")
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list, blank=True, help_text="Up to four, in order.")
    units = models.PositiveIntegerField()
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    diagnosis_codes = models.JSONField(
        default=list,
        blank=True,
        help_text="The ICD-10-CM codes the line is for, principal first (at most four).",
    )
    diagnosis_pointers = models.JSONField(
        default=list, blank=True, help_text="Positions (1-12) in the claim's diagnosis list."
    )
    place_of_service = models.CharField(max_length=2, blank=True)
    rendering_npi = models.CharField(max_length=10, blank=True)
    authorization_number = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=20, choices=LineStatus.choices, default=LineStatus.READY)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    is_current = models.BooleanField(
        default=True,
        help_text="The note's line in force; false once a replacement or void claim took over.",
    )
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-service_date", "-id"]
        indexes = [
            models.Index(fields=["status", "payer"]),
            models.Index(fields=["person", "service_date"]),
            # The billing screen's list, newest first, stops after a page instead of sorting
            # every current line; by status too, with the person for its counts (PostgreSQL
            # answers those from the index alone).
            models.Index(
                fields=["-service_date", "-id"],
                condition=models.Q(is_current=True),
                name="line_current_by_date",
            ),
            models.Index(
                fields=["status", "-service_date", "-id"],
                include=["person"],
                condition=models.Q(is_current=True),
                name="line_current_by_status",
            ),
        ]
        constraints = [
            # The database, not only the code, keeps a note from being billed twice.
            models.UniqueConstraint(
                fields=["note"],
                condition=models.Q(is_current=True),
                name="note_billed_once",
            ),
            models.CheckConstraint(
                condition=models.Q(charge__gte=0), name="line_charge_not_negative"
            ),
        ]

    def __str__(self) -> str:
        code = " ".join([self.procedure_code, *self.modifiers])
        return f"Line for note #{self.note_id}: {code} x{self.units} ({self.status})"

    def clean(self) -> None:
        if not isinstance(self.modifiers, list) or len(self.modifiers) > 4:
            raise ValidationError({"modifiers": "A line has at most four modifiers."})
        pointers = self.diagnosis_pointers
        if not isinstance(pointers, list) or len(pointers) > MAX_POINTERS_PER_LINE:
            raise ValidationError(
                {"diagnosis_pointers": f"A line points to at most {MAX_POINTERS_PER_LINE} codes."}
            )
        if any(not isinstance(p, int) or not 1 <= p <= MAX_DIAGNOSES_PER_CLAIM for p in pointers):
            raise ValidationError(
                {"diagnosis_pointers": f"Pointers are positions 1 to {MAX_DIAGNOSES_PER_CLAIM}."}
            )


class LineHold(models.Model):
    """Why a line is held: the rule, its citation, what was found and how to fix it."""

    line = models.ForeignKey(ClaimLine, on_delete=models.CASCADE, related_name="holds")
    rule_id = models.CharField(max_length=60)
    pack_id = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=200)
    citation = models.CharField(max_length=500)
    evidence = models.TextField()
    fix = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    release_note = models.TextField(blank=True, help_text="What was fixed.")

    class Meta:
        ordering = ["line", "rule_id", "id"]
        indexes = [models.Index(fields=["line", "released_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} on line #{self.line_id}"


class LineTally(models.Model):
    """What the billing screen counts for one agency, kept as the lines change: current
    lines by status, and held lines by the reason holding them (rule, title, fix,
    citation, lines, charges). Counting them over every line of a large agency was most of
    the screen's time. Every service that changes lines or holds counts them afresh in its
    own transaction (`peerpath.billing.tally.tally_refresh`), so they are never stale after
    a commit; figures here are counts, not policy."""

    agency = models.OneToOneField(
        Agency, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    by_status = models.JSONField(default=dict, help_text="Line status to current lines.")
    held = models.JSONField(
        default=list, help_text="Held lines by reason, the most lines first (charges as text)."
    )
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "billing screen counts of an agency"
        verbose_name_plural = "billing screen counts"

    def __str__(self) -> str:
        return f"Billing counts of agency {self.agency_id} at {self.counted_at:%Y-%m-%d %H:%M}"


# Remittances (835) live in their own module; importing them here registers them with the app.
from peerpath.billing.denial_models import DenialAction  # noqa: E402
from peerpath.billing.remittance_models import (  # noqa: E402
    Adjustment,
    ClaimPayment,
    LinePayment,
    Payment,
    RemittanceFile,
)

__all__ = [
    "Adjustment",
    "Claim",
    "ClaimBatch",
    "ClaimLine",
    "ClaimPayment",
    "DenialAction",
    "LineHold",
    "LinePayment",
    "LineTally",
    "Payment",
    "RemittanceFile",
]
