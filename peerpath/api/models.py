"""Personal access tokens: how a program acts for a user through the REST API.

A token is shown once, when it is made; only its SHA-256 is kept (the secret is 32 random
bytes, so a fast hash is enough: nobody can guess their way to a preimage). A token carries
a subset of its owner's capabilities, chosen when it is made; at each use it may do only what
it carries *and* its owner may still do (a user who changes role loses what the new role
lacks). Tokens expire, and can be revoked; a revoked or expired token is refused, and the
record stays as history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class PersonalAccessToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, in a few words.")
    prefix = models.CharField(
        max_length=12,
        unique=True,
        editable=False,
        help_text="The token's first characters, shown so its owner can tell tokens apart.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    capabilities = models.JSONField(
        default=list, help_text="The capabilities the token carries (names from the registry)."
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "personal access token"

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    def usable_at(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def state_at(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"
