import json

from django.core.management.base import BaseCommand

from coresync.privacy.services import personal_data_export


class Command(BaseCommand):
    help = "Print (or write) everything CoreSync holds about an e-mail address, as JSON (an access request)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="write to this file instead of standard output")
        parser.add_argument("--reason", default="")

    def handle(self, *args, email, output, reason, **options):
        text = json.dumps(personal_data_export(email, reason=reason), indent=1, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(self.style.SUCCESS(f"wrote {output}"))
        else:
            self.stdout.write(text)
