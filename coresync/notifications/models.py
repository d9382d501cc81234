"""E-mail log and notification preferences.

``EmailLog`` is both the audit trail and the lock that makes every automated
e-mail go out exactly once: one row per (booking, kind, sequence), per
(membership, kind), or per ``dedupe_key`` for a message that belongs to neither
(a manager's handoff notice), enforced by the database, and a ``sending`` state
claimed with a conditional UPDATE before any mail leaves (see ``notifications.services``).

``sequence`` is the booking's ``ics_sequence`` at the change a mail announces
(0 for the confirmation, reminder and review request), so two reschedules are
two e-mails while a retried task is still one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coresync.core.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField, EncryptedEmailField, EncryptedTextField
from coresync.core.models import TimeStampedModel


class EmailKind(models.TextChoices):
    BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
    BOOKING_REMINDER = "booking_reminder", "24 h reminder"
    REVIEW_REQUEST = "review_request", "Review request"
    MEMBERSHIP_WELCOME = "membership_welcome", "Membership welcome"
    BOOKING_RESCHEDULED = "booking_rescheduled", "Booking rescheduled"
    BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
    HANDOFF_NOTICE = "handoff_notice", "Concierge handoff (to the manager)"
    DEAD_LETTER_NOTICE = "dead_letter_notice", "Outbox dead letter (to the manager)"
    SYNC_NOTICE = "sync_notice", "Google Calendar / Sheets notice (to the manager)"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
    PAYROLL_REPORT = "payroll_report", "Weekly payroll (to the manager)"


# Kinds a guest may switch off with NotificationPreference.email_enabled; the
# others are part of the transaction the guest made and always go out.
OPTIONAL_KINDS = frozenset({EmailKind.BOOKING_REMINDER, EmailKind.REVIEW_REQUEST})
BOOKING_KINDS = frozenset({
    EmailKind.BOOKING_CONFIRMATION, EmailKind.BOOKING_REMINDER, EmailKind.REVIEW_REQUEST,
    EmailKind.BOOKING_RESCHEDULED, EmailKind.BOOKING_CANCELLED,
})
# One e-mail per change of the booking: their log rows carry the booking's ics_sequence.
CHANGE_KINDS = frozenset({EmailKind.BOOKING_RESCHEDULED, EmailKind.BOOKING_CANCELLED})
# Kinds that wait in 'queued' until due; every other queued row is a send whose task never ran.
SCHEDULED_KINDS = frozenset({EmailKind.BOOKING_REMINDER, EmailKind.REVIEW_REQUEST})


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    SKIPPED = "skipped", "Skipped"


# The mail left us: never send it again automatically.
DONE_STATUSES = (EmailStatus.SENT, EmailStatus.DELIVERED, EmailStatus.BOUNCED)


class EmailLog(BlindIndexedModel, TimeStampedModel):
    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="email_logs"
    )
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="email_logs"
    )
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    sequence = models.PositiveIntegerField(
        default=0, help_text="The booking's ics_sequence for the change this mail announces (0 for one-off kinds)."
    )
    dedupe_key = models.CharField(
        max_length=200, blank=True, help_text="For a message of neither a booking nor a membership: once per key."
    )
    # The message and its address are encrypted at rest; the address is found through its blind index.
    body_text = EncryptedTextField(blank=True, help_text="The stored message, for kinds rendered when queued.")
    body_html = EncryptedTextField(blank=True)
    recipient = EncryptedCharField(max_length=254, blank=True, blind_index="recipient_bidx")
    recipient_bidx = BlindIndexField(source="recipient", kind="email", db_index=True)
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True, help_text="Which attempt holds the 'sending' claim.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed send is retried; empty when it will not be."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    booking_start = models.DateTimeField(
        null=True, blank=True, help_text="The booking's start when this mail was sent (a reschedule re-arms the reminder)."
    )
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True)
    events = models.JSONField(default=list, blank=True, help_text="What happened to this mail, oldest first.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "e-mail log entry"
        verbose_name_plural = "e-mail log"
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False, membership__isnull=True, dedupe_key="")
                | Q(booking__isnull=True, membership__isnull=False, dedupe_key="")
                | (Q(booking__isnull=True, membership__isnull=True) & ~Q(dedupe_key="")),
                name="email_log_one_owner",
            ),
            models.UniqueConstraint(
                fields=["booking", "kind", "sequence"],
                condition=Q(booking__isnull=False),
                name="email_log_once_per_booking_kind_change",
            ),
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="email_log_once_per_dedupe_key"
            ),
            models.UniqueConstraint(
                fields=["membership", "kind"],
                condition=Q(membership__isnull=False),
                name="email_log_once_per_membership_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_log_status_next"),
            models.Index(fields=["kind", "status"], name="email_log_kind_status"),
        ]

    def __str__(self) -> str:
        if self.booking_id:
            subject = self.booking.reference
        elif self.membership_id:
            subject = f"membership {self.membership_id}"
        else:
            subject = self.dedupe_key
        return f"{self.get_kind_display()} · {subject} · {self.status}"


class SendGridEvent(models.Model):
    """One provider event applied to the log, by SendGrid's ``sg_event_id``: a replayed batch changes nothing."""

    sg_event_id = models.CharField(max_length=100, unique=True)
    email_log = models.ForeignKey(EmailLog, on_delete=models.CASCADE, related_name="provider_events")
    event = models.CharField(max_length=32)
    happened_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SendGrid event"

    def __str__(self) -> str:
        return f"{self.event} · {self.sg_event_id}"


class NotificationPreference(BlindIndexedModel, TimeStampedModel):
    """What a person agreed to receive. Guests without an account are keyed by e-mail address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = EncryptedEmailField(blank=True, blind_index="email_bidx", help_text="For guests without an account.")
    email_bidx = BlindIndexField(source="email", kind="email")
    email_enabled = models.BooleanField(default=True, help_text="Reminders and review requests by e-mail.")
    sms_enabled = models.BooleanField(default=True)
    push_enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email_bidx=""), name="preference_user_or_email"),
            models.UniqueConstraint(
                fields=["email_bidx"], condition=Q(user__isnull=True), name="preference_unique_guest_email"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user or self.email)
