from celery.schedules import crontab

BEAT_SCHEDULE = {
    "bookings-expire-holds": {"task": "bookings.expire_holds", "schedule": crontab(minute="*")},
    "bookings-complete-past": {"task": "bookings.complete_past", "schedule": crontab(minute="*/15")},
}
