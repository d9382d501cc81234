from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Rows whose after-commit dispatch was lost (killed process, broker outage) and retries whose time has come.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": crontab(minute="*")},
}
