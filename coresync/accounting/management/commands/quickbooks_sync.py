"""Send every receipt not yet in the books now (the hourly batch), with progress."""

from django.core.management.base import BaseCommand

from coresync.accounting.services import accounting_sync


class Command(BaseCommand):
    help = "Send every paid booking's receipt not yet in the books (QuickBooks, or the local ledger without keys)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Send at most this many receipts.")

    def handle(self, *args, limit=None, **options):
        result = accounting_sync(progress=self.stdout.write, limit=limit)
        summary = f"sent {result.sent}, refused {result.failed}, waiting {result.waiting}"
        self.stdout.write(self.style.SUCCESS(summary) if not (result.failed or result.waiting) else self.style.WARNING(summary))
