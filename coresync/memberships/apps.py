from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "coresync.memberships"
    label = "memberships"
    verbose_name = "Memberships"
