from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The top floor: the demo spa's seeding and ``make run``'s ``runall``. It may import every app; none imports it."""

    name = "coresync.demo"
    label = "demo"
    verbose_name = "Demo spa"
