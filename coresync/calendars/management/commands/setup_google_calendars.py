"""Create or find the Master, Technicians and Private calendars, optionally share them, and open push channels."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coresync.calendars import layout, services
from coresync.catalog.models import Location
from coresync.core.errors import ProviderError


class Command(BaseCommand):
    help = "Create or find the three Google calendars (Master, Technicians, Private) and watch them for changes."

    def add_arguments(self, parser):
        parser.add_argument("--share", action="append", default=[], metavar="EMAIL",
                            help="Give this Google account write access to the three calendars (repeatable).")
        parser.add_argument("--no-watch", action="store_true", help="Do not open push channels (no public URL yet).")
        parser.add_argument("--push-existing", action="store_true",
                            help="Also write every booking that has not ended into its calendars (first set-up, or a calendar re-made).")

    def handle(self, *args, share, no_watch, push_existing, **options):
        location = Location.objects.order_by("pk").first()
        try:
            found = services.calendars_setup(time_zone=location.timezone if location else "America/New_York")
            client = None
            if share:
                from coresync.integrations.google.calendar import GoogleCalendarClient

                client = GoogleCalendarClient()
                for key in layout.SHARED_CALENDARS:
                    for email in share:
                        client.calendar_share(calendar_id=found[key], email=email)
            renewed = [] if no_watch else services.channels_renew(client=client)
        except ProviderError as error:
            raise CommandError(str(error)) from error
        for key, calendar_id in found.items():
            self.stdout.write(f"{key:<16} {calendar_id}")
        for email in share:
            self.stdout.write(f"shared with {email} (writer)")
        if renewed:
            self.stdout.write(f"watching: {', '.join(renewed)} → {services.notify_address()}")
        if push_existing:
            self.stdout.write(f"queued {services.calendars_push_all()} booking event(s) for the calendars (the outbox delivers them)")
        self.stdout.write(self.style.SUCCESS("Calendars ready. Put the ids in GOOGLE_CALENDAR_*_ID to pin them."))
