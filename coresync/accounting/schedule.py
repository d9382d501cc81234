from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Send every receipt not yet in the books (QuickBooks or the local ledger), after catching up on missed ones.
    "accounting-quickbooks-sync": {"task": "accounting.sync", "schedule": crontab(minute=7)},
    # Yesterday's payments vs the receipts, at 02:00 in the spa's zone (CELERY_TIMEZONE); the report is e-mailed.
    "accounting-quickbooks-reconcile": {"task": "accounting.reconcile", "schedule": crontab(hour=2, minute=0)},
}
