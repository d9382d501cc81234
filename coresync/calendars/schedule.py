from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Push notifications say "something changed"; this catches up if one was lost (a cheap incremental list).
    "calendars-sync-all": {"task": "calendars.sync_all", "schedule": crontab(minute="*/10")},
    # Channels expire (GOOGLE_CHANNEL_TTL_SECONDS); each is renewed in the last day of its life.
    "calendars-renew-channels": {"task": "calendars.renew_channels", "schedule": crontab(minute=7)},
}
