"""``message_dead(message)``: a message used its last attempt (sent after commit). The manager is told."""

from django.dispatch import Signal

message_dead = Signal()
