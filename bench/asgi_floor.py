"""The cost of Django's request cycle under ASGI, in-process: Django's ``ASGIHandler`` beside ours.

    CORESYNC_VAR_DIR=/tmp/floor/var .venv/bin/python manage.py migrate     # once
    CORESYNC_VAR_DIR=/tmp/floor/var .venv/bin/python bench/asgi_floor.py [--path /bench/plain] [-n 2000]

Calls each ASGI application directly (no socket, no server) ``n`` times one after the other and prints
CPU and wall time per request. CPU time is the figure to compare on a shared machine. ``--drop name,…``
removes middlewares whose dotted path contains one of the names, to price each of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
os.environ.setdefault("DEBUG", "0")
os.environ["BENCH_ENDPOINTS"] = "1"


def scope_for(path: str) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000)}  # fmt: skip


async def one(app, path: str) -> int:
    sent, delivered = [], False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is made

    async def send(message):
        sent.append(message)

    await app(scope_for(path), receive, send)
    return sent[0]["status"]


async def measure(name: str, app, path: str, n: int) -> None:
    for _ in range(min(200, n)):
        status = await one(app, path)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        status = await one(app, path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{name:<28} {path}  status {status}  CPU {1000 * cpu / n:.3f} ms  wall {1000 * wall / n:.3f} ms per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/bench/plain")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--drop", default="", help="comma-separated middleware names to leave out")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    for name in filter(None, args.drop.split(",")):
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if name not in m]
    from django.core.handlers.asgi import ASGIHandler

    from coresync.core.asgi_http import SyncChainASGIHandler

    asyncio.run(measure("django ASGIHandler", ASGIHandler(), args.path, args.n))
    asyncio.run(measure("coresync SyncChainASGIHandler", SyncChainASGIHandler(), args.path, args.n))


if __name__ == "__main__":
    main()
