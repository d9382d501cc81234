"""One row per message that must leave the building, written in the transaction of the change it mirrors."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    DEAD = "dead", "Dead"


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=64, db_index=True, help_text="Which handler delivers it, e.g. email.booking.")
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(
        max_length=255, unique=True, help_text="One message per key: a second enqueue with the same key is ignored."
    )
    status = models.CharField(max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="Not delivered before this time.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A delivery in progress holds the row until then; after it the row is free again."
    )
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    request_id = models.CharField(
        max_length=64, blank=True, default="",
        help_text="The request (or task, or chat turn) that wrote it; its handler's log lines carry the same id.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox"
        ordering = ["-created_at"]
        verbose_name = "outbox message"
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outbox_pending_due"),
            models.Index(fields=["status", "kind"], name="outbox_status_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.dedupe_key} · {self.status}"
