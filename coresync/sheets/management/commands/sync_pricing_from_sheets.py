"""Read the pricing sheet now and apply it (all or nothing), printing what changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coresync.sheets.pricing import pricing_sheet_sync


class Command(BaseCommand):
    help = "Read the pricing sheet (GOOGLE_SHEETS_PRICING_ID) now, apply it if every row is valid, and print the diff."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Validate and print the diff without changing anything.")

    def handle(self, *args, dry_run, **options):
        result = pricing_sheet_sync(actor="manage.py sync_pricing_from_sheets", dry_run=dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"  {error}")
            raise CommandError("Nothing changed: the sheet has errors (the last good prices stay live).")
        if not result.changes:
            self.stdout.write("No changes: the sheet matches the prices in CoreSync.")
            return
        width = max(len(c["item"]) for c in result.changes)
        for change in result.changes:
            self.stdout.write(f"  {change['item']:<{width}}  {change['column']:<10} {change['old'] or '—'} → {change['new'] or '—'}")
        verb = "would change" if dry_run else "changed"
        self.stdout.write(self.style.SUCCESS(f"{len(result.changes)} value(s) {verb}."))
