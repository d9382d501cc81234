from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "coresync.accounting"
    label = "accounting"
    verbose_name = "Accounting (QuickBooks)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import ledger, providers, receivers  # noqa: F401  (register the "local" and "quickbooks" providers; connect the receivers)
