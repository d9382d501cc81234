"""Compare a day's payments with the receipts in the books and report each discrepancy (e-mailed to the manager)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresync.accounting.reconcile import reconcile_day


class Command(BaseCommand):
    help = "Reconcile one day (default: yesterday in the spa's zone): missing, extra, amount or tax off by more than $0.01."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday).")
        parser.add_argument("--no-email", action="store_true", help="Store the report without e-mailing the manager.")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate() - timedelta(days=1)
        except ValueError as error:
            raise CommandError("--date must be YYYY-MM-DD") from error
        report = reconcile_day(day=day, notify=not options["no_email"])
        self.stdout.write(f"{day}: {report.payments_checked} payment(s), {report.receipts_checked} receipt(s) in {report.provider}, "
                          f"{report.seconds}s")
        for row in report.discrepancies.all():
            self.stdout.write(f"  {row.get_kind_display()}: {row.receipt_kind} {row.doc_number} (payment {row.payment_ref}) "
                              f"expected {row.expected_total}/{row.expected_tax} tax, books {row.actual_total}/{row.actual_tax} tax")
        message = f"{report.discrepancy_count} discrepancies"
        self.stdout.write(self.style.SUCCESS(message) if not report.discrepancy_count else self.style.WARNING(message))
