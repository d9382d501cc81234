from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "coresync.notifications"
    label = "notifications"
    verbose_name = "Notifications"
