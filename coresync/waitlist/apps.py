from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    """Guests and members waiting for a time; a freed slot is offered to the first match with a short hold."""

    name = "coresync.waitlist"
    label = "waitlist"
    verbose_name = "Waitlist"

    def ready(self) -> None:
        from coresync.notifications.sample import register_sample

        from . import outbox_handlers, receivers  # noqa: F401  (registers the handlers; connects booking_changed)
        from .emails import KIND, sample_offer_email

        register_sample(KIND, sample_offer_email)
