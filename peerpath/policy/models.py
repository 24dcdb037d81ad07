"""Contract overrides of policy parameters: a payer's contract may set its own figure.

The override is itself cited, and the pack value it replaces stays visible beside it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from peerpath.core.fields import DateSpan
from peerpath.organizations.models import PayerContract

CONFIDENCE = [
    ("seed", "Seed document"),
    ("official", "State Medicaid agency"),
    ("secondary", "LME-MCO notice, provider or vendor page"),
    ("assumed", "Assumed: an administrator must confirm"),
]


class ParameterOverride(DateSpan):
    contract = models.ForeignKey(
        PayerContract, on_delete=models.CASCADE, related_name="parameter_overrides"
    )
    key = models.CharField("parameter", max_length=80, help_text="e.g. ratios.cpss_to_people")
    value = models.JSONField()
    source = models.CharField(max_length=200, help_text="The contract document or amendment.")
    section = models.CharField(max_length=120, help_text="Page, section or clause.")
    confidence = models.CharField(max_length=10, choices=CONFIDENCE, default="official")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["contract", "key", "start"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r} ({self.contract})"

    def clean(self) -> None:
        super().clean()
        from peerpath.policy.parameters import SPECS

        if self.key and self.key not in SPECS:
            raise ValidationError({"key": f"'{self.key}' is not a policy parameter."})
        if self.key:
            problem = SPECS[self.key].problem(self.value)
            if problem is not None:
                raise ValidationError({"value": f"Does not fit {self.key}: {problem}."})
