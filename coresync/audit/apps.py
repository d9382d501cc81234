from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coresync.audit"
    label = "audit"
    verbose_name = "Security log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (sign-ins, failed sign-ins, lockouts)
