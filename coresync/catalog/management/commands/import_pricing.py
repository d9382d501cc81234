from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresync.catalog.pricing_import import PricingFileError, pricing_import, read_pricing_file


class Command(BaseCommand):
    help = (
        "Import prices from the owner's sheet: an .xlsx workbook with tabs Massages, Facials, Barber, Mani_Pedi "
        "(Service Name, Duration, Non-Member, Base 30%, Premium 40%), optional Add-ons, and Membership Tiers "
        "(Tier, Monthly Price, Benefits) — or .csv files / a folder of .csv files named after those tabs. "
        "Nothing changes unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        try:
            tabs = read_pricing_file(paths)
        except PricingFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Read {sum(len(rows) for rows in tabs.values())} rows from {len(tabs)} tabs: {', '.join(tabs)}")
        report = pricing_import(tabs)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"  ✗ {error}")
            raise CommandError(f"{len(report.errors)} bad row(s); no prices were changed.")
        self.stdout.write(self.style.SUCCESS(
            f"Prices: {report.prices_changed} changed, {report.prices_unchanged} unchanged; "
            f"durations changed: {report.durations_changed}"
            + "".join(f"; {tab} changed: {count}" for tab, count in report.changed.items()) + "."
        ))
