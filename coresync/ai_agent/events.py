"""What the concierge's services announce, so that they never import the tasks that act on it.

``services`` sends these inside the turn's transaction; ``receivers`` (connected in
``AiAgentConfig.ready``) queue the Celery tasks after commit. Layers: tasks → services
→ events; receivers → tasks and events. Nothing imports back up.
"""

from django.dispatch import Signal

# A person on the team should pick a conversation up: ``handoff_id``.
handoff_opened = Signal()
# A phone caller booked and Atlas can text them the confirmation: ``booking_id``.
phone_booking_made = Signal()
