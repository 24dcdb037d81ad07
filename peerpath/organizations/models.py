"""Provider agencies, their sites, the payers (LME-MCOs, health plans) and their contracts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from peerpath.core.codes import npi_is_valid

STATE_CODE = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter state code, e.g. NC.")


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError("NPI must be 10 digits with a valid check digit.", code="npi")


class Agency(models.Model):
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, validators=[STATE_CODE])
    npi = models.CharField("billing NPI", max_length=10, validators=[validate_npi])
    tax_id = models.CharField(
        "EIN", max_length=9, validators=[RegexValidator(r"^\d{9}$", "EIN is 9 digits.")]
    )
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    review_new_peer_days = models.PositiveSmallIntegerField(
        "review a new peer specialist's notes for (days)",
        default=30,
        help_text="The agency's rule: every note a peer specialist signs in their first "
        "this many days goes to their supervisor's review queue (0: none).",
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="site_name_unique_per_agency")
        ]

    def __str__(self) -> str:
        return self.name


class Payer(models.Model):
    """A Medicaid payer: a state agency, an LME-MCO or a managed-care health plan."""

    name = models.CharField(max_length=200)
    payer_id = models.CharField(
        "payer ID",
        max_length=20,
        unique=True,
        help_text="The ID the clearinghouse uses for this payer (837P loop 2010BB NM109).",
    )
    state = models.CharField(max_length=2, validators=[STATE_CODE])
    kind = models.CharField(
        max_length=20,
        choices=[
            ("state", "State Medicaid agency"),
            ("lme_mco", "LME-MCO"),
            ("health_plan", "Managed-care health plan"),
        ],
        default="lme_mco",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_id})"


class PayerContract(models.Model):
    """An agency's contract with a payer: its dates, and the policy pack it is judged by."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="contracts")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField("contract number", max_length=50)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    pack_override = models.CharField(
        max_length=40,
        blank=True,
        help_text="Policy pack id to use instead of the one chosen by state and date of service.",
    )

    class Meta:
        ordering = ["agency", "payer", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "number"], name="contract_number_unique"),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="contract_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} / {self.payer} #{self.number}"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": "The contract cannot end before it starts."})
        if self.pack_override:
            from peerpath.policy.api import pack_ids

            if self.pack_override not in pack_ids():
                raise ValidationError({"pack_override": f"No policy pack '{self.pack_override}'."})


class ContractRate(models.Model):
    """What the payer pays per unit under a contract, for a code and modifiers, from a date."""

    contract = models.ForeignKey(PayerContract, on_delete=models.CASCADE, related_name="rates")
    procedure_code = models.CharField(max_length=5, default="H0038")
    modifiers = models.CharField(max_length=11, blank=True, help_text="e.g. HQ, or GT")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    rate_per_unit = models.DecimalField(max_digits=9, decimal_places=2)
    source = models.CharField(
        max_length=200, help_text="Where the rate comes from: fee schedule, contract page."
    )

    class Meta:
        ordering = ["contract", "procedure_code", "modifiers", "-start"]

    def __str__(self) -> str:
        code = f"{self.procedure_code} {self.modifiers}".strip()
        return f"{code} ${self.rate_per_unit} from {self.start}"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": "The rate cannot end before it starts."})
        if self.rate_per_unit is not None and self.rate_per_unit < 0:
            raise ValidationError({"rate_per_unit": "A rate cannot be negative."})
