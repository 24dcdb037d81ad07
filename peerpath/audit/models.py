"""History of every change made through the service layer: who, what, when, and the values."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeRecord(models.Model):
    """One change to one record. Written only by `peerpath.core.services.record_change`."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for changes made by the system (demo loader, imports).",
    )
    actor_label = models.CharField(max_length=150, help_text="Who acted, as shown at the time.")
    action = models.CharField(max_length=40)
    record_type = models.CharField(max_length=80, db_index=True)
    record_id = models.CharField(max_length=40, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["record_type", "record_id", "at"])]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label} {self.action} {self.record_type}#{self.record_id}"
