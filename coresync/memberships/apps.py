from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "coresync.memberships"
    label = "memberships"
    verbose_name = "Memberships"

    def ready(self) -> None:
        from coresync.catalog.pricing_import import pricing_tab_register

        from . import signals
        from .pricing_tab import TIERS_SHEET_TAB

        signals.connect()
        pricing_tab_register(TIERS_SHEET_TAB)
