"""The demo spa: one New York location, four categories, rooms, technicians, tiers and accounts.

``seed_demo()`` is idempotent: it updates rows in place (by slug or e-mail) and
never duplicates them, so it runs on every ``make run``.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

DEMO_PASSWORD = "coresync-demo"
PRICING_FILE = Path(settings.BASE_DIR) / "data" / "demo_pricing.xlsx"

LOCATION = {
    "slug": "new-york",
    "name": "CoreSync Spa & Wellness Club",
    "timezone": "America/New_York",
    "address": "425 Park Avenue South, 12th Floor\nNew York, NY 10016",
    "phone": "+1 (212) 555-0142",
    "email": "concierge@coresync.test",
    "map_url": "https://maps.google.com/?q=425+Park+Avenue+South+New+York",
    "directions": "Between 29th and 30th Streets. The 6 train to 28th Street is two minutes' walk; take the lift to the 12th floor.",
    "parking": "Icon Parking at 420 Park Ave S validates three hours for our guests; street parking is metered until 7 pm.",
    "what_to_bring": "Nothing but yourself: robes, slippers, lockers and toiletries are provided. Please arrive 15 minutes early and bring a swimsuit for the Private Spa.",
    "cancellation_policy": "Cancel or reschedule free of charge until 24 hours before your appointment. A later cancellation is charged a $50 fee and a missed appointment a $75 fee, to the card on file.",
    "late_cancellation_fee": Decimal("50.00"),  # the policy fees the payments app charges (issue 12)
    "no_show_fee": Decimal("75.00"),
    "google_review_url": "https://g.page/r/coresync-spa/review",
}
OPENING = {0: ("09:00", "21:00"), 1: ("09:00", "21:00"), 2: ("09:00", "21:00"), 3: ("09:00", "21:00"),
           4: ("09:00", "21:00"), 5: ("09:00", "20:00"), 6: ("10:00", "18:00")}
ROOM_TYPES = {"treatment": "Treatment room", "facial": "Facial suite", "barber": "Barber chair",
              "nails": "Nail station", "mens-suite": "Men's Suite", "private-spa": "Private Spa"}
ROOMS = [("Treatment Room 1", "treatment"), ("Treatment Room 2", "treatment"), ("Treatment Room 3", "treatment"),
         ("Facial Suite 1", "facial"), ("Facial Suite 2", "facial"), ("Barber Chair 1", "barber"),
         ("Barber Chair 2", "barber"), ("Nail Station 1", "nails"), ("Nail Station 2", "nails"),
         ("The Men's Suite", "mens-suite"), ("The Private Spa", "private-spa")]
ROOM_CAPACITY = {"The Private Spa": 2}  # the couples suite: two guests of one party side by side
SKILLS = {"massage": "Massage therapy", "facial": "Esthetics", "barber": "Barbering", "nails": "Nail care"}
CATEGORIES = [
    ("massages", "Massages", "Unhurried bodywork, from Swedish to hot stone.", "massage, massages, bodywork, rubdown", True),
    ("facials", "Facials", "Skin rituals with clinical results and a quiet hour.", "facial, facials, skin, skincare", True),
    ("barber", "Barber", "Cuts, shaves and beard work in the Men's Suite.", "barber, haircut, hair cut, shave, beard, trim", True),
    ("mani-pedi", "Mani & Pedi", "Hands and feet, finished beautifully.", "mani, pedi, manicure, pedicure, nails, nail", True),
]
# slug, category, name, minutes, buffer, room type, skill, synonyms, short description
SERVICES = [
    ("swedish-massage", "massages", "Swedish Massage", 60, 15, "treatment", "massage", "swedish, relaxing, relaxation",
     "Long, flowing strokes that melt tension and quiet the mind."),
    ("deep-tissue-massage", "massages", "Deep Tissue Massage", 60, 15, "treatment", "massage", "deep tissue, deep, sports, knots",
     "Slow, firm pressure for stubborn knots and tired muscles."),
    ("hot-stone-massage", "massages", "Hot Stone Massage", 90, 15, "treatment", "massage", "hot stone, stones, stone",
     "Warm basalt stones and deep strokes for total release."),
    ("aromatherapy-massage", "massages", "Aromatherapy Massage", 60, 15, "treatment", "massage", "aromatherapy, aroma, essential oils",
     "Essential oils chosen for you, with a calming full-body massage."),
    ("prenatal-massage", "massages", "Prenatal Massage", 60, 15, "treatment", "massage", "prenatal, pregnancy, pregnant, maternity",
     "Side-lying comfort for mothers-to-be after the first trimester."),
    ("private-spa-couples-ritual", "massages", "Private Spa Couples Ritual", 120, 30, "private-spa", "massage",
     "couples, couple, private spa, private, together, partner",
     "Two hours in the Private Spa: steam, soak and side-by-side massage."),
    ("signature-facial", "facials", "Signature Facial", 60, 15, "facial", "facial", "signature, classic facial",
     "Cleanse, exfoliate, extract and mask, tailored to your skin."),
    ("hydrating-facial", "facials", "Hydrating Facial", 45, 15, "facial", "facial", "hydrating, hydration, dry skin",
     "A drink of water for dull or dehydrated skin."),
    ("age-defying-facial", "facials", "Age-Defying Facial", 75, 15, "facial", "facial", "anti aging, anti-aging, age defying, wrinkles",
     "Peptides, LED and lifting massage for firmer, brighter skin."),
    ("gentlemens-facial", "facials", "Gentlemen's Facial", 45, 15, "mens-suite", "facial", "mens facial, gentlemen, men's facial",
     "A deep-cleansing facial in the Men's Suite, razor-friendly."),
    ("express-glow-facial", "facials", "Express Glow Facial", 30, 10, "facial", "facial", "express, quick facial, glow",
     "Thirty minutes to bright, rested skin."),
    ("classic-haircut", "barber", "Classic Haircut", 45, 15, "barber", "barber", "haircut, hair cut, cut, trim",
     "Consultation, precision cut, hot towel and style."),
    ("beard-sculpt", "barber", "Beard Sculpt", 30, 10, "barber", "barber", "beard, beard trim, sculpt",
     "Shape, line and condition, finished with a hot towel."),
    ("hot-towel-shave", "barber", "Hot Towel Shave", 45, 15, "barber", "barber", "shave, straight razor, wet shave",
     "A traditional straight-razor shave with hot towels."),
    ("mens-suite-ritual", "barber", "Men's Suite Ritual", 90, 15, "mens-suite", "barber", "mens suite, men's suite, ritual, grooming",
     "Haircut, shave and facial in the privacy of the Men's Suite."),
    ("classic-manicure", "mani-pedi", "Classic Manicure", 30, 10, "nails", "nails", "manicure, mani, nails",
     "Shape, cuticle care, massage and polish."),
    ("gel-manicure", "mani-pedi", "Gel Manicure", 45, 10, "nails", "nails", "gel, gel nails, shellac",
     "A chip-free gel finish that lasts two weeks."),
    ("classic-pedicure", "mani-pedi", "Classic Pedicure", 45, 10, "nails", "nails", "pedicure, pedi, feet",
     "A warm soak, exfoliation, massage and polish."),
    ("spa-pedicure", "mani-pedi", "Spa Pedicure", 60, 10, "nails", "nails", "spa pedicure, luxury pedicure",
     "Our most indulgent pedicure, with mask and hot towels."),
]
# slug, name, extra minutes, description, services (category slugs or service slugs)
ADDONS = [
    ("aromatherapy-upgrade", "Aromatherapy Upgrade", 0, "A blend of essential oils chosen for you.", ["massages"]),
    ("hot-stones", "Hot Stones", 15, "Warm basalt stones added to any massage.", ["massages"]),
    ("scalp-ritual", "Scalp Ritual", 15, "A slow scalp massage with warm oil.", ["massages", "facials"]),
    ("eye-revival-treatment", "Eye Revival Treatment", 15, "Cooling gel and lymphatic massage for tired eyes.", ["facials"]),
    ("paraffin-treatment", "Paraffin Treatment", 15, "Warm paraffin wax for soft hands or feet.", ["mani-pedi"]),
    ("beard-oil-finish", "Beard Oil Finish", 0, "Conditioning oil and balm to finish.", ["barber"]),
]
TIERS = [
    ("base", "Base", "base", Decimal("30"), 60, Decimal("149.00"), 1),
    ("premium", "Premium", "premium", Decimal("40"), 90, Decimal("249.00"), 2),
]
# e-mail, name, skills, hourly rate, weekly schedule {weekday: (start, end)}
TECHNICIANS = [
    ("tech@coresync.test", "Maya Rivera", ["massage", "facial"], "38.00", {0: ("09:00", "17:00"), 1: ("09:00", "17:00"), 2: ("12:00", "21:00"), 3: ("12:00", "21:00"), 4: ("09:00", "17:00")}),
    ("daniel@coresync.test", "Daniel Cho", ["massage"], "36.00", {1: ("12:00", "21:00"), 2: ("09:00", "17:00"), 3: ("09:00", "17:00"), 4: ("12:00", "21:00"), 5: ("09:00", "20:00")}),
    ("sofia@coresync.test", "Sofia Marin", ["facial", "nails"], "34.00", {0: ("12:00", "21:00"), 2: ("09:00", "17:00"), 4: ("09:00", "17:00"), 5: ("09:00", "20:00"), 6: ("10:00", "18:00")}),
    ("james@coresync.test", "James Okafor", ["barber"], "35.00", {0: ("09:00", "17:00"), 1: ("09:00", "17:00"), 3: ("12:00", "21:00"), 4: ("12:00", "21:00"), 5: ("09:00", "20:00")}),
    ("luca@coresync.test", "Luca Bianchi", ["barber", "massage"], "37.00", {0: ("12:00", "21:00"), 1: ("12:00", "21:00"), 2: ("12:00", "21:00"), 5: ("09:00", "20:00"), 6: ("10:00", "18:00")}),
    ("aiko@coresync.test", "Aiko Tanaka", ["nails", "facial"], "33.00", {0: ("09:00", "17:00"), 1: ("09:00", "17:00"), 2: ("09:00", "17:00"), 3: ("12:00", "21:00"), 6: ("10:00", "18:00")}),
    ("elena@coresync.test", "Elena Petrova", ["massage", "facial"], "38.00", {3: ("09:00", "17:00"), 4: ("09:00", "21:00"), 5: ("09:00", "20:00"), 6: ("10:00", "18:00"), 0: ("09:00", "15:00")}),
]
ACCOUNTS = [
    ("manager@coresync.test", "Olivia Hart", "manager", None),
    ("premium@coresync.test", "Grace Whitman", "customer", "premium"),
    ("base@coresync.test", "Marcus Lee", "customer", "base"),
    ("guest@coresync.test", "Nina Alvarez", "customer", None),
]


def _t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _user(email: str, name: str, role: str):
    from coresync.accounts.models import User

    user, created = User.objects.get_or_create(email=email, defaults={"name": name, "role": role})
    changed = created or user.name != name or user.role != role
    user.name, user.role = name, role
    if role == User.Role.MANAGER and not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = changed = True
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        changed = True
    if changed:
        user.save()
    return user


@transaction.atomic
def seed_demo(*, pricing_file: Path = PRICING_FILE, log=lambda message: None) -> dict:
    from coresync.catalog import models as catalog
    from coresync.catalog.pricing_import import pricing_import, read_pricing_file
    from coresync.memberships.models import MembershipTier

    location, _ = catalog.Location.objects.update_or_create(slug=LOCATION["slug"], defaults=LOCATION)
    for weekday, (opens, closes) in OPENING.items():
        catalog.OpeningHours.objects.update_or_create(location=location, weekday=weekday, defaults={"opens": _t(opens), "closes": _t(closes)})
    room_types = {slug: catalog.RoomType.objects.update_or_create(slug=slug, defaults={"name": name})[0] for slug, name in ROOM_TYPES.items()}
    for name, room_type in ROOMS:
        defaults = {"room_type": room_types[room_type], "capacity": ROOM_CAPACITY.get(name, 1)}
        catalog.Room.objects.update_or_create(location=location, name=name, defaults=defaults)
    skills = {slug: catalog.Skill.objects.update_or_create(slug=slug, defaults={"name": name})[0] for slug, name in SKILLS.items()}
    categories = {}
    for position, (slug, name, description, synonyms, taxable) in enumerate(CATEGORIES):
        categories[slug], _ = catalog.ServiceCategory.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "synonyms": synonyms, "position": position, "taxable": taxable}
        )
    log(f"location, {len(ROOMS)} rooms, {len(CATEGORIES)} categories")
    services = {}
    for position, (slug, category, name, minutes, buffer, room_type, skill, synonyms, short) in enumerate(SERVICES):
        services[slug], _ = catalog.Service.objects.update_or_create(
            slug=slug,
            defaults={
                "location": location, "category": categories[category], "name": name, "duration_minutes": minutes,
                "buffer_minutes": buffer, "required_room_type": room_types[room_type], "required_skill": skills[skill],
                "synonyms": synonyms, "short_description": short, "description": short, "position": position,
            },
        )
    for slug, name, minutes, description, targets in ADDONS:
        addon, _ = catalog.AddOn.objects.update_or_create(slug=slug, defaults={"name": name, "extra_minutes": minutes, "description": description})
        addon.services.set([s for s in services.values() if s.category.slug in targets or s.slug in targets])
    for slug, name, column, discount, window, price, position in TIERS:
        MembershipTier.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "price_column": column, "discount_percent": discount, "booking_window_days": window,
                      "monthly_price": price, "position": position},
        )
    log(f"{len(SERVICES)} services, {len(ADDONS)} add-ons, {len(TIERS)} tiers")
    report = pricing_import(read_pricing_file([pricing_file]))
    if not report.ok:
        raise ValueError("demo pricing file is invalid: " + "; ".join(report.errors))
    log(f"pricing: {report.prices_changed} prices set, {report.prices_unchanged} unchanged")
    _seed_technicians(location, skills)
    log(f"{len(TECHNICIANS)} technicians with weekly schedules")
    _seed_accounts()
    log(f"{len(ACCOUNTS) + 1} demo accounts (password {DEMO_PASSWORD})")
    tiers = {t.slug: t for t in MembershipTier.objects.all()}
    return {"location": location, "services": services, "tiers": tiers}


def _seed_technicians(location, skills) -> None:
    from coresync.technicians.models import Technician, WeeklyShift

    for email, name, skill_slugs, rate, schedule in TECHNICIANS:
        user = _user(email, name, "technician")
        technician, _ = Technician.objects.update_or_create(
            user=user, defaults={"location": location, "display_name": name, "hourly_rate": Decimal(rate)}
        )
        technician.skills.set([skills[s] for s in skill_slugs])
        wanted = {(day, _t(a), _t(b)) for day, (a, b) in schedule.items()}
        have = {(s.weekday, s.starts, s.ends): s for s in technician.weekly_shifts.all()}
        for key, shift in have.items():
            if key not in wanted:
                shift.delete()
        for day, starts, ends in wanted - set(have):
            WeeklyShift.objects.create(technician=technician, weekday=day, starts=starts, ends=ends)


def _seed_accounts() -> None:
    from coresync.memberships.models import Membership, MembershipTier
    from coresync.memberships.services import membership_create

    tiers = {t.slug: t for t in MembershipTier.objects.all()}
    for email, name, role, tier_slug in ACCOUNTS:
        user = _user(email, name, role)
        if tier_slug and not Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).exists():
            membership_create(user=user, tier=tiers[tier_slug], card_on_file=True)
