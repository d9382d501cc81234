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


def _production_errors() -> list[tuple[str, str, str]]:
    """(message, hint, id) for each unsafe setting under ``PRODUCTION=1`` (SPEC §10.6)."""
    found = []
    if settings.DEBUG:
        found.append(("DEBUG is on in production.", "Unset DEBUG (or set DEBUG=0).", "coresync.E010"))
    if len(settings.SECRET_KEY) < 50 or len(set(settings.SECRET_KEY)) < 5:
        found.append(("SECRET_KEY is too short or too simple for production.", "Use 50+ random characters.", "coresync.E011"))
    several = settings.WEB_WORKERS > 1 or settings.WORKER_CONCURRENCY > 1
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if several and cache_backend.endswith("LocMemCache"):
        found.append(("A local-memory cache with more than one process.", "Set REDIS_URL.", "coresync.E012"))
    if several and settings.CELERY_BROKER_URL.startswith("filesystem://"):
        found.append(("The file-system Celery broker with more than one process.", "Set REDIS_URL or CELERY_BROKER_URL.", "coresync.E013"))
    if settings.PAYMENT_PROVIDER == "stripe" and not settings.STRIPE_WEBHOOK_SECRET:
        found.append(("Stripe is enabled without STRIPE_WEBHOOK_SECRET.", "Copy the endpoint's signing secret (whsec_...).", "coresync.E014"))
    if settings.ATLAS_API_URL and not settings.ATLAS_WEBHOOK_SECRET:
        found.append(("Atlas is enabled without ATLAS_WEBHOOK_SECRET.", "Set the shared HMAC secret.", "coresync.E015"))
    if settings.SENDGRID_API_KEY and not settings.SENDGRID_WEBHOOK_PUBLIC_KEY:
        found.append(("SendGrid is enabled without SENDGRID_WEBHOOK_PUBLIC_KEY.", "Copy the Event Webhook's public key.", "coresync.E016"))
    if settings.PRICING_SOURCE == "sheets" and not settings.GOOGLE_WEBHOOK_TOKEN:
        found.append(("Sheets pricing is enabled without GOOGLE_WEBHOOK_TOKEN.", "Set a long random token.", "coresync.E017"))
    found.extend(_key_errors())
    return found


def _key_errors() -> list[tuple[str, str, str]]:
    """The keys of personal data at rest (coresync.core.crypto): real ones, not derived from SECRET_KEY."""
    found = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        found.append(("FIELD_ENCRYPTION_KEYS is not set: personal data would be encrypted under a key derived from SECRET_KEY.",
                      "Generate one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`.",
                      "coresync.E018"))  # fmt: skip
    else:
        from cryptography.fernet import Fernet

        for position, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
            try:
                Fernet(key)
            except ValueError:
                found.append((f"FIELD_ENCRYPTION_KEYS key {position} is not a Fernet key.", "32 URL-safe base64-encoded bytes.", "coresync.E018"))
    if len(settings.FIELD_INDEX_KEY) < 32:
        found.append(("FIELD_INDEX_KEY is not set (or shorter than 32 characters): the blind indexes would use a key derived from SECRET_KEY.",
                      "Set 32+ random characters; keep it as long as the data (changing it needs rotate_field_keys --reindex).",
                      "coresync.E019"))  # fmt: skip
    return found


@register(Tags.security)
def check_production(app_configs=None, **kwargs) -> list[Error]:
    """Under ``PRODUCTION=1`` an unsafe configuration refuses to start (every command runs the checks)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    return [Error(message, hint=hint, id=check_id) for message, hint, check_id in _production_errors()]
