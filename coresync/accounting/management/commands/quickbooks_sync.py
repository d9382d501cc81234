"""Send every receipt not yet in the books now (the hourly batch), with progress."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coresync.accounting.services import accounting_sync, ledger_hand_over


class Command(BaseCommand):
    help = "Send every paid booking's receipt not yet in the books (QuickBooks, or the local ledger without keys)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Send at most this many receipts.")
        parser.add_argument("--from-local-ledger", metavar="YYYY-MM-DD", nargs="?", const="",
                            help="First hand the receipts kept in the local ledger (before QuickBooks was connected) "
                                 "to the configured provider, from this date on (all without a date).")

    def handle(self, *args, limit=None, **options):
        since = options.get("from_local_ledger")
        if since is not None:
            if settings.ACCOUNTING_PROVIDER == "local":
                raise CommandError("--from-local-ledger needs another ACCOUNTING_PROVIDER (e.g. quickbooks).")
            try:
                moved = ledger_hand_over(to=settings.ACCOUNTING_PROVIDER, since=date.fromisoformat(since) if since else None)
            except ValueError as error:
                raise CommandError("--from-local-ledger takes YYYY-MM-DD") from error
            self.stdout.write(f"{moved} receipt(s) from the local ledger queued for {settings.ACCOUNTING_PROVIDER}")
        result = accounting_sync(progress=self.stdout.write, limit=limit)
        summary = f"sent {result.sent}, refused {result.failed}, waiting {result.waiting}"
        self.stdout.write(self.style.SUCCESS(summary) if not (result.failed or result.waiting) else self.style.WARNING(summary))
