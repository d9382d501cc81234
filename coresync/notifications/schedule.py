"""Periodic jobs of the notifications app, merged into ``CELERY_BEAT_SCHEDULE`` by settings.

Times are crontab in ``CELERY_TIMEZONE`` (the spa's zone, America/New_York);
the 15-minute jobs are the same in any zone.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "notifications.send_due_reminders": {
        "task": "coresync.notifications.tasks.send_due_reminders",
        "schedule": crontab(minute="*/15"),
    },
    "notifications.send_due_review_requests": {
        "task": "coresync.notifications.tasks.send_due_review_requests",
        "schedule": crontab(minute="7,22,37,52"),
    },
    "notifications.retry_failed_emails": {
        "task": "coresync.notifications.tasks.retry_failed_emails",
        "schedule": crontab(minute="*/5"),
    },
}
