from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "coresync.integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the startup checks)
