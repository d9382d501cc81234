"""Write the hours sheet's tabs (Technicians, Hours, Bookings, Availability) and their headers; optionally fill them."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coresync.core.errors import ProviderError
from coresync.sheets import hours, queue


class Command(BaseCommand):
    help = "Create the hours sheet's tabs and headers in GOOGLE_SHEETS_HOURS_ID (and the queue sheet's, when set)."

    def add_arguments(self, parser):
        parser.add_argument("--fill", action="store_true", help="Also write today's technicians, hours, bookings and availability.")

    def handle(self, *args, fill, **options):
        if not settings.GOOGLE_SHEETS_HOURS_ID:
            raise CommandError("Set GOOGLE_SHEETS_HOURS_ID to the hours sheet's id (share the sheet with the service account).")
        try:
            added = hours.hours_sheet_template()
            self.stdout.write(f"hours sheet: tabs {', '.join(hours.TABS)} ready" + (f" (added {', '.join(added)})" if added else ""))
            if settings.GOOGLE_SHEETS_QUEUE_ID:
                added = queue.queue_sheet_template()
                self.stdout.write(f"queue sheet: tabs {', '.join(queue.TABS)} ready" + (f" (added {', '.join(added)})" if added else ""))
            if fill:
                self.stdout.write(f"hours sheet: {hours.hours_sheet_mirror()}")
        except ProviderError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS("Done."))
