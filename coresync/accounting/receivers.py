"""Payment changes → receipt jobs, written to the outbox in the payment change's own transaction.

``payment_intent.succeeded`` (and the local gateway's success, and a fee charged
to the card on file) all end in ``payments.services.payment_intent_apply`` saving
the ``Payment``: its ``post_save`` is the one place every settled payment passes,
so the receipt job is written there, inside that transaction. A refund raises
``amount_refunded``: a refund job keyed by the refunded total (a repeat is a no-op).
Nothing here talks to the books: the outbox handler does, after commit.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from coresync.outbox.services import outbox_enqueue
from coresync.payments.models import Payment

from .services import SETTLED


@receiver(post_save, sender=Payment, dispatch_uid="accounting.payment_saved")
def on_payment_saved(sender, instance: Payment, created: bool, **kwargs) -> None:
    if instance.status not in SETTLED or not instance.amount_paid:
        return
    outbox_enqueue(kind="accounting.receipt", dedupe_key=f"accounting.receipt:sales:{instance.pk}",
                   payload={"payment_id": instance.pk, "receipt": "sales"})
    if instance.amount_refunded:
        refunded = str(instance.amount_refunded)
        outbox_enqueue(kind="accounting.receipt", dedupe_key=f"accounting.receipt:refund:{instance.pk}:{refunded}",
                       payload={"payment_id": instance.pk, "receipt": "refund", "refunded_total": refunded,
                                "at": timezone.now().isoformat()})
