"""Thin, idempotent booking jobs: each loads, calls a service, and is safe to run twice or concurrently."""

from celery import shared_task

from . import services


@shared_task(name="bookings.expire_holds")
def expire_holds() -> int:
    return services.bookings_expire_holds()


@shared_task(name="bookings.complete_past")
def complete_past_bookings() -> int:
    return services.bookings_complete_past()
