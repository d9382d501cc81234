"""Container health check: ``python deploy/healthcheck.py [web|worker|beat]`` exits 0 when healthy.

web:    GET /healthz on this container's port, with a Host header ALLOWED_HOSTS accepts (the first entry).
worker: the worker answers a Celery ping (``celery inspect ping`` for this host's worker).
beat:   the beat process (PID 1 under the entrypoint's exec) is alive and still Celery beat.
Standard library only for ``web`` (it runs every 30 s; no Django import).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request


def _host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def web() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": _host()})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


def worker() -> int:
    target = f"celery@{socket.gethostname()}"
    done = subprocess.run(["celery", "-A", "coresync", "inspect", "ping", "-d", target, "--timeout", "5"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return 0 if done.returncode == 0 and "pong" in done.stdout else 1


def beat() -> int:
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return 1
    return 0 if "celery" in command and " beat" in command else 1


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    sys.exit({"web": web, "worker": worker, "beat": beat}[role]())
