"""Consent to disclose substance-use (42 CFR Part 2) records, the accounting of every outside
disclosure, and SUD counseling notes kept apart from the rest of the record.

See docs/part2.md for what counts as Part 2 data and how consent is applied.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from peerpath.organizations.models import Payer
from peerpath.people.models import Person


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    OTHER = "other", "Other (described)"


PURPOSES: frozenset[str] = frozenset(Purpose.values)


class ImmutableRecordError(ValidationError):
    """Raised when something tries to change or delete a record that must be kept as it is."""


class Consent(models.Model):
    """The person's written consent to disclose their Part 2 records to one recipient for the
    listed purposes, from `effective` through `expires` (inclusive), until revoked.

    A consent is never edited or deleted: the only change it takes is its revocation.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    recipient_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who may receive the records. For a payer, choose it below instead.",
    )
    recipient_payer = models.ForeignKey(
        Payer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents",
        help_text="A disclosure to a payer is matched by this payer, not by name.",
    )
    purposes = models.JSONField(
        default=list, help_text="Any of: treatment, payment, operations, other."
    )
    purpose_other = models.TextField(blank=True, help_text="The purpose, when 'other' is listed.")
    effective = models.DateField()
    expires = models.DateField(
        null=True, blank=True, help_text="Last day the consent counts (inclusive)."
    )
    revoked_on = models.DateField(
        null=True, blank=True, help_text="From this day on the consent no longer counts."
    )
    covers_counseling_notes = models.BooleanField(
        default=False,
        help_text="SUD counseling notes need this separate, specific consent (42 CFR 2.31).",
    )
    signed_by_person = models.BooleanField(
        default=True,
        help_text="Signed by the person; unchecked when signed by a legal representative.",
    )
    signed_on = models.DateField()

    # Everything but the revocation is fixed once the consent is recorded.
    FIXED_FIELDS = (
        "person_id",
        "recipient_name",
        "recipient_payer_id",
        "purposes",
        "purpose_other",
        "effective",
        "expires",
        "covers_counseling_notes",
        "signed_by_person",
        "signed_on",
    )

    class Meta:
        ordering = ["person", "-effective", "-id"]
        indexes = [models.Index(fields=["person", "effective"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires__isnull=True)
                | models.Q(expires__gte=models.F("effective")),
                name="consent_expires_after_effective",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk}: {self.recipient_label} for {', '.join(self.purposes)}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_payer is not None:
            return self.recipient_payer.name
        return self.recipient_name

    def active_on(self, day: dt.date) -> bool:
        """Counts on `day`: effective, not past its expiry day, not revoked on or before it."""
        return (
            self.effective <= day
            and (self.expires is None or day <= self.expires)
            and (self.revoked_on is None or day < self.revoked_on)
        )

    def covers(self, purpose: str) -> bool:
        return purpose in (self.purposes or [])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.recipient_name = (self.recipient_name or "").strip()
        if not self.recipient_name and self.recipient_payer_id is None:
            errors["recipient_name"] = "Name who may receive the records, or choose a payer."
        purposes = self.purposes
        if (
            not isinstance(purposes, list)
            or not purposes
            or not all(isinstance(p, str) for p in purposes)
        ):
            errors["purposes"] = "List at least one purpose: treatment, payment, operations, other."
        else:
            unknown = sorted(set(purposes) - PURPOSES)
            if unknown:
                errors["purposes"] = f"Unknown purpose: {', '.join(unknown)}."
            elif len(set(purposes)) != len(purposes):
                errors["purposes"] = "A purpose is listed twice."
            elif Purpose.OTHER in purposes and not self.purpose_other.strip():
                errors["purpose_other"] = "Describe the purpose when 'other' is listed."
        if self.effective and self.expires and self.expires < self.effective:
            errors["expires"] = (
                f"The consent cannot expire ({self.expires}) before it takes effect "
                f"({self.effective})."
            )
        if self.effective and self.signed_on and self.effective < self.signed_on:
            errors["effective"] = "A consent cannot take effect before it is signed."
        if self.revoked_on and self.signed_on and self.revoked_on < self.signed_on:
            errors["revoked_on"] = "A consent cannot be revoked before it is signed."
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = Consent.objects.filter(pk=self.pk).values(*self.FIXED_FIELDS, "revoked_on")
            row = stored.first()
            if row is not None:
                changed = [f for f in self.FIXED_FIELDS if row[f] != getattr(self, f)]
                if row["revoked_on"] is not None and row["revoked_on"] != self.revoked_on:
                    changed.append("revoked_on")
                if changed:
                    raise ImmutableRecordError(
                        "A recorded consent cannot be changed; revoke it and record a new one "
                        f"(tried to change: {', '.join(changed)})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("A consent is kept; revoke it instead of deleting it.")


class DisclosureQuerySet(models.QuerySet["Disclosure"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError("Disclosures are an accounting: they cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("Disclosures are an accounting: they cannot be deleted.")


class Disclosure(models.Model):
    """One disclosure of a person's records outside the agency: to whom, why, what was sent,
    under which consent, and what was held back. Append-only (also enforced by database
    triggers): it is the person's accounting of disclosures."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="disclosures")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the system disclosed on its own (scheduled exports).",
    )
    recipient_name = models.CharField(max_length=200)
    recipient_payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    consent = models.ForeignKey(
        Consent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disclosures",
        help_text="The consent Part 2 records were sent under, if any were.",
    )
    part2_included = models.BooleanField(default=False)
    withheld_reason = models.TextField(blank=True)
    records = models.JSONField(
        default=list, blank=True, help_text='What was sent: list of {"type": ..., "id": ...}.'
    )
    notice_included = models.BooleanField(default=False)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(part2_included=False) | models.Q(consent__isnull=False),
                name="part2_disclosure_has_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(part2_included=False) | models.Q(notice_included=True),
                name="part2_disclosure_has_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} to {self.recipient_name} for {self.purpose}"

    def clean(self) -> None:
        records = self.records
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and set(r) == {"type", "id"} for r in records
        ):
            raise ValidationError({"records": 'Records must be a list of {"type", "id"}.'})
        if self.part2_included and self.consent_id is None:
            raise ValidationError({"consent": "Part 2 records go out only under a consent."})
        if self.part2_included and not self.notice_included:
            raise ValidationError(
                {"notice_included": "Part 2 records go out with the redisclosure notice."}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("Disclosures are an accounting: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("Disclosures are an accounting: they cannot be deleted.")


class CounselingNote(models.Model):
    """An SUD counseling note, kept in its own table apart from service notes and never part
    of an export. Read it only through `peerpath.consent.services.counseling_note_read`,
    which needs a consent that covers counseling notes (42 CFR Part 2, 2024 rule)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="counseling_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-date", "-id"]
        indexes = [models.Index(fields=["person", "date"])]

    def __str__(self) -> str:
        # Never the text: a note's string form ends up in logs and admin lists.
        return f"Counseling note #{self.pk} ({self.date})"

    def clean(self) -> None:
        if not (self.text or "").strip():
            raise ValidationError({"text": "The note is empty."})
