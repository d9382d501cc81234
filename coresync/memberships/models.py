from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from coresync.catalog.models import PriceColumn
from coresync.core.models import TimeStampedModel


class MembershipTier(TimeStampedModel):
    """Base and Premium: discount, booking window and monthly price are data, not code."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    price_column = models.CharField(
        max_length=16, choices=PriceColumn.choices, help_text="Which column of the pricing sheet members of this tier pay."
    )
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
    )
    booking_window_days = models.PositiveSmallIntegerField(validators=[MaxValueValidator(366)])
    monthly_price = models.DecimalField(max_digits=9, decimal_places=2)
    benefits = models.TextField(blank=True, help_text="One benefit per line.")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "monthly_price"]

    def __str__(self) -> str:
        return self.name

    @property
    def benefit_list(self) -> list[str]:
        return [line.strip("-• ").strip() for line in self.benefits.splitlines() if line.strip()]


class Membership(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELLED = "cancelled", "Cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tier = models.ForeignKey(MembershipTier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    member_number = models.CharField(max_length=20, unique=True)
    started_on = models.DateField()
    renews_on = models.DateField(null=True, blank=True)
    card_on_file = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status__in=["active", "past_due"]), name="membership_one_current_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_number} · {self.tier} · {self.user}"


class MembershipEvent(models.Model):
    """A membership's history: started, status changes (past due, reactivated, cancelled), who and through which channel."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=Membership.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Membership.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    channel = models.CharField(max_length=10, help_text="web, admin, payment (the payment provider), system (a scheduled job)")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.membership_id} · {self.from_status or 'new'} → {self.to_status} · {self.channel}"
