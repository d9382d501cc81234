"""``membership_created(membership)``: sent after commit when a membership starts."""

from django.dispatch import Signal

membership_created = Signal()
