from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresync.catalog.models import WEEKDAYS, Location, Skill
from coresync.core.models import TimeStampedModel


class Technician(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="technician")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="technicians")
    display_name = models.CharField(max_length=120, help_text="The name guests see, e.g. 'Maya R.'")
    skills = models.ManyToManyField(Skill, related_name="technicians", blank=True)
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    bio = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    calendar_id = models.CharField(max_length=200, blank=True, help_text="Google Calendar id for free/busy and mirroring.")
    google_sheet_row_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class WeeklyShift(models.Model):
    """The recurring weekly schedule: one row per working block on a weekday (local wall time)."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="weekly_shifts")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["technician", "weekday", "starts"]
        verbose_name = "weekly schedule block"
        constraints = [models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="weekly_shift_ends_after_starts")]

    def __str__(self) -> str:
        return f"{self.technician} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TimeOff(TimeStampedModel):
    """Time away. Only ``approved`` time off removes slots; a technician's request from the portal waits ``pending``.

    Rows made by staff in the admin (and older rows) are approved from the start.
    """

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.APPROVED, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_starts")]
        indexes = [models.Index(fields=["technician", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.technician} off {self.starts_at:%Y-%m-%d %H:%M}"


class ExtraShift(TimeStampedModel):
    """A one-off block of work outside the weekly schedule."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="extra_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="extra_shift_ends_after_starts")]
        indexes = [models.Index(fields=["technician", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.technician} extra {self.starts_at:%Y-%m-%d %H:%M}"


class WorkLog(TimeStampedModel):
    """Hours a technician worked on one date, approved or rejected by a manager (payroll counts approved ones only).

    ``history`` is the audit trail: one entry per change, ``{"at", "by", "action", "hours", "status", "reason"}``.
    """

    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="work_logs")
    date = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was rejected (or a note on approval).")
    history = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "date"], name="work_log_one_per_date"),
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=16), name="work_log_hours_0_to_16"),
        ]
        indexes = [models.Index(fields=["status", "date"])]

    def __str__(self) -> str:
        return f"{self.technician} {self.date:%Y-%m-%d} {self.hours} h ({self.status})"
