from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "coresync.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from . import signals

        signals.connect()
