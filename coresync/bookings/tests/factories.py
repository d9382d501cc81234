"""Booking factory: a confirmed booking whose end and blocked interval follow from its service."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from coresync.bookings.models import Booking, BookingStatus


class BookingFactory(DjangoModelFactory):
    """Pass ``service``, ``technician``, ``room`` and ``start``; ``end``/``blocked_until`` come from the service."""

    class Meta:
        model = Booking

    location = factory.LazyAttribute(lambda o: o.service.location)
    customer = None
    customer_name = "Walk-in Guest"
    customer_email = factory.Sequence(lambda n: f"guest{n}@example.test")
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=o.service.duration_minutes))
    blocked_until = factory.LazyAttribute(lambda o: o.end + timedelta(minutes=o.service.buffer_minutes))
    status = BookingStatus.CONFIRMED
    subtotal = Decimal("100.00")
    total = Decimal("108.88")
