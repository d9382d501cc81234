from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "coresync.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from . import gateway, receivers  # noqa: F401  (registers the "local" provider; connects the receivers)
