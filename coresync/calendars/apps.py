from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "coresync.calendars"
    verbose_name = "Calendars"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the booking_changed receiver)
