"""System checks that refuse an unsafe production configuration (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    """The development ``SECRET_KEY`` signs sessions, reset links and manage links: never in production."""
    if settings.DEBUG or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the built-in development key.",
            hint="Set SECRET_KEY in the environment to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))').",
            id="coresync.E001",
        )
    ]


@register(Tags.compatibility, deploy=True)
def check_visibility_timeout(app_configs=None, **kwargs) -> list[Error]:
    """A Redis/SQS broker redelivers an unacknowledged task after its visibility timeout: it must outlast every task."""
    timeout = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get("visibility_timeout")
    longest = max(settings.CELERY_TASK_TIME_LIMIT or 0, settings.CELERY_LONGEST_COUNTDOWN_SECONDS)
    if timeout is None or timeout > longest:
        return []
    return [
        Error(
            f"The broker's visibility_timeout ({timeout} s) is not longer than the longest task or countdown ({longest} s).",
            hint="Raise CELERY_VISIBILITY_TIMEOUT, or lower CELERY_TASK_TIME_LIMIT.",
            id="coresync.E002",
        )
    ]
