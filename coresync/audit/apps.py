from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coresync.audit"
    label = "audit"
    verbose_name = "Audit: security log and change history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import changes, receivers  # sign-ins, failed sign-ins, lockouts; tasks

        receivers.connect_accounts()
        changes.connect()
