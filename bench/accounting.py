"""Accounting throughput: receipts built (pure builder), built and queued (ledger), sent (local), and the nightly reconcile.

    CORESYNC_VAR_DIR=/tmp/qbench/var .venv/bin/python bench/accounting.py [n=5000] [day=300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coresync_qb_bench .venv/bin/python bench/accounting.py

Migrates and seeds the demo spa into the configured database (use a scratch one: it
adds ``n`` + ``day`` paid bookings), then measures, with the local ledger provider:

1. the builder alone: ``sales_receipt_build`` over ``n`` bookings' plain facts (target ≥ 500/s);
2. built and queued: the outbox row the payment's transaction writes (``outbox_enqueue``, as
   ``accounting.receivers`` does) and ``sales_receipt_prepare`` (facts from the database,
   body built, ledger row with its requestid stored), for the same ``n`` paid bookings;
3. sent: ``accounting_sync`` marking every ledger row in the books (local provider);
4. the nightly reconcile of a ``day``-booking day against the local ledger (target ≤ 5 s).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
os.environ.setdefault("ACCOUNTING_PROVIDER", "local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

CENT = Decimal("0.01")


def _setup():
    call_command("migrate", verbosity=0)
    from coresync.catalog.models import Location

    if not Location.objects.exists():
        from coresync.demo.seed import seed_demo

        seed_demo()


def _paid_bookings(count: int, *, start_offset_days: int, rng: random.Random) -> list[int]:
    """``count`` confirmed bookings priced like quote_for (list lines, member discount, tax once), each with a paid payment."""
    from coresync.bookings.models import Booking, BookingStatus
    from coresync.catalog.models import Service
    from coresync.payments.models import Payment, PaymentStatus, Purpose
    from coresync.technicians.models import Technician

    services = list(Service.objects.select_related("category", "location").filter(active=True))
    technicians = list(Technician.objects.all())
    rooms = {s.pk: s.location.rooms.first() for s in services}
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=start_offset_days)
    bookings = []
    for index in range(count):
        service = rng.choice(services)
        listed = Decimal(rng.randint(4000, 40000)) / 100
        percent = rng.choice([Decimal(0), Decimal(0), Decimal(30), Decimal(40)])
        charged = (listed * (100 - percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        taxable = service.taxable and service.category.taxable
        tax = (charged * Decimal("8.875") / 100).quantize(CENT, rounding=ROUND_HALF_UP) if taxable else Decimal(0)
        technician = technicians[index % len(technicians)]
        start = base + timedelta(hours=2 * index)  # never overlapping (technicians and rooms alike)
        bookings.append(Booking(
            location=service.location, service=service, technician=technician, room=rooms[service.pk], start=start,
            end=start + timedelta(minutes=service.duration_minutes), blocked_until=start + timedelta(minutes=service.duration_minutes),
            status=BookingStatus.CONFIRMED, customer_name=f"Bench Guest {index}", customer_email=f"bench{index % 800}@example.test",
            subtotal=listed, discount=listed - charged, tax=tax, total=charged + tax, tier_name="Premium" if percent == 40 else "",
            price_lines=[{"description": service.name, "amount": str(listed), "kind": "service"}]))
    with transaction.atomic():
        Booking.objects.bulk_create(bookings, batch_size=500)
        refs = [b.reference for b in bookings]
        created = {b.reference: b for b in Booking.objects.filter(reference__in=refs)}
        now = timezone.now()
        payments = [Payment(booking=created[ref], purpose=Purpose.BOOKING, provider="local", status=PaymentStatus.PAID,
                            amount=created[ref].total, amount_paid=created[ref].total, paid_at=now,
                            idempotency_key=f"bench:{ref}") for ref in refs]
        Payment.objects.bulk_create(payments, batch_size=500)  # no post_save: the bench enqueues explicitly below
    return list(Payment.objects.filter(booking__reference__in=refs).values_list("pk", flat=True))


def bench_builder(n: int, rng: random.Random) -> float:
    from coresync.accounting.receipts import CustomerRef, ItemRef, SaleFacts, SaleLine, sales_receipt_build, tax_due

    item = ItemRef("1", "Services")
    facts = []
    for index in range(n):
        lines = [SaleLine(f"Service {i}", Decimal(rng.randint(2000, 30000)) / 100, item, taxable=rng.random() < 0.8)
                 for i in range(rng.randint(1, 4))]
        tax = tax_due(sum((line.charged for line in lines if line.taxable), Decimal(0)), Decimal("8.875"))
        charged = sum((line.amount for line in lines), Decimal(0)) + tax
        facts.append(SaleFacts(doc_number=f"CS-{index:06d}", txn_date=timezone.localdate(), customer=CustomerRef(str(index), "Guest"),
                               payment_ref=str(index), currency="USD", lines=tuple(lines), charged=charged, tax=tax,
                               tax_rate=Decimal("8.875")))
    started = time.perf_counter()
    for fact in facts:
        sales_receipt_build(fact)
    return n / (time.perf_counter() - started)


def bench_queue(payment_ids: list[int]) -> tuple[float, float]:
    from coresync.accounting.selectors import item_map
    from coresync.accounting.services import sales_receipt_prepare
    from coresync.outbox.services import outbox_enqueue

    started = time.perf_counter()
    for payment_id in payment_ids:
        with transaction.atomic():
            outbox_enqueue(kind="accounting.bench", dedupe_key=f"accounting.bench:{payment_id}", payload={"payment_id": payment_id},
                           delay=timedelta(days=3650))  # written like the receiver's row; never delivered by the bench
    enqueue_rate = len(payment_ids) / (time.perf_counter() - started)
    items = item_map()
    started = time.perf_counter()
    for payment_id in payment_ids:
        sales_receipt_prepare(payment_id=payment_id, items=items)
    return enqueue_rate, len(payment_ids) / (time.perf_counter() - started)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    day = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(13)
    _setup()
    from coresync.accounting.models import Receipt
    from coresync.accounting.reconcile import reconcile_day
    from coresync.accounting.services import accounting_sync
    from coresync.outbox.models import OutboxMessage
    from coresync.payments.models import Payment

    Receipt.objects.all().delete()
    OutboxMessage.objects.filter(kind="accounting.bench").delete()
    print(f"database: {connection.vendor}")
    builder = [bench_builder(n, rng) for _ in range(3)]
    print(f"builder alone: {n} receipts, {sorted(builder)[1]:.0f}/s (median of 3: {', '.join(f'{b:.0f}' for b in builder)})")
    ids = _paid_bookings(n, start_offset_days=400, rng=rng)
    enqueue_rate, prepare_rate = bench_queue(ids)
    print(f"outbox rows written (one transaction each): {enqueue_rate:.0f}/s")
    print(f"built and queued in the ledger (facts from the DB + build + store): {prepare_rate:.0f}/s")
    started = time.perf_counter()
    result = accounting_sync()
    print(f"sent to the local ledger: {result.sent} in {time.perf_counter() - started:.2f}s")
    # A separate day of `day` paid bookings, reconciled against the local ledger.
    Payment.objects.filter(pk__in=ids).update(paid_at=timezone.now() - timedelta(days=30))
    Receipt.objects.filter(payment_id__in=ids).update(txn_date=timezone.localdate() - timedelta(days=30))
    day_ids = _paid_bookings(day, start_offset_days=1300, rng=rng)
    accounting_sync()
    started = time.perf_counter()
    report = reconcile_day(day=timezone.localdate(), notify=False)
    seconds = time.perf_counter() - started
    print(f"reconcile of a {len(day_ids)}-booking day: {seconds:.3f}s, {report.discrepancy_count} discrepancies, "
          f"{report.payments_checked} payments / {report.receipts_checked} receipts")


if __name__ == "__main__":
    main()
