from celery.schedules import crontab

BEAT_SCHEDULE = {
    # PRICING_SOURCE=sheets: the pricing sheet, every 5 minutes (and at once after an edit, through the webhook).
    "sheets-pricing-sync": {"task": "sheets.pricing_sync", "schedule": crontab(minute="*/5")},
    # GOOGLE_SHEETS_QUEUE_ID: the outbox as Pending / Synced / Errors, at most 2 requests a minute.
    "sheets-queue-mirror": {"task": "sheets.queue_mirror", "schedule": crontab(minute="*")},
    # GOOGLE_SHEETS_HOURS_ID: work logs, technicians, bookings and availability, every 15 minutes.
    "sheets-hours-mirror": {"task": "sheets.hours_mirror", "schedule": crontab(minute="*/15")},
}
