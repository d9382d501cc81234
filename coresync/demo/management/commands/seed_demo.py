from django.core.management.base import BaseCommand

from coresync.demo.activity import seed_activity
from coresync.demo.seed import ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo spa (idempotent): location, catalog, prices, rooms, technicians, tiers and demo accounts."

    def handle(self, *args, **options):
        seed_demo(log=lambda message: self.stdout.write(f"  · {message}"))
        seed_activity(log=lambda message: self.stdout.write(f"  · {message}"))  # bookings, hours, chats (issue 15)
        self.stdout.write(self.style.SUCCESS(f"Demo spa ready. Accounts (password {DEMO_PASSWORD}):"))
        for email, _name, role, tier in [("tech@coresync.test", "", "technician", None), *ACCOUNTS]:
            self.stdout.write(f"    {email:<24} {role}{' · ' + tier if tier else ''}")
