"""Starting texts for the three legal pages; the spa edits them in the admin."""

from django.db import migrations

PAGES = {
    "terms": (
        "Terms of service",
        """## Booking
Bookings are made through our concierge, on this website, by phone or at the front desk. A booking is confirmed when you receive a confirmation by e-mail with a reference such as CS-7KQ2M9.

## Booking window
Guests may book up to 3 days ahead. Base members may book up to 60 days ahead and Premium members up to 90 days ahead.

## Arriving
Please arrive 15 minutes before your treatment. A late arrival may shorten your treatment so that the next guest is not delayed.

## Conduct
We keep the spa quiet. Please silence your phone in the treatment areas.

## Changes to these terms
We may update these terms. The version on this page applies to bookings made after its date.""",
    ),
    "privacy": (
        "Privacy policy",
        """## What we collect
Your name, e-mail address and phone number; your bookings and visits; the messages you send to our concierge; and, if you are a member, your membership details. Card details are held by our payment provider, never by us.

## Why
To book and remind you of your treatments, to run your membership, to answer your questions and to keep our accounts.

## How long
Concierge conversations are deleted after 30 days. Booking records are kept for as long as the law requires for our accounts.

## Your rights
You may ask for a copy of your data, ask us to correct it, or ask us to delete it, by writing to the spa.""",
    ),
    "refund": (
        "Refund and cancellation policy",
        """## Free cancellation
You may cancel or move a booking free of charge until 24 hours before its start, from your account, from the link in your confirmation e-mail, or by asking the concierge.

## Late cancellations and no-shows
Within 24 hours of the start, please call the spa. Late cancellations and missed appointments may be charged in full.

## Refunds
Payments made online for a booking cancelled in time are refunded to the original card within 5 to 10 business days.

## Memberships
Memberships renew monthly and may be cancelled at any time before the next renewal date.""",
    ),
}


def create_pages(apps, schema_editor):
    LegalPage = apps.get_model("web", "LegalPage")
    for slug, (title, body) in PAGES.items():
        LegalPage.objects.get_or_create(slug=slug, defaults={"title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [("web", "0001_initial")]

    operations = [migrations.RunPython(create_pages, migrations.RunPython.noop)]
