"""Input validation and output shapes for the bookings API (SPEC §4)."""

from __future__ import annotations

from datetime import date

from rest_framework import serializers

from coresync.bookings.availability import iso_local
from coresync.bookings.models import Booking
from coresync.bookings.services import MAX_NOTES
from coresync.catalog.selectors import catalog_snapshot
from coresync.technicians.selectors import schedule_snapshot


class AvailabilityQuerySerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=80)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    technician = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    addons = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs):
        attrs["date_from"] = attrs.get("date_from") or date.today()
        attrs["date_to"] = attrs.get("date_to") or attrs["date_from"]
        attrs["addons"] = [slug.strip() for slug in attrs.get("addons", "").split(",") if slug.strip()]
        return attrs


class GuestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class PartyMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    service = serializers.SlugField(max_length=80, required=False)
    addons = serializers.ListField(child=serializers.SlugField(max_length=80), required=False, max_length=10, default=list)


class BookingCreateSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=80)
    start = serializers.DateTimeField()
    technician = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    addons = serializers.ListField(child=serializers.SlugField(max_length=80), required=False, max_length=10, default=list)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES, default="", trim_whitespace=True)
    guest = GuestSerializer(required=False)
    # A group (SPEC §10.7): 2–6 people at the same start; the size is checked by the service (one rule, one message).
    party = serializers.ListField(child=PartyMemberSerializer(), required=False, max_length=20)


SCOPES = [("one", "This booking only"), ("all", "Every booking of its group")]


class BookingRescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    technician = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    email = serializers.EmailField(required=False)
    scope = serializers.ChoiceField(choices=SCOPES, default="one", help_text="For a group booking: move it alone, or all together.")


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    email = serializers.EmailField(required=False)
    scope = serializers.ChoiceField(choices=SCOPES, default="one", help_text="For a group booking: cancel it alone, or all of it.")


def booking_payload(booking: Booking) -> dict:
    """The contract's booking shape; names come from the catalog and schedule snapshots, so no extra queries."""
    snapshot = catalog_snapshot()
    location = snapshot.locations.get(booking.location_id)
    tz = location.tz if location else None
    service = snapshot.services.get(booking.service_id)
    technician = schedule_snapshot().technicians.get(booking.technician_id)
    room = snapshot.rooms.get(booking.room_id)
    return {
        "reference": booking.reference,
        "status": booking.status,
        "channel": booking.channel,
        "group": str(booking.group.public_id) if booking.group_id else None,
        "start": booking.start.astimezone(tz).isoformat(),
        "end": booking.end.astimezone(tz).isoformat(),
        "service": {"slug": service.slug, "name": service.name} if service else {"slug": booking.service.slug, "name": booking.service.name},
        "addons": [
            {"slug": snapshot.addons[a.addon_id].slug if a.addon_id in snapshot.addons else None, "name": a.name,
             "extra_minutes": a.extra_minutes, "amount": str(a.amount)}
            for a in booking.booking_addons.all()
        ],
        "technician": {"id": booking.technician_id, "name": technician.name if technician else booking.technician.display_name},
        "room": {"id": booking.room_id, "name": room.name if room else booking.room.name},
        "customer": {"name": booking.customer_name, "email": booking.customer_email},
        "notes": booking.notes,
        "price": {
            "currency": booking.currency,
            "subtotal": str(booking.subtotal),
            "discount": str(booking.discount),
            "tax": str(booking.tax),
            "total": str(booking.total),
            "tier": booking.tier_name or None,
            "lines": [{"description": line["description"], "amount": line["amount"]} for line in booking.price_lines],
        },
        "payment": payment_summary(booking),
        "hold_expires_at": booking.hold_expires_at.isoformat() if booking.hold_expires_at else None,
        "created_at": booking.created_at.astimezone(tz).isoformat() if booking.created_at else None,
    }


def group_payload(bookings) -> dict:
    """``{"group": "<id>", "bookings": [<booking>, ...]}`` (SPEC §10.7)."""
    return {"group": str(bookings[0].group.public_id), "bookings": [booking_payload(b) for b in bookings]}


_NOT_LOADED = object()


def payment_summary(booking: Booking) -> dict:
    """SPEC §10.2 ``payment``: the booking's own charge (fees aside), read through the reverse relation of
    ``payments.Payment`` (bookings sits below payments and imports nothing of it). A booking just created carries
    ``_coresync_payment = None`` (set by the payments receiver of its creation), so creating costs no query here."""
    payment = getattr(booking, "_coresync_payment", _NOT_LOADED)
    if payment is _NOT_LOADED:
        payment = next((p for p in booking.payments.all() if p.purpose == "booking"), None)
    if payment is None:
        return {"status": "unpaid", "amount_paid": "0.00", "refunded": "0.00"}
    return {"status": payment.status, "amount_paid": str(payment.amount_paid), "refunded": str(payment.amount_refunded)}


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(1440)]


def slots_payload(slots) -> list[dict]:
    """The availability slots as contract dicts, in one pass.

    A 90-day answer has ~4,000 slots; formatting each timestamp from scratch cost
    more than finding the slots. The date prefix and offset suffix are made once
    per local day, the clock part comes from a table, and each technician's dict
    is shared. Output is identical to ``Slot.as_dict`` (tested).
    """
    days: dict[tuple[int, int], tuple[str, str]] = {}
    technicians: dict[int, dict] = {}
    out = []
    for slot in slots:
        offset = slot.offset_minutes
        start_local = slot.start_minute + offset
        end_local = slot.end_minute + offset
        day = start_local // 1440
        parts = days.get((day, offset))
        if parts is None:
            sign = "-" if offset < 0 else "+"
            hours, minutes = divmod(abs(offset), 60)
            parts = days[(day, offset)] = (date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + "T", f"{sign}{hours:02d}:{minutes:02d}")
        prefix, suffix = parts
        technician = technicians.get(slot.technician_id)
        if technician is None:
            technician = technicians[slot.technician_id] = {"id": slot.technician_id, "name": slot.technician_name}
        same_day = end_local // 1440 == day
        end = prefix + _CLOCK[end_local % 1440] + suffix if same_day else iso_local(slot.end_minute, offset)
        out.append({"start": prefix + _CLOCK[start_local % 1440] + suffix, "end": end, "technician": technician})
    return out
