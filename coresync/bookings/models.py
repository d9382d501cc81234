"""Bookings: the one table that must never double-book a technician or a room.

The interval a booking *blocks* is ``[start, blocked_until)`` where
``blocked_until = end + service buffer``; ``end`` is what the guest sees.
On PostgreSQL two exclusion constraints (btree_gist over ``tstzrange``) make an
overlap impossible for active bookings; on SQLite every write runs in an
``IMMEDIATE`` transaction and the overlap check happens inside it
(``bookings.services``).
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import BigIntegerField, F, Func, Q
from django.db.models.functions import Coalesce

from coresync.catalog.models import AddOn, Location, PriceColumn, Room, Service
from coresync.core.fields import (
    BlindIndexedModel,
    BlindIndexField,
    EncryptedCharField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedTextField,
)
from coresync.core.models import TimeStampedModel
from coresync.technicians.models import Technician

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U


def new_reference() -> str:
    return "CS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL; nothing on SQLite, where IMMEDIATE transactions guard instead."""

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def validate(self, model, instance, exclude=None, using="default"):
        from django.db import connections

        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class BookingStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    EXPIRED = "expired", "Expired"


# Statuses whose time is no longer held by anyone.
RELEASED_STATUSES = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
ACTIVE_Q = ~Q(status__in=RELEASED_STATUSES)


class Channel(models.TextChoices):
    WEB = "web", "Web"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    ADMIN = "admin", "Admin"


class BookingGroup(BlindIndexedModel, TimeStampedModel):
    """People booked together (SPEC §10.7): one booking each, made all or nothing, at the same start.

    The organiser is whoever made the booking (a signed-in customer, or a guest's
    contact); every person's own contact is on their booking.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="booking_groups"
    )
    organiser_name = EncryptedCharField(max_length=150)
    organiser_email = EncryptedEmailField(blind_index="organiser_email_bidx")
    organiser_email_bidx = BlindIndexField(source="organiser_email", kind="email", db_index=True)
    organiser_phone = EncryptedCharField(max_length=32, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    size = models.PositiveSmallIntegerField(help_text="People booked together when the group was made.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"group of {self.size} · {self.organiser_email}"


# A booking's party on a room: its group, or (not in a group) the booking itself. Bookings of one party may
# share a room that holds several people (the couples suite); different parties never overlap on a room.
ROOM_PARTY = Coalesce(F("group_id"), F("id") * -1, output_field=BigIntegerField())


class Booking(BlindIndexedModel, TimeStampedModel):
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="bookings")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    # The guest's contact and notes are encrypted at rest; e-mail and phone are found by blind index.
    customer_name = EncryptedCharField(max_length=150)
    customer_email = EncryptedEmailField(blind_index="customer_email_bidx")
    customer_email_bidx = BlindIndexField(source="customer_email", kind="email", db_index=True)
    customer_phone = EncryptedCharField(max_length=32, blank=True, blind_index="customer_phone_bidx", index_kind="phone")
    customer_phone_bidx = BlindIndexField(source="customer_phone", kind="phone", db_index=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="bookings")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="When the guest's service ends (buffer excluded).")
    blocked_until = models.DateTimeField(help_text="End plus clean-up buffer: technician and room are busy until then.")
    status = models.CharField(max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    notes = EncryptedTextField(blank=True)
    # Price snapshot taken when the booking was made.
    price_column = models.CharField(max_length=16, choices=PriceColumn.choices, default=PriceColumn.NON_MEMBER)
    tier_name = models.CharField(max_length=80, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    price_lines = models.JSONField(default=list, blank=True)
    # Lifecycle.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    rescheduled_from = models.DateTimeField(null=True, blank=True)
    ics_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE of the guest's invite: +1 on every reschedule and on cancellation."
    )
    # Traces into other systems.
    ai_session_id = models.CharField(max_length=64, blank=True, db_index=True)
    atlas_call_id = models.CharField(max_length=100, blank=True, db_index=True)
    group = models.ForeignKey(BookingGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["technician", "start"], name="booking_technician_start"),
            models.Index(fields=["room", "start"], name="booking_room_start"),
            models.Index(fields=["start", "blocked_until"], name="booking_start_blocked", condition=ACTIVE_Q),
            models.Index(fields=["status", "hold_expires_at"], name="booking_status_hold"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(condition=Q(blocked_until__gte=F("end")), name="booking_blocked_covers_end"),
            models.CheckConstraint(condition=Q(total__gte=0), name="booking_total_not_negative"),
            PostgresExclusionConstraint(
                name="booking_no_technician_overlap",
                expressions=[
                    (TsTzRange("start", "blocked_until", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("technician", RangeOperators.EQUAL),
                ],
                condition=ACTIVE_Q,
            ),
            PostgresExclusionConstraint(
                name="booking_no_room_overlap",
                expressions=[
                    (TsTzRange("start", "blocked_until", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                    (ROOM_PARTY, RangeOperators.NOT_EQUAL),
                ],
                condition=ACTIVE_Q,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.service} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status not in RELEASED_STATUSES

    # Vendor ids live in ``integrations.ExternalReference``, not here (one query each; not for hot paths).
    @property
    def quickbooks_synced(self) -> bool:
        from coresync.integrations.references import is_synced

        return is_synced(self, system="quickbooks", kind="sales_receipt")

    @property
    def google_calendar_event_id(self) -> str:
        from coresync.integrations.references import external_ref

        reference = external_ref(self, system="google_calendar", kind="event:master")
        return reference.external_id if reference else ""


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    RESCHEDULED = "rescheduled", "Rescheduled"


class EventChannel(models.TextChoices):
    """Where a change came from: the booking channels, plus the scheduler's jobs and the payment provider."""

    WEB = "web", "Web"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    SYSTEM = "system", "Scheduled job"
    PAYMENT = "payment", "Payment provider"


class BookingEvent(models.Model):
    """One entry of a booking's history: who changed what, when, and through which channel. Append-only."""

    booking = models.ForeignKey("Booking", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=BookingStatus.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = EncryptedCharField(max_length=120, blank=True, help_text="Who, when no account acted: a guest's e-mail, a job's name.")
    channel = models.CharField(max_length=10, choices=EventChannel.choices)
    reason = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="What changed, e.g. the previous and the new start.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"], name="booking_event_booking_time")]

    def __str__(self) -> str:
        change = f"{self.from_status} → {self.to_status}" if self.kind == EventKind.STATUS else self.get_kind_display()
        return f"{self.booking_id} · {change} · {self.channel}"


class BookingAddOn(models.Model):
    """An add-on on a booking, with the price and minutes it had when booked."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="booking_addons")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    amount = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = "booking add-on"
        constraints = [models.UniqueConstraint(fields=["booking", "addon"], name="booking_addon_once")]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """The first answer given for an ``Idempotency-Key``; a repeat gets the same answer."""

    owner = models.CharField(max_length=100, help_text="user:<id> or the client IP for anonymous callers.")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    booking = models.ForeignKey(Booking, null=True, on_delete=models.CASCADE, related_name="+")
    response_status = models.PositiveSmallIntegerField()
    response_body = EncryptedJSONField(help_text="The first answer (it names the guest): encrypted at rest.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]

    def __str__(self) -> str:
        return f"{self.owner} · {self.key}"
