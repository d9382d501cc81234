"""A record of each personal-data request the spa answered: who asked for what, when, and what it touched.

The subject is kept as a keyed digest of their e-mail, never the address itself: the
record of an erasure must not undo it. The same address always gives the same
digest, so a manager can still answer "did we erase this person?" by typing it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RequestKind(models.TextChoices):
    EXPORT = "export", "Export (access request)"
    ERASE = "erase", "Erasure"


class PrivacyRequest(models.Model):
    kind = models.CharField(max_length=8, choices=RequestKind.choices)
    subject_digest = models.CharField(max_length=64, db_index=True, help_text="HMAC-SHA256 of the subject's e-mail, lower-cased.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, help_text="How many records of each kind were exported or anonymised.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_digest[:10]}… {self.created_at:%Y-%m-%d}"
