from django.apps import AppConfig


def retire_cached_availability(**_kwargs) -> None:
    from .selectors import bookings_invalidate

    bookings_invalidate()


class BookingsConfig(AppConfig):
    name = "coresync.bookings"
    label = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Booking

        post_save.connect(retire_cached_availability, sender=Booking, dispatch_uid="bookings-version-save")
        post_delete.connect(retire_cached_availability, sender=Booking, dispatch_uid="bookings-version-delete")
