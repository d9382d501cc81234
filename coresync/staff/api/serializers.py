"""Request shapes and payloads of the technicians' and the manager's staff API."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rest_framework import serializers

from coresync.technicians.models import TimeOff, WorkLog


class DateRangeSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to"):
            if attrs["date_to"] < attrs["date_from"]:
                raise serializers.ValidationError({"date_to": "Must not be before date_from."})
            if (attrs["date_to"] - attrs["date_from"]).days > 92:
                raise serializers.ValidationError({"date_to": "At most 92 days at a time."})
        return attrs


class WorkLogCreateSerializer(serializers.Serializer):
    date = serializers.DateField()
    hours = serializers.CharField(max_length=12)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    technician = serializers.IntegerField(required=False, help_text="Only your own id; anyone else's is 403.")


class WorkLogUpdateSerializer(serializers.Serializer):
    hours = serializers.CharField(max_length=12, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ReviewSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ShiftSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = serializers.CharField(max_length=8)
    end = serializers.CharField(max_length=8)


class TimeOffCreateSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WeekSerializer(serializers.Serializer):
    week = serializers.CharField(max_length=10, help_text="ISO week, e.g. 2026-W49")


def worklog_payload(log: WorkLog, *, with_technician: bool = False) -> dict:
    body = {
        "id": log.pk, "date": log.date.isoformat(), "hours": str(log.hours), "note": log.note, "status": log.status,
        "reason": log.reason, "reviewed_at": log.reviewed_at.isoformat() if log.reviewed_at else None,
    }
    if with_technician:
        body["technician"] = {"id": log.technician_id, "name": log.technician.display_name}
        body["history"] = log.history
    return body


def time_off_payload(time_off: TimeOff, tz: ZoneInfo | None = None, *, with_technician: bool = False) -> dict:
    body = {
        "id": time_off.pk, "start": time_off.starts_at.astimezone(tz).isoformat(), "end": time_off.ends_at.astimezone(tz).isoformat(),
        "reason": time_off.reason, "status": time_off.status, "review_reason": time_off.review_reason,
    }
    if with_technician:
        body["technician"] = {"id": time_off.technician_id, "name": time_off.technician.display_name}
    return body


def first_name(full_name: str) -> str:
    return (full_name or "").strip().split(" ")[0] or "Guest"


def technician_booking_payload(booking, tz: ZoneInfo) -> dict:
    """What a technician needs about a booking: the guest's first name only, no e-mail, phone or price."""
    return {
        "reference": booking.reference,
        "status": booking.status,
        "start": booking.start.astimezone(tz).isoformat(),
        "end": booking.end.astimezone(tz).isoformat(),
        "customer": {"first_name": first_name(booking.customer_name)},
        "service": {"slug": booking.service.slug, "name": booking.service.name},
        "addons": [{"name": a.name, "extra_minutes": a.extra_minutes} for a in booking.booking_addons.all()],
        "room": {"id": booking.room_id, "name": booking.room.name},
        "notes": booking.notes,
    }
