"""Domain events other apps subscribe to.

- ``booking_changed(booking, event)``: sent INSIDE the transaction of every recorded
  change (``bookings.transitions``), with its ``BookingEvent``. Receivers write
  outbox rows (``outbox_enqueue``) that commit or roll back with the change; they
  must not do network work.

The rest are sent *after commit*:

- ``booking_confirmed(booking)``: a booking became ``confirmed`` (created in
  on-site mode, or paid).
- ``booking_cancelled(booking)``
- ``booking_rescheduled(booking, previous_start)``

Receivers must be quick and must not raise (dispatch Celery tasks, write log
rows); they run via ``coresync.core.transactions.on_commit``.
"""

from django.dispatch import Signal

booking_changed = Signal()
booking_confirmed = Signal()
booking_cancelled = Signal()
booking_rescheduled = Signal()
