from celery.schedules import crontab

BEAT_SCHEDULE = {
    "waitlist-expire-offers": {"task": "waitlist.expire_offers", "schedule": crontab(minute="*")},
}
