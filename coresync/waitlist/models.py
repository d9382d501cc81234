from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresync.catalog.models import Location, Service
from coresync.core.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField, EncryptedEmailField
from coresync.core.models import TimeStampedModel


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a time"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Left the waitlist"


class WaitlistEntry(BlindIndexedModel, TimeStampedModel):
    """Someone who wants ``service`` between two local dates (optionally between two local times of day).

    Entries are served first come, first served (``created_at``, then ``id``).
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="waitlist_entries")
    name = EncryptedCharField(max_length=150)  # the contact is encrypted at rest (coresync.core.fields)
    email = EncryptedEmailField(blind_index="email_bidx")
    email_bidx = BlindIndexField(source="email", kind="email", db_index=True)
    phone = EncryptedCharField(max_length=32, blank=True)
    date_from = models.DateField()
    date_to = models.DateField()
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING, db_index=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(condition=Q(date_to__gte=F("date_from")), name="waitlist_dates_in_order"),
        ]
        indexes = [models.Index(fields=["status", "date_to"])]

    def __str__(self) -> str:
        return f"{self.email} waiting for {self.service_id} {self.date_from}–{self.date_to}"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired (no answer)"
    TAKEN = "taken", "Taken by someone else"
    WITHDRAWN = "withdrawn", "Withdrawn"


class WaitlistOffer(TimeStampedModel):
    """A freed start time offered to one entry until ``expires_at``.

    The database keeps the chain honest: one open offer per entry, and one open
    offer per (technician, start), so two cancellations at once never offer one
    slot twice.
    """

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN, db_index=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="open"), name="waitlist_one_open_offer_per_entry"),
            models.UniqueConstraint(fields=["technician", "start"], condition=Q(status="open"), name="waitlist_one_open_offer_per_slot"),
            models.UniqueConstraint(fields=["entry", "technician", "start"], name="waitlist_a_slot_offered_once_per_entry"),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} to entry {self.entry_id} at {self.start:%Y-%m-%d %H:%M}"
