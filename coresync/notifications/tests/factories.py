"""Factories on top of the seeded demo spa (the root ``conftest.py`` seeds it once per session)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from coresync.accounts.models import User
from coresync.bookings.models import Booking, BookingAddOn, BookingStatus
from coresync.catalog.models import AddOn, Location, Room, Service
from coresync.memberships.models import Membership, MembershipTier
from coresync.technicians.models import Technician


def _service(location):
    return Service.objects.filter(location=location, active=True).order_by("pk").first()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"guest{n}@example.com")
    name = factory.Sequence(lambda n: f"Guest Number{n}")


class BookingFactory(DjangoModelFactory):
    """A confirmed booking written straight to the table (the booking service is not under test here).

    Each one gets its own technician-free hour far apart from the others, so the
    PostgreSQL exclusion constraints never trip between factory rows.
    """

    class Meta:
        model = Booking
        skip_postgeneration_save = True

    location = factory.LazyFunction(lambda: Location.objects.order_by("pk").first())
    service = factory.LazyAttribute(lambda o: _service(o.location))
    technician = factory.LazyAttribute(lambda o: Technician.objects.filter(location=o.location).order_by("pk").first())
    room = factory.LazyAttribute(
        lambda o: Room.objects.filter(location=o.location, room_type=o.service.required_room_type).order_by("pk").first()
    )
    customer_name = "Amelia Laurent"
    customer_email = factory.Sequence(lambda n: f"amelia{n}@example.com")
    start = factory.Sequence(lambda n: timezone.now().replace(microsecond=0) + timedelta(days=2, hours=3 * n))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=o.service.duration_minutes))
    blocked_until = factory.LazyAttribute(lambda o: o.end + timedelta(minutes=o.service.buffer_minutes))
    status = BookingStatus.CONFIRMED
    currency = "USD"
    subtotal = Decimal("150.00")
    tax = Decimal("13.31")
    total = Decimal("163.31")
    price_lines = factory.LazyAttribute(
        lambda o: [{"description": o.service.name, "amount": "150.00"}]
    )

    @factory.post_generation
    def addons(self, create, extracted, **kwargs):
        for addon in extracted or ():
            BookingAddOn.objects.create(booking=self, addon=addon, name=addon.name, amount=Decimal("20.00"))


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tier = factory.LazyFunction(lambda: MembershipTier.objects.get(slug="premium"))
    member_number = factory.Sequence(lambda n: f"M-{40000000 + n}")
    started_on = factory.LazyFunction(timezone.localdate)
    renews_on = factory.LazyAttribute(lambda o: o.started_on + timedelta(days=30))
    card_on_file = True


def an_addon() -> AddOn:
    return AddOn.objects.order_by("pk").first()
