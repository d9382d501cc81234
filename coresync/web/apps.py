from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coresync.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from . import signals

        signals.connect()
