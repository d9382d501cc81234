"""Seed the benchmark database: the spa-5k / spa-20k data sets of SPEC §9.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coresync_bench \\
        .venv/bin/python bench/dataset.py catalog          # location, rooms, staff, services, prices, tiers, member
    ... bench/dataset.py bookings 5000                    # replace all bookings: 5,000 confirmed + 500 cancelled

``catalog`` expects an empty, migrated database (``bench/run.py`` drops and
recreates it). ``bookings N`` truncates the booking tables and bulk-inserts
``N`` confirmed bookings placed by ``bench/placement.py`` (never overlapping a
technician or a room, buffers included, so the exclusion constraints accept
them) plus ``N / 10`` cancelled ones, over the next 90 days from today
(America/New_York), then ANALYZEs. It prints the Premium member's API token
as ``TOKEN=<key>`` for the load scripts.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

MEMBER_EMAIL = "premium-member@bench.coresync.test"
BASE_PRICES = {30: Decimal("65.00"), 60: Decimal("140.00"), 90: Decimal("195.00"), 120: Decimal("260.00")}
FIRST_NAMES = ["Maya", "Daniel", "Sofia", "James", "Luca", "Aiko", "Elena", "Noah", "Priya", "Omar",
               "Chloe", "Mateo", "Hana", "Liam", "Zara", "Ethan", "Ines", "Kofi", "Ava", "Jonas"]  # fmt: skip
LAST_NAMES = ["Rivera", "Cho", "Marin", "Okafor", "Bianchi", "Tanaka", "Petrova", "Kim", "Shah", "Haddad",
              "Dubois", "Garcia", "Sato", "Walsh", "Ahmed", "Brooks", "Costa", "Mensah", "Novak", "Berg"]  # fmt: skip
SERVICE_WORDS = {
    "massages": ["Swedish", "Deep Tissue", "Hot Stone", "Aromatherapy", "Sports", "Prenatal", "Lymphatic", "Thai",
                 "Shiatsu", "Reflexology", "Bamboo", "Cupping", "Balinese", "Lomi Lomi", "Signature", "Couples"],
    "facials": ["Signature", "Hydrating", "Age-Defying", "Express Glow", "Brightening", "Purifying", "Oxygen",
                "Gentlemen's", "Calming", "Peptide", "Enzyme", "Vitamin C"],
    "mani-pedi": ["Classic Manicure", "Gel Manicure", "Classic Pedicure", "Spa Pedicure", "Paraffin Manicure",
                  "Express Pedicure", "Men's Manicure", "Luxury Pedicure", "French Manicure", "Callus Pedicure",
                  "Nail Art", "Polish Change"],
}  # fmt: skip


def log(message: str) -> None:
    print(f"    [dataset] {message}", flush=True)


def _setup() -> None:
    import django

    django.setup()


def seed_catalog() -> str:
    """Everything but bookings. Returns the member's API token."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from bench.placement import CLOSE_MINUTE, OPEN_MINUTE, ROOM_TYPES, TZ_NAME, catalog_shape
    from coresync.accounts.models import User
    from coresync.catalog import models as catalog
    from coresync.memberships.models import Membership, MembershipTier
    from coresync.technicians.models import Technician, WeeklyShift

    services, rooms, technicians = catalog_shape()
    with transaction.atomic():
        location = catalog.Location.objects.create(
            name="CoreSync Bench Spa",
            slug="bench-spa",
            timezone=TZ_NAME,
            slot_step_minutes=15,
            lead_time_minutes=120,
            guest_booking_window_days=3,
        )
        opens, closes = dtime(OPEN_MINUTE // 60), dtime(CLOSE_MINUTE // 60)
        catalog.OpeningHours.objects.bulk_create(
            catalog.OpeningHours(location=location, weekday=d, opens=opens, closes=closes) for d in range(7)
        )
        room_types, skills, categories = {}, {}, {}
        for position, (slug, name, _n, skill, category, _s) in enumerate(ROOM_TYPES):
            room_types[slug] = catalog.RoomType.objects.create(slug=slug, name=name)
            skills[skill] = catalog.Skill.objects.create(slug=skill, name=skill.title())
            categories[slug] = catalog.ServiceCategory.objects.create(
                slug=category, name=category.replace("-", " & ").title(), position=position
            )
        room_rows = []
        for i, slug in enumerate(rooms):
            room_rows.append(catalog.Room(location=location, name=f"{room_types[slug].name} {i + 1}", room_type=room_types[slug]))
        catalog.Room.objects.bulk_create(room_rows)
        service_rows, price_rows, used = [], [], set()
        for shape in services:
            category = categories[shape.room_type]
            words = SERVICE_WORDS[category.slug]
            word = words[sum(1 for s in services[: shape.key] if s.room_type == shape.room_type) % len(words)]
            name = (
                f"{word} {shape.duration}"
                if category.slug == "mani-pedi"
                else f"{word} {category.name.rstrip('s')} {shape.duration}"
            )
            slug = name.lower().replace("'", "").replace(" ", "-")
            assert slug not in used
            used.add(slug)
            skill = next(t[3] for t in ROOM_TYPES if t[0] == shape.room_type)
            service_rows.append(
                catalog.Service(
                    location=location,
                    category=category,
                    name=name,
                    slug=slug,
                    duration_minutes=shape.duration,
                    buffer_minutes=shape.buffer,
                    required_room_type=room_types[shape.room_type],
                    required_skill=skills[skill],
                    position=shape.key,
                    short_description=f"{name}, {shape.duration} minutes.",
                )
            )
        catalog.Service.objects.bulk_create(service_rows)
        for service in catalog.Service.objects.all():
            amount = BASE_PRICES[service.duration_minutes]
            for column, factor in (("non_member", Decimal("1")), ("base", Decimal("0.70")), ("premium", Decimal("0.60"))):
                price_rows.append(
                    catalog.Price(
                        service=service, column=column, amount=(amount * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    )
                )
        catalog.Price.objects.bulk_create(price_rows)
        base_tier = MembershipTier.objects.create(
            slug="base",
            name="Base",
            price_column="base",
            discount_percent=30,
            booking_window_days=60,
            monthly_price=Decimal("149.00"),
            position=1,
        )
        premium = MembershipTier.objects.create(
            slug="premium",
            name="Premium",
            price_column="premium",
            discount_percent=40,
            booking_window_days=90,
            monthly_price=Decimal("249.00"),
            position=2,
        )
        assert base_tier.pk
        users = User.objects.bulk_create(
            User(
                email=f"tech{i + 1}@bench.coresync.test",
                name=f"{FIRST_NAMES[i]} {LAST_NAMES[i]}",
                role="technician",
                password="!unusable",
            )
            for i in range(len(technicians))
        )
        techs = Technician.objects.bulk_create(
            Technician(
                user=u,
                location=location,
                display_name=f"{u.name.split()[0]} {u.name.split()[1][0]}.",
                hourly_rate=Decimal("36.00"),
            )
            for u in users
        )
        through = Technician.skills.through
        through.objects.bulk_create(
            through(technician_id=tech.pk, skill_id=skills[skill].pk)
            for tech, (_primary, all_skills) in zip(techs, technicians, strict=True)
            for skill in all_skills
        )
        WeeklyShift.objects.bulk_create(
            WeeklyShift(technician=tech, weekday=d, starts=opens, ends=closes) for tech in techs for d in range(7)
        )
        member = User.objects.create_user(MEMBER_EMAIL, "bench-member-password", name="Grace Whitman", phone="+1 212 555 0100")
        Membership.objects.create(
            user=member,
            tier=premium,
            member_number="BENCH-0001",
            started_on=datetime.now(UTC).date(),
            status=Membership.Status.ACTIVE,
        )
        token = Token.objects.create(user=member)
    log(
        f"catalog: 1 location, {len(rooms)} rooms in {len(ROOM_TYPES)} types, {len(techs)} technicians, "
        f"{len(service_rows)} services, {len(price_rows)} prices, 2 tiers, 1 Premium member"
    )
    return token.key


def _reference(i: int) -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
    chars = []
    for _ in range(6):
        i, r = divmod(i, len(alphabet))
        chars.append(alphabet[r])
    # "BS-": never produced by bookings.models.new_reference ("CS-"), so API bookings cannot collide with these.
    return "BS-" + "".join(reversed(chars))


def seed_bookings(n_confirmed: int, seed: int = 5) -> None:
    from zoneinfo import ZoneInfo

    from django.db import connection, transaction

    from bench.placement import TZ_NAME, check_no_overlap, place_bookings, place_cancelled
    from coresync.bookings.availability import LocalClock
    from coresync.bookings.models import Booking
    from coresync.catalog.models import Location, Price, Room, Service
    from coresync.technicians.models import Technician

    clock = LocalClock(ZoneInfo(TZ_NAME))
    today = clock.today(int(time.time()) // 60)
    started = time.monotonic()
    placed = place_bookings(n_confirmed, today, seed=seed, progress=log)
    check_no_overlap(placed)
    cancelled = place_cancelled(n_confirmed // 10, today, seed=seed + 1)
    log(
        f"placement done: {len(placed):,} confirmed + {len(cancelled):,} cancelled, checked overlap-free "
        f"({time.monotonic() - started:.1f} s)"
    )
    location = Location.objects.get(slug="bench-spa")
    services = list(Service.objects.order_by("position").values_list("id", "duration_minutes"))
    rooms = list(Room.objects.order_by("id").values_list("id", flat=True))
    techs = list(Technician.objects.order_by("id").values_list("id", flat=True))
    prices = {p.service_id: p.amount for p in Price.objects.filter(column="non_member", service__isnull=False)}
    now = datetime.now(UTC)

    def row(i: int, p, status: str) -> Booking:
        service_id = services[p.service][0]
        subtotal = prices[service_id]
        tax = (subtotal * Decimal("0.08875")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        guest = f"{FIRST_NAMES[i % 20]} {LAST_NAMES[(i // 20) % 20]}"
        return Booking(
            reference=_reference(i),
            location=location,
            customer_name=guest,
            customer_email=f"guest{i}@example.com",
            customer_phone=f"+1 212 555 {i % 10000:04d}",
            service_id=service_id,
            technician_id=techs[p.technician],
            room_id=rooms[p.room],
            start=datetime.fromtimestamp(p.start * 60, UTC),
            end=datetime.fromtimestamp(p.end * 60, UTC),
            blocked_until=datetime.fromtimestamp(p.blocked_until * 60, UTC),
            status=status,
            channel="web",
            price_column="non_member",
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            price_lines=[{"description": "Service", "amount": str(subtotal)}],
            cancelled_at=now if status == "cancelled" else None,
        )

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bookings_booking, bookings_bookingaddon, bookings_idempotencykey RESTART IDENTITY CASCADE")
    rows = [row(i, p, "confirmed") for i, p in enumerate(placed)]
    rows += [row(len(placed) + i, p, "cancelled") for i, p in enumerate(cancelled)]
    batch = 2000
    with transaction.atomic():
        for first in range(0, len(rows), batch):
            Booking.objects.bulk_create(rows[first : first + batch])
            log(f"inserted {min(first + batch, len(rows)):,}/{len(rows):,} bookings")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'cancelled') FROM bookings_booking"
        )
        confirmed, n_cancelled = cursor.fetchone()
    log(f"bookings in the database: {confirmed:,} confirmed, {n_cancelled:,} cancelled ({time.monotonic() - started:.1f} s)")


def member_token() -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get(user__email=MEMBER_EMAIL).key


def main(argv: list[str]) -> None:
    _setup()
    if argv[:1] == ["catalog"]:
        print(f"TOKEN={seed_catalog()}", flush=True)
    elif argv[:1] == ["bookings"] and len(argv) == 2:
        seed_bookings(int(argv[1]))
        print(f"TOKEN={member_token()}", flush=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
