"""What the concierge remembers: conversations, their turns, Atlas events, FAQ answers and handoffs.

The live dialogue state sits in the cache (``ai:session:<uuid>``); these rows
are the durable record managers replay, filter and learn from.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from coresync.core.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField, EncryptedJSONField, EncryptedTextField
from coresync.core.models import TimeStampedModel


class ConversationChannel(models.TextChoices):
    WEB = "web", "Web chat"
    API = "api", "HTTP chat"
    PHONE = "phone", "Phone (Atlas)"


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    BOOKED = "booked", "Booked"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    HANDOFF = "handoff", "Handed to staff"
    ENDED = "ended", "Ended without booking"


class Conversation(BlindIndexedModel, TimeStampedModel):
    session_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=10, choices=ConversationChannel.choices, default=ConversationChannel.WEB)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    atlas_call_id = models.CharField(max_length=100, blank=True, db_index=True)
    caller_phone = EncryptedCharField(max_length=32, blank=True, blind_index="caller_phone_bidx", index_kind="phone")
    caller_phone_bidx = BlindIndexField(source="caller_phone", kind="phone", db_index=True)
    turns = models.PositiveIntegerField(default=0)
    last_intent = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.OPEN, db_index=True)
    handoff = models.BooleanField(default=False, db_index=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["channel", "-updated_at"], name="conversation_channel_recent")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.session_id}"


class AgentAction(models.Model):
    """One turn: what was said, what the engine understood, what it answered and did."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField()
    # What was said is personal data: encrypted at rest (coresync.core.fields), like the caller's number.
    actor = EncryptedCharField(max_length=80, help_text="user:<id>, guest or caller:<number>.")
    channel = models.CharField(max_length=10, choices=ConversationChannel.choices)
    message = EncryptedTextField(help_text="The user's message, cleaned.")
    intent = models.CharField(max_length=40)
    entities = EncryptedJSONField(default=dict, blank=True)
    reply = EncryptedJSONField(default=dict, blank=True, help_text="The messages sent back (text, cards, actions).")
    engine = models.CharField(max_length=20, default="rules")
    latency_ms = models.PositiveIntegerField(default=0)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "position"]
        constraints = [models.UniqueConstraint(fields=["conversation", "position"], name="agent_action_unique_position")]

    def __str__(self) -> str:
        return f"#{self.position} {self.intent}"


class AtlasLog(models.Model):
    """Every request the voice provider sent, accepted or not."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (unknown type)"
        REJECTED = "rejected", "Rejected (signature or timestamp)"
        MALFORMED = "malformed", "Malformed body"
        QUEUED = "queued", "Queued for a task"

    event_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    event_type = models.CharField(max_length=40, blank=True)
    call_id = models.CharField(max_length=100, blank=True, db_index=True)
    # The caller's number, what they said and what was answered: encrypted at rest (coresync.core.fields).
    caller = EncryptedCharField(max_length=32, blank=True)
    payload = EncryptedJSONField(default=dict, blank=True)
    raw_body = EncryptedTextField(blank=True, help_text="Kept (truncated) only when the body could not be used.")
    status = models.CharField(max_length=12, choices=Status.choices)
    reply = EncryptedTextField(blank=True)
    error = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "Atlas event"

    def __str__(self) -> str:
        return f"{self.event_type or '?'} {self.event_id or ''} ({self.status})"


class FaqEntry(TimeStampedModel):
    """An answer the concierge gives when a question contains one of its keywords."""

    question = models.CharField(max_length=200, help_text="The question as a guest would ask it (for the admin list).")
    keywords = models.CharField(
        max_length=300, help_text="Comma-separated words or phrases; any one of them in a message selects this answer."
    )
    answer = models.TextField()
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower wins when several entries match.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "question"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip().lower() for word in self.keywords.split(",") if word.strip()]


class Handoff(TimeStampedModel):
    """A conversation a person on the team should pick up."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="handoffs")
    class Reason(models.TextChoices):
        ASKED = "asked", "Asked for a person"
        FALLBACKS = "fallbacks", "Not understood twice"
        IDENTITY = "identity", "Could not prove identity"
        DISABLED = "disabled", "Concierge switched off"

    reason = models.CharField(max_length=20, choices=Reason.choices)
    notified = models.BooleanField(default=False, help_text="The manager was e-mailed.")
    last_message = EncryptedTextField(blank=True)  # the guest's words and contact: encrypted at rest
    contact = EncryptedCharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation"], condition=Q(status="open"), name="handoff_one_open_per_conversation")
        ]

    def __str__(self) -> str:
        return f"Handoff {self.conversation.session_id} ({self.status})"
