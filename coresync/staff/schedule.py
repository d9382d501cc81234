from celery.schedules import crontab

# Celery's clock runs in the spa's zone (CELERY_TIMEZONE = TIME_ZONE).
BEAT_SCHEDULE = {
    "staff-payroll-email": {"task": "staff.payroll_email", "schedule": crontab(day_of_week="thu", hour=18, minute=0)},
}
