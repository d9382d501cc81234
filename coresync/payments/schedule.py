from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The local gateway's Stripe Billing: renew due memberships (charge, mark past due, or end them).
    "payments-local-renewals": {"task": "payments.local_renewals", "schedule": crontab(minute="*/15")},
}
