"""The transactional outbox: how anything leaves the building (SPEC §10.1).

A service that changes something an outside system mirrors writes an
``OutboxMessage`` *in its own transaction* (``outbox_enqueue``). After commit the
row is handed to a Celery task; a beat sweep re-dispatches rows whose dispatch was
lost (a killed process, a broker outage). Each row is delivered by the one handler
registered for its kind, with exponential backoff and jitter, and ends ``done`` or,
after the last attempt, ``dead`` with a manager alert.

Delivery is at least once; handlers make it exactly once in effect: each is keyed
by the row's dedupe key and passes that key on as the vendor's idempotency key.
"""
