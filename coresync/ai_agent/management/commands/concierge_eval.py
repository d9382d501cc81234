"""``manage.py concierge_eval``: score the concierge on its evaluation set (what ``make eval`` runs).

It never touches your data: it creates a throw-away database, seeds the demo
spa into it, freezes time at the set's ``now``, runs every case and drops the
database again.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Print intent accuracy, entity accuracy and dialogue task success of the concierge's evaluation set."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON only.")
        parser.add_argument("--failures", action="store_true", help="List every case that failed.")
        parser.add_argument("--min-task-success", type=float, default=0.95, help="Exit non-zero below this (0..1).")
        parser.add_argument("--heldout-target", type=float, default=0.97, help="The hold-out half's target, printed beside its figure.")

    def handle(self, *args, **options):
        from coresync.celery import app

        app.conf.task_always_eager = True
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            test_settings["NAME"] = str(settings.VAR_DIR / "eval-coresync.sqlite3")
        else:
            test_settings["NAME"] = f"{connection.settings_dict['NAME']}_eval"
        old_name = connection.settings_dict["NAME"]
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ATLAS_API_URL=""):
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            try:
                report, heldout = self._run()
            finally:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        figures = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps({**figures, "heldout": {h.name: h.as_dict() for h in heldout}}))
        else:
            self.stdout.write(
                f"Concierge evaluation: {figures['cases']} cases ({figures['utterances']} utterances, {figures['dialogues']} dialogues)\n"
                f"  intent accuracy   {report.intent_accuracy:6.1%}  ({report.intents_ok}/{report.intents_total})\n"
                f"  entity accuracy   {report.entity_accuracy:6.1%}  ({report.entities_ok}/{report.entities_total})\n"
                f"  task success      {report.task_success:6.1%}  ({report.dialogues_ok}/{report.dialogues_total})"
            )
        if options["failures"] or report.task_success < options["min_task_success"]:
            for failure in report.failures:
                self.stdout.write(f"  - {failure}")
        self._heldout(heldout, options)
        if any(h.never_failures for h in heldout):
            raise CommandError("a 'never' rule failed on the held-out dialogues")
        if report.task_success < options["min_task_success"]:
            raise CommandError(f"task success {report.task_success:.1%} is below {options['min_task_success']:.0%}")

    def _run(self):
        from io import StringIO

        from django.core.management import call_command

        from coresync.bookings.models import Booking
        from coresync.catalog.selectors import catalog_invalidate

        from ...eval.heldout import load_heldout, run_heldout
        from ...eval.runner import run_eval

        call_command("seed_demo", stdout=StringIO())  # by name: the demo app is the top floor, above ai_agent
        # The sets are judged on the demo catalog with an empty diary. seed_demo also lays down weeks of demo
        # bookings around the machine's real today (the staff pages' history), which would fill the sets'
        # frozen week whenever the real date is near it: the figures must not depend on the day `make eval` runs.
        Booking.objects.all().delete()
        catalog_invalidate()
        report = run_eval()
        heldout = []
        for name in ("tune", "holdout"):
            data = load_heldout(name)
            if data is not None:
                catalog_invalidate()
                heldout.append(run_heldout(data, name=name))
        return report, heldout

    def _heldout(self, heldout, options) -> None:
        if options["json"]:
            return
        if not heldout:
            self.stdout.write("Held-out dialogues: none found (coresync/ai_agent/eval/heldout/{tune,holdout}.json)")
        for h in heldout:
            self.stdout.write("\n".join(h.lines()))
            if h.name == "holdout":
                verdict = "meets" if h.task_success >= options["heldout_target"] else "BELOW"
                self.stdout.write(f"  hold-out {verdict} the {options['heldout_target']:.0%} target")
            if options["failures"] and h.name == "tune":
                for failure in h.failures:
                    self.stdout.write(f"  - {failure}")
