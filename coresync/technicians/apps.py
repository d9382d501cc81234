from django.apps import AppConfig


class TechniciansConfig(AppConfig):
    name = "coresync.technicians"
    label = "technicians"
    verbose_name = "Technicians"

    def ready(self) -> None:
        from . import signals

        signals.connect()
