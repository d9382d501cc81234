"""Domain events → Celery tasks. Receivers only dispatch; a broker outage is logged, never raised.

A dispatch lost to an outage is not a lost e-mail: ``retry_failed_emails``
sends confirmations and welcomes that have no log row after a grace period.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from coresync.bookings.signals import booking_cancelled, booking_confirmed, booking_rescheduled
from coresync.core.transactions import delay_on_commit
from coresync.memberships.signals import membership_created

from . import tasks

logger = logging.getLogger(__name__)


@receiver(booking_confirmed, dispatch_uid="notifications.booking_confirmed")
def on_booking_confirmed(sender, booking, **kwargs) -> None:
    delay_on_commit(tasks.send_booking_confirmation, booking.pk)


@receiver(booking_rescheduled, dispatch_uid="notifications.booking_rescheduled")
def on_booking_rescheduled(sender, booking, previous_start=None, **kwargs) -> None:
    # A reminder already sent for the old time goes out again for the new one.
    delay_on_commit(tasks.rearm_booking_reminder, booking.pk)
    # The sequence the change gave the booking names this change: one mail per reschedule.
    delay_on_commit(tasks.send_booking_rescheduled, booking.pk, booking.ics_sequence)


@receiver(booking_cancelled, dispatch_uid="notifications.booking_cancelled")
def on_booking_cancelled(sender, booking, **kwargs) -> None:
    delay_on_commit(tasks.send_booking_cancelled, booking.pk, booking.ics_sequence)


@receiver(membership_created, dispatch_uid="notifications.membership_created")
def on_membership_created(sender, membership, **kwargs) -> None:
    delay_on_commit(tasks.send_membership_welcome, membership.pk)
