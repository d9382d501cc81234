"""The Celery app. Configuration comes from Django settings (``CELERY_*``).

Periodic jobs are declared next to their tasks, in ``coresync/<app>/schedule.py``
(``BEAT_SCHEDULE``), and merged here; times are in ``CELERY_TIMEZONE`` (the
spa's zone). ``django_celery_beat``'s database scheduler copies them into its
tables at start, where the manager can see and pause them in the admin.
"""

import os
from importlib import import_module

from celery import Celery

from coresync.core import observability  # noqa: F401  (the request id in task headers; task outcome metrics)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

app = Celery("coresync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCHEDULE_MODULES = ("coresync.outbox.schedule", "coresync.bookings.schedule", "coresync.notifications.schedule", "coresync.ai_agent.schedule", "coresync.waitlist.schedule", "coresync.staff.schedule", "coresync.payments.schedule")

SCHEDULE_MODULES += ("coresync.calendars.schedule", "coresync.sheets.schedule")
SCHEDULE_MODULES += ("coresync.accounting.schedule",)


def collect_beat_schedule() -> dict:
    schedule: dict = {}
    for name in SCHEDULE_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        schedule.update(module.BEAT_SCHEDULE)
    return schedule


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = collect_beat_schedule()
