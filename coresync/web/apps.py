from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coresync.web"
    label = "web"
    verbose_name = "Web"
