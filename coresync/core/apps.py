from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coresync.core"
    label = "core"
    verbose_name = "Core"
