from django.core.management.base import BaseCommand, CommandError

from coresync.privacy.services import personal_data_erase


class Command(BaseCommand):
    help = "Erase a customer's personal data (accounting records keep their amounts). Needs --yes."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="confirm: an erasure cannot be undone")
        parser.add_argument("--reason", default="")

    def handle(self, *args, email, yes, reason, **options):
        if not yes:
            raise CommandError("An erasure cannot be undone: add --yes to go ahead.")
        counts = personal_data_erase(email, reason=reason)
        for kind, n in counts.items():
            self.stdout.write(f"  {kind.replace('_', ' '):<20} {n}")
        self.stdout.write(self.style.SUCCESS("erased"))
