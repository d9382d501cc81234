from celery import shared_task

from . import services


@shared_task(name="waitlist.expire_offers")
def expire_offers() -> int:
    return services.offers_expire()
