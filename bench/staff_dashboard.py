"""Issue 15: the manager's dashboard JSON for 90 days of spa-20k, p50/p95/p99 at c=1 on PostgreSQL, over HTTP.

    .venv/bin/python bench/staff_dashboard.py [--db coresync_staff_bench] [--redis 12] [--requests 300]

Drops and recreates its own database (default ``coresync_staff_bench``, never the
shared ``coresync_bench``), seeds the catalog and spa-20k with ``bench/dataset.py``,
adds a manager with an API token, starts uvicorn (2 workers, DEBUG=0, as
``bench/run.py`` does), warms it, then sends the requests one after the other
(c=1) for ``date_from=today, date_to=today+89`` and prints the percentiles, the
queries per request (in-process, same database) and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402  (after the path is set)

MANAGER = "manager@bench.coresync.test"
SETUP = f"""
from rest_framework.authtoken.models import Token
from coresync.accounts.models import User
user, _ = User.objects.get_or_create(email="{MANAGER}", defaults={{"name": "Bench Manager", "role": "manager"}})
print("TOKEN=" + Token.objects.get_or_create(user=user)[0].key)
"""
QUERIES = """
import json, sys
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from coresync.accounts.models import User
client = APIClient()
client.force_authenticate(User.objects.get(email="{manager}"))
client.get("{path}")
with CaptureQueriesContext(connection) as queries:
    status = client.get("{path}").status_code
print("QUERIES=" + json.dumps({{"status": status, "queries": len(queries)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="coresync_staff_bench")
    parser.add_argument("--redis", type=int, default=12)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the database from the last run (no reseed)")
    args = parser.parse_args()
    run.DB_NAME = args.db
    run.DB_URL = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    run.REDIS_URL = f"redis://127.0.0.1:6379/{args.redis}"
    env = run.server_env()
    if not args.reuse:
        run.recreate_database()
        run.dataset("catalog")
        run.dataset("bookings", "20000")
    out = subprocess.run([run.PY, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    token = next(line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("TOKEN="))
    today = datetime.now(run.TZ).date()
    path = f"/api/v1/manager/dashboard/?date_from={today}&date_to={today + timedelta(days=89)}"
    out = subprocess.run([run.PY, "manage.py", "shell", "-c", QUERIES.format(manager=MANAGER, path=path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    queries = json.loads(next(line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("QUERIES=")))

    server = run.Server(cache=False)
    server.start()
    try:
        server.warm([(path, token)], rounds=12)
        status, body = server.get(path, token)
        assert status == 200, body
        bookings = body["bookings"]["count"]
        load_before = os.getloadavg()
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            status, _body = server.get(path, token)
            samples.append((time.perf_counter() - started) * 1000)
            assert status == 200
        load_after = os.getloadavg()
    finally:
        server.stop()
    result = {
        "path": path, "requests": len(samples), "bookings_in_range": bookings, "queries_per_request": queries["queries"],
        "p50_ms": round(run.percentile(samples, 50), 1), "p95_ms": round(run.percentile(samples, 95), 1),
        "p99_ms": round(run.percentile(samples, 99), 1), "max_ms": round(max(samples), 1),
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
