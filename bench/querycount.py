"""Queries per request (S4, and availability for S6), measured in-process against the bench database.

Runs the real views through Django's test ``Client`` with ``CaptureQueriesContext``
on the same PostgreSQL database the load test uses (``DATABASE_URL``), after one
warm-up request so the catalog snapshot is loaded as it is in a running server.
Also records every outbound socket a booking request opens: anything other than
PostgreSQL (5432) or Redis (6379, cache and Celery broker) would mean mail,
LLM or HTTP work inside the request. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.dataset import MEMBER_EMAIL, member_token  # noqa: E402
from coresync.accounts.models import User  # noqa: E402
from coresync.bookings.selectors import availability_for  # noqa: E402

SERVICE = "deep-tissue-massage-60"
_connects: list = []
_real_connect = socket.socket.connect


def _spy_connect(self, address):
    _connects.append(address)
    return _real_connect(self, address)


def measure(client: Client, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    _connects.clear()
    socket.socket.connect = _spy_connect
    try:
        with CaptureQueriesContext(connection) as ctx:
            if method == "GET":
                response = client.get(path, **headers)
            else:
                response = client.post(path, data=json.dumps(body), content_type="application/json", **headers)
    finally:
        socket.socket.connect = _real_connect
    foreign = [a for a in _connects if not (isinstance(a, tuple) and a[1] in (5432, 6379))]
    return {
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
        "sql": [q["sql"][:160] for q in ctx.captured_queries],
        "foreign_connections": [str(a) for a in foreign],
    }


def main() -> None:
    token = member_token()
    member = User.objects.get(email=MEMBER_EMAIL)
    today = timezone.localdate()
    client = Client()
    to90, to3 = today + timedelta(days=89), today + timedelta(days=3)
    client.get(f"/api/v1/availability/?service={SERVICE}&date_from={today}&date_to={to3}")  # warm the catalog snapshot
    out = {
        "availability_90_member": measure(
            client, "GET", f"/api/v1/availability/?service={SERVICE}&date_from={today}&date_to={to90}", token=token
        ),
        "availability_3_guest": measure(
            client, "GET", f"/api/v1/availability/?service={SERVICE}&date_from={today}&date_to={to3}"
        ),
    }
    late = [s for s in availability_for(service=SERVICE, date_from=today + timedelta(days=60), date_to=to90, viewer=member).slots]
    soon = availability_for(service=SERVICE, date_from=today, date_to=to3).slots
    if late:
        out["booking_create_member"] = measure(
            client, "POST", "/api/v1/bookings/", {"service": SERVICE, "start": late[-1].start_iso}, token=token
        )
    if soon:
        body = {
            "service": SERVICE,
            "start": soon[-1].start_iso,
            "guest": {"name": "Query Count", "email": "qc@example.com", "phone": "+1 212 555 0199"},
        }
        out["booking_create_guest"] = measure(client, "POST", "/api/v1/bookings/", body)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
