"""The spa's catalog: location, categories, services, add-ons, rooms and prices.

Everything here is data the manager edits in the admin; the availability
engine reads it through a cached snapshot (``catalog.selectors``) that is
invalidated whenever any of these rows change.
"""

from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from coresync.core.models import TimeStampedModel

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"), (6, "Sunday")]


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


class Location(TimeStampedModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    map_url = models.URLField(blank=True)
    directions = models.TextField(blank=True, help_text="How to get here (used by the concierge and the reminder e-mail).")
    parking = models.TextField(blank=True, help_text="Where to park.")
    what_to_bring = models.TextField(blank=True)
    cancellation_policy = models.TextField(blank=True)
    google_review_url = models.URLField(blank=True)
    slot_step_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(5), MaxValueValidator(120)])
    lead_time_minutes = models.PositiveIntegerField(default=120, help_text="How far ahead of now the first bookable start is.")
    guest_booking_window_days = models.PositiveSmallIntegerField(default=3, help_text="How many days ahead non-members may book.")
    free_cancellation_hours = models.PositiveSmallIntegerField(default=24)
    # Policy fees charged to the card on file (coresync.payments): a cancellation inside the free window, a no-show.
    late_cancellation_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    no_show_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    sales_tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("8.875"), help_text="Percent.")
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="opening_hours_closes_after_opens")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class RoomType(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="rooms")
    capacity = models.PositiveSmallIntegerField(
        default=1, help_text="People of one party it holds at once (a couples suite: 2). Parties never share a room."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_unique_name_per_location")]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceCategory(TimeStampedModel):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to="categories/", blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    taxable = models.BooleanField(default=True, help_text="Sales tax applies to services in this category.")
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated words guests use for this category.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "service categories"

    def __str__(self) -> str:
        return self.name


class Service(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(600)])
    buffer_minutes = models.PositiveSmallIntegerField(default=0, help_text="Clean-up time after the service; blocks room and technician.")
    required_room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="services")
    required_skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="services")
    description = models.TextField(blank=True)
    short_description = models.CharField(max_length=200, blank=True)
    image = models.ImageField(upload_to="services/", blank=True)
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated words guests use for this service.")
    active = models.BooleanField(default=True)
    taxable = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category__position", "position", "name"]

    def __str__(self) -> str:
        return self.name


class AddOn(TimeStampedModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True)
    services = models.ManyToManyField(Service, related_name="addons", blank=True)
    active = models.BooleanField(default=True)
    taxable = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "add-on"

    def __str__(self) -> str:
        return self.name


class PriceColumn(models.TextChoices):
    """The pricing sheet's columns: Non-Member, Base 30%, Premium 40%."""

    NON_MEMBER = "non_member", "Non-Member"
    BASE = "base", "Base"
    PREMIUM = "premium", "Premium"


class Price(TimeStampedModel):
    """One amount in one price column, for a service or an add-on."""

    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="prices")
    addon = models.ForeignKey(AddOn, null=True, blank=True, on_delete=models.CASCADE, related_name="prices")
    column = models.CharField(max_length=16, choices=PriceColumn.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["service", "addon", "column"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(service__isnull=False, addon__isnull=True) | Q(service__isnull=True, addon__isnull=False)),
                name="price_for_service_xor_addon",
            ),
            models.UniqueConstraint(fields=["service", "column"], condition=Q(service__isnull=False), name="price_unique_service_column"),
            models.UniqueConstraint(fields=["addon", "column"], condition=Q(addon__isnull=False), name="price_unique_addon_column"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service or self.addon} · {self.get_column_display()} · {self.amount}"
