"""Celery beat entries of the concierge, for the project's beat schedule (times in the location's zone)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "ai-agent-purge-conversations": {
        "task": "ai_agent.purge_conversations",
        "schedule": crontab(hour=3, minute=0),
    },
}
