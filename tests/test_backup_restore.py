"""Backups, tested the way they are used: dump, wipe the database, restore, and the spa is as it was.

PostgreSQL only (deploy/backup.sh runs pg_dump -Fc, deploy/restore.sh pg_restore --clean); skipped on SQLite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create
from coresync.demo.seed import DEMO_PASSWORD
from coresync.payments.models import Payment, PaymentStatus

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.skipif(settings.DB_VENDOR != "postgresql", reason="pg_dump / pg_restore need PostgreSQL"),
    pytest.mark.skipif(not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="PostgreSQL client tools missing"),
]
FIELDS = ("reference", "status", "start", "end", "blocked_until", "technician_id", "room_id", "customer_id", "customer_name",
          "customer_email", "notes", "total", "channel")  # fmt: skip
OVERLAPS = """SELECT count(*) FROM bookings_booking a JOIN bookings_booking b ON a.{column} = b.{column} AND a.id < b.id
              AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
              WHERE a.status NOT IN ('cancelled', 'expired') AND b.status NOT IN ('cancelled', 'expired')"""


def _url(name: str | None = None) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def _script(name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["sh", str(ROOT / "deploy" / name), *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": os.environ["PATH"], **env})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def _free(service: str, viewer, count: int) -> list:
    """``count`` free starts three hours apart or more, from three days ahead."""
    day = timezone.localdate() + timedelta(days=3)
    found = availability_for(service=service, date_from=day, date_to=day + timedelta(days=5), viewer=viewer)
    chosen, last = [], None
    for slot in found.slots:
        if last is None or abs(slot.start - last) >= timedelta(hours=3):
            chosen.append(slot.start)
            last = slot.start
    return chosen[:count]


def _snapshot() -> dict:
    with connection.cursor() as cursor:
        overlaps = 0
        for column in ("technician_id", "room_id"):
            cursor.execute(OVERLAPS.format(column=column))
            overlaps += cursor.fetchone()[0]
        cursor.execute("SELECT conname FROM pg_constraint WHERE conname LIKE 'booking_no_%%_overlap' ORDER BY conname")
        constraints = [row[0] for row in cursor.fetchall()]
    return {
        "counts": (Booking.objects.count(), Payment.objects.count(), User.objects.count()),
        "bookings": {b["reference"]: b for b in Booking.objects.values(*FIELDS)},
        "payments": sorted(
            Payment.objects.values_list("booking__reference", "status", "amount", "amount_paid", "idempotency_key")
        ),
        "users": sorted(User.objects.values_list("email", "name", "phone", "password")),
        "overlaps": overlaps,
        "constraints": constraints,
    }


def _wipe(name: str) -> None:
    """DROP and CREATE the database, as after losing the server: connections (and the pool) closed first."""
    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


@pytest.mark.django_db(transaction=True)
def test_dump_wipe_restore_keeps_bookings_payments_and_users(demo_spa, tmp_path):
    member = demo_spa.premium
    starts = _free("swedish-massage", member, 3)
    paid = booking_create(service="swedish-massage", start=starts[0], customer=member, notes="Prefers a firm touch")
    Payment.objects.create(booking=paid, customer=member, provider="local", status=PaymentStatus.PAID, amount=paid.total,
                           amount_paid=paid.total, paid_at=timezone.now(), idempotency_key=f"pay-{paid.reference}")  # fmt: skip
    booking_create(
        service="swedish-massage",
        start=starts[1],
        guest=GuestDetails(name="Noor Haddad", email="noor@example.com", phone="+12125550123"),
    )
    booking_create(service="deep-tissue-massage", start=_free("deep-tissue-massage", demo_spa.base, 1)[0], customer=demo_spa.base)
    before = _snapshot()
    assert before["counts"][0] >= 3 and before["overlaps"] == 0 and len(before["constraints"]) == 2

    # A dump from 20 days ago is pruned by the retention; yesterday's stays.
    old, recent = tmp_path / "coresync-20260101T000000Z.dump", tmp_path / "coresync-20261201T000000Z.dump"
    for stale, age_days in ((old, 20), (recent, 1)):
        stale.write_bytes(b"old")
        os.utime(stale, (time.time() - age_days * 86400,) * 2)
    dump = Path(_script("backup.sh", _url(), BACKUP_DIR=str(tmp_path), BACKUP_RETENTION_DAYS="14").stdout.strip())
    assert re.fullmatch(r"coresync-\d{8}T\d{6}Z\.dump", dump.name) and dump.stat().st_size > 10_000
    assert not old.exists() and recent.exists() and not list(tmp_path.glob("*.partial"))

    name = connection.settings_dict["NAME"]
    _wipe(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cursor.fetchone()[0] == 0  # really gone
    connections.close_all()

    _script("restore.sh", str(dump), _url())
    after = _snapshot()
    assert after == before
    restored = Booking.objects.get(reference=paid.reference)
    assert (restored.start, restored.technician_id, restored.notes, restored.total) == (
        paid.start,
        paid.technician_id,
        "Prefers a firm touch",
        paid.total,
    )
    assert restored.payments.get().status == PaymentStatus.PAID
    assert User.objects.get(pk=member.pk).check_password(DEMO_PASSWORD)  # the same hashes: people can still sign in

    # Restoring over a live database replaces it (--clean): a booking made after the dump is gone again.
    booking_create(service="swedish-massage", start=starts[2], customer=member)
    connections.close_all()
    _script("restore.sh", str(dump), _url())
    assert _snapshot() == before
