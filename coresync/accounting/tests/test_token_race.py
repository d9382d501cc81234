"""Two workers needing a token at once: one refresh at Intuit, both served (PostgreSQL row lock)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from coresync.accounting.connection import access_token
from coresync.accounting.models import QuickBooksConnection

from .conftest import TOKEN_URL, token_json

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_callers_share_one_refresh(quickbooks):
    calls = []

    def refresh(request):
        calls.append(request.body)
        time.sleep(0.3)  # Intuit is slow: the second caller arrives while the first is refreshing
        return 200, {}, __import__("json").dumps(token_json(access=f"at-{len(calls)}", refresh=f"rt-{len(calls) + 1}"))

    quickbooks.add_callback("POST", TOKEN_URL, callback=refresh, content_type="application/json")
    QuickBooksConnection.objects.all().delete()
    barrier = threading.Barrier(2)
    tokens, errors = [], []

    def caller():
        try:
            barrier.wait()
            tokens.append(access_token())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    from coresync.accounting.connection import connection_seed

    connection_seed()  # the row exists (seeded from the settings) before the race, as after the first run
    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(calls) == 1  # one refresh: the rotated token is never spent twice
    assert tokens == ["at-1", "at-1"]
    row = QuickBooksConnection.objects.get()
    assert row.refresh_count == 1


def test_calls_to_one_company_run_one_at_a_time(quickbooks):
    """Four workers sending at once: QuickBooks never sees two of our calls to the company overlap (advisory lock)."""
    import json

    from coresync.integrations.accounting import accounting_provider

    from .conftest import COMPANY

    quickbooks.post(TOKEN_URL, json=token_json())
    active, peak, lock = [0], [0], threading.Lock()

    def slow_create(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)
        with lock:
            active[0] -= 1
        return 200, {}, json.dumps({"SalesReceipt": {"Id": "1", "TotalAmt": 1}})

    quickbooks.add_callback("POST", f"{COMPANY}/salesreceipt", callback=slow_create, content_type="application/json")
    from coresync.accounting.connection import access_token

    access_token()  # one token for all (the refresh race is the test above)
    barrier = threading.Barrier(4)
    errors = []

    def worker(number):
        try:
            barrier.wait()
            accounting_provider().receipt_create(kind="SalesReceipt", body={"DocNumber": f"CS-{number}"}, request_id=f"r{number}",
                                                 receipt_id=number)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == [] and peak[0] == 1
    assert len([c for c in quickbooks.calls if "/salesreceipt" in c.request.url]) == 4
