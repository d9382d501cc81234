"""Writes for accounting: put a receipt in the ledger (with its requestid, committed first), send it, catch up.

The flow of one paid booking: the payment's change writes an ``accounting.receipt``
outbox row in its own transaction (``receivers``); the handler calls
``sales_receipt_prepare`` (builds the body with the pure builder, stores the ledger
row and its ``request_id``, commits) and ``receipt_send`` (sends under that
``request_id``; QuickBooks answers a repeat with the first result). ``accounting_sync``
(the hourly beat and ``manage.py quickbooks_sync``) prepares whatever the outbox
missed and sends every receipt not yet in the books.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from coresync.core.errors import ProviderError
from coresync.integrations.accounting import accounting_provider
from coresync.integrations.references import external_ref, external_ref_set
from coresync.outbox.services import outbox_enqueue
from coresync.payments.models import Payment, PaymentStatus

from .models import AccountingCustomer, Receipt, ReceiptKind, SyncStatus
from .receipts import CustomerRef, ReceiptDraft, refund_receipt_build, sales_receipt_build
from .selectors import ItemMap, item_map, payment_for_receipt, sale_context, spa_date

logger = logging.getLogger(__name__)
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
ZERO = Decimal("0")


def _request_id() -> str:
    return uuid.uuid4().hex  # 32 characters: QuickBooks accepts up to 50


def customer_for(*, email: str, name: str) -> AccountingCustomer:
    """The books' customer of ``email`` (our row; its id in each provider is resolved at send time)."""
    email = email.strip().lower()
    display = f"{name.strip() or email} ({email})"
    customer, _ = AccountingCustomer.objects.get_or_create(email=email, defaults={"display_name": display[:200],
                                                                                  "request_id": _request_id()})
    return customer


def _customer_ref(customer: AccountingCustomer) -> CustomerRef:
    return CustomerRef(value=str(customer.pk), name=customer.display_name, email=customer.email)


def _store(draft: ReceiptDraft, *, payment: Payment, customer: AccountingCustomer, kind: str, covers: Decimal = ZERO) -> Receipt:
    """Insert the ledger row once per (payment, kind, refunded total); a repeat returns the first row.

    The caller has looked for the row already; a concurrent run that stored it first is caught by the constraint.
    """
    try:
        with transaction.atomic():
            return Receipt.objects.create(
                kind=kind, payment=payment, booking=payment.booking, doc_number=draft.body["DocNumber"],
                txn_date=draft.body["TxnDate"], customer_email=customer.email, covers_refunded=covers, total=draft.total,
                tax=draft.tax, body=draft.body, request_id=_request_id(), provider=accounting_provider().identifier)
    except IntegrityError:  # a concurrent run stored it first
        return Receipt.objects.get(payment=payment, kind=kind, covers_refunded=covers)


def _tell_unmapped(names: tuple[str, ...]) -> None:
    for name in names:
        outbox_enqueue(kind="accounting.email", dedupe_key=f"accounting.email:unmapped:{name}"[:255],
                       payload={"kind": "mapping_missing", "name": name})


def sales_receipt_prepare(*, payment_id: int, items: ItemMap | None = None) -> Receipt | None:
    """The SalesReceipt of a settled payment in the ledger (None when nothing was taken). Idempotent."""
    payment = payment_for_receipt(payment_id)
    if payment.status not in SETTLED or payment.amount_paid <= 0:
        return None
    existing = Receipt.objects.filter(payment=payment, kind=ReceiptKind.SALES).first()
    if existing is not None:
        return existing
    customer = customer_for(email=payment.booking.customer_email, name=payment.booking.customer_name)
    context = sale_context(payment, items=items, customer=_customer_ref(customer))
    with transaction.atomic():
        receipt = _store(sales_receipt_build(context.facts), payment=payment, customer=customer, kind=ReceiptKind.SALES)
        _tell_unmapped(context.unmapped)
    return receipt


def refund_receipt_prepare(*, payment_id: int, refunded_total: Decimal, at=None) -> Receipt | None:
    """The RefundReceipt bringing the books up to ``refunded_total`` refunded on this payment (None: already there)."""
    payment = payment_for_receipt(payment_id)
    refunded_total = min(Decimal(refunded_total), payment.amount_refunded or Decimal(refunded_total))
    existing = Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND, covers_refunded=refunded_total).first()
    if existing is not None:
        return existing
    covered = Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND).aggregate(m=Max("covers_refunded"))["m"] or ZERO
    amount = refunded_total - covered
    if amount <= 0:
        return None
    customer = customer_for(email=payment.booking.customer_email, name=payment.booking.customer_name)
    sale = sale_context(payment, customer=_customer_ref(customer)).facts
    sequence = Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND).count() + 1
    day = spa_date(at or timezone.now(), payment.booking.location.timezone)
    draft = refund_receipt_build(sale, refund=amount, doc_number=f"{sale.doc_number}-R{sequence}", txn_date=day,
                                 note=f"Refund of {sale.doc_number} · payment {payment.pk}")
    return _store(draft, payment=payment, customer=customer, kind=ReceiptKind.REFUND, covers=refunded_total)


def _external_customer(receipt: Receipt, provider) -> str:
    customer = AccountingCustomer.objects.get(email=receipt.customer_email)
    if provider.identifier == "local":
        return str(customer.pk)
    reference = external_ref(customer, system=provider.identifier, kind="customer")
    if reference is not None and reference.external_id:
        return reference.external_id
    name = receipt.booking.customer_name.strip()
    given, _, family = name.partition(" ")
    external_id = provider.customer_find_or_create(email=customer.email, display_name=customer.display_name, given_name=given,
                                                   family_name=family, request_id=customer.request_id)
    external_ref_set(customer, system=provider.identifier, kind="customer", external_id=external_id)
    return external_id


def receipt_send(*, receipt_id: int) -> Receipt:
    """Send one ledger receipt to its provider under its ``request_id``; safe to run twice (and at once).

    Raises ``ProviderError``: retryable ones leave the receipt waiting (the outbox
    and the hourly sync try again with the same ``request_id``); a refusal (400)
    marks it ``failed`` for the manager to fix.
    """
    receipt = Receipt.objects.select_related("booking").get(pk=receipt_id)
    if receipt.status == SyncStatus.SYNCED:
        return receipt
    provider = accounting_provider(receipt.provider)
    try:
        customer_id = _external_customer(receipt, provider)
        body = {**receipt.body, "CustomerRef": {**receipt.body.get("CustomerRef", {}), "value": customer_id}}
        Receipt.objects.filter(pk=receipt.pk).update(body=body, attempts=receipt.attempts + 1, updated_at=timezone.now())
        booked = provider.receipt_create(kind=receipt.kind, body=body, request_id=receipt.request_id, receipt_id=receipt.pk)
    except ProviderError as error:
        status = SyncStatus.PENDING if error.retryable else SyncStatus.FAILED
        Receipt.objects.filter(pk=receipt.pk).exclude(status=SyncStatus.SYNCED).update(
            status=status, last_error=str(error)[:2000], updated_at=timezone.now())
        raise
    now = timezone.now()
    with transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(status=SyncStatus.SYNCED, external_id=booked.external_id, synced_at=now,
                                                     last_error="", updated_at=now)
        if receipt.kind == ReceiptKind.SALES:
            external_ref_set(receipt.booking, system=provider.identifier, kind="sales_receipt", external_id=booked.external_id,
                             data={"doc_number": receipt.doc_number, "receipt_id": receipt.pk})
        else:
            external_ref_set(receipt, system=provider.identifier, kind="refund_receipt", external_id=booked.external_id)
    receipt.refresh_from_db()
    return receipt


def ledger_hand_over(*, to: str, since=None) -> int:
    """Queue receipts kept only in the local ledger for ``to`` (e.g. ``quickbooks`` once connected), from ``since`` on.

    Their requestid was never sent to that provider, so it is reused as is; the
    next sync sends them. Returns how many were handed over.
    """
    rows = Receipt.objects.filter(provider="local")
    if since is not None:
        rows = rows.filter(txn_date__gte=since)
    return rows.update(provider=to, status=SyncStatus.PENDING, external_id="", synced_at=None, attempts=0, last_error="",
                       updated_at=timezone.now())


@dataclass
class SyncResult:
    prepared: int = 0
    sent: int = 0
    waiting: int = 0
    failed: int = 0
    errors: list[str] | None = None


def _catch_up(items: ItemMap) -> int:
    """Ledger rows for settled payments the outbox never turned into receipts (paid before this app, or dead letters)."""
    prepared = 0
    have_sales = Receipt.objects.filter(kind=ReceiptKind.SALES).values("payment_id")
    for payment_id in Payment.objects.filter(status__in=SETTLED, amount_paid__gt=0).exclude(pk__in=have_sales).values_list("pk", flat=True):
        prepared += sales_receipt_prepare(payment_id=payment_id, items=items) is not None
    covered = dict(Receipt.objects.filter(kind=ReceiptKind.REFUND).values("payment_id").annotate(m=Max("covers_refunded"))
                   .values_list("payment_id", "m"))
    for payment_id, refunded in Payment.objects.filter(amount_refunded__gt=0).values_list("pk", "amount_refunded"):
        if refunded > covered.get(payment_id, ZERO):
            prepared += refund_receipt_prepare(payment_id=payment_id, refunded_total=refunded) is not None
    return prepared


def accounting_sync(*, progress: Callable[[str], None] | None = None, limit: int | None = None) -> SyncResult:
    """The hourly batch: catch up on missing receipts, then send every one not in the books, oldest first.

    A retryable failure (QuickBooks down, throttled, disconnected) stops the batch:
    the rest wait for the next run rather than hammering a company that said no.
    """
    say = progress or (lambda line: None)
    result = SyncResult(errors=[])
    result.prepared = _catch_up(item_map())
    if result.prepared:
        say(f"prepared {result.prepared} receipt(s) the outbox had not")
    provider = accounting_provider().identifier
    pending = list(Receipt.objects.filter(status=SyncStatus.PENDING, provider=provider).order_by("pk").values_list("pk", flat=True)[:limit])
    say(f"{len(pending)} receipt(s) to send to {provider}")
    for position, receipt_id in enumerate(pending, start=1):
        try:
            receipt = receipt_send(receipt_id=receipt_id)
        except ProviderError as error:
            result.errors.append(str(error))
            if error.retryable:
                result.waiting = len(pending) - position + 1
                say(f"[{position}/{len(pending)}] stopped: {error} — {result.waiting} left waiting for the next run")
                break
            result.failed += 1
            say(f"[{position}/{len(pending)}] refused: {error}")
            continue
        result.sent += 1
        say(f"[{position}/{len(pending)}] {receipt.kind} {receipt.doc_number} {receipt.total} → {receipt.external_id}")
    return result
