"""Prior-authorization requests and the payer's decisions on them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from peerpath.core.fields import validate_span
from peerpath.organizations.models import Payer
from peerpath.people.models import Person


class AuthStatus(models.TextChoices):
    REQUESTED = "requested", "Requested, waiting for a decision"
    APPROVED = "approved", "Approved"
    PARTIAL = "partial", "Partly approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Authorization(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="authorizations")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="authorizations")
    number = models.CharField(
        "authorization number",
        max_length=30,
        blank=True,
        help_text="The payer's prior-authorization number (837P REF*G1).",
    )
    kind = models.CharField(
        max_length=20,
        default="initial",
        choices=[("initial", "Initial"), ("concurrent", "Continued stay")],
    )
    urgency = models.CharField(
        max_length=20,
        default="standard",
        choices=[("standard", "Standard"), ("expedited", "Expedited")],
    )
    procedure_code = models.CharField(max_length=5, default="H0038")
    requested_at = models.DateTimeField()
    units_requested = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(
        max_length=20, choices=AuthStatus.choices, default=AuthStatus.REQUESTED
    )
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        "staff.StaffMember",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    reason = models.TextField(blank=True, help_text="Required when a request is denied or cut.")
    # A request sent from the provider's chart: who asked, what they added, and the records
    # attached as evidence (checked by the engine before sending).
    requested_by = models.ForeignKey(
        "staff.StaffMember",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorization_requests",
    )
    provider_note = models.TextField(
        "note for the reviewer",
        blank=True,
        help_text="Anything the reviewer should know that the attached records do not say.",
    )
    assessment = models.ForeignKey(
        "people.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service_order = models.ForeignKey(
        "people.ServiceOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        "plans.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    progress_notes = models.ManyToManyField("services.ServiceNote", blank=True, related_name="+")

    class Meta:
        ordering = ["person", "-start"]
        indexes = [models.Index(fields=["person", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.number or 'request'} {self.start}..{self.end} {self.get_status_display()}"

    def clean(self) -> None:
        validate_span(self.start, self.end, what="authorization")
        decided = self.status in (AuthStatus.APPROVED, AuthStatus.PARTIAL, AuthStatus.DENIED)
        if decided and self.decided_at is None:
            raise ValidationError({"decided_at": "A decision needs its date and time."})
        if self.status in (AuthStatus.APPROVED, AuthStatus.PARTIAL):
            if self.units_approved is None or self.units_approved < 1:
                raise ValidationError({"units_approved": "An approval needs the units approved."})
            if not self.number:
                raise ValidationError({"number": "An approval needs its authorization number."})
        if self.status in (AuthStatus.DENIED, AuthStatus.PARTIAL) and not self.reason.strip():
            raise ValidationError({"reason": "Give the specific reason for the denial."})
        if (
            self.status == AuthStatus.PARTIAL
            and self.units_approved is not None
            and self.units_approved >= self.units_requested
        ):
            raise ValidationError(
                {"units_approved": "A partial approval gives fewer units than requested."}
            )
