"""Serve the whole product from one command: web (HTTP + WebSocket), Celery worker and beat.

Used by ``make run``. Children share this terminal; Ctrl-C stops all of them,
and if one exits the others are stopped too, so nothing runs half-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from coresync.demo.seed import ACCOUNTS, DEMO_PASSWORD


def child_environment(host: str, port: int, metrics_dir: str = "") -> dict[str, str]:
    """The children's environment: ``--host``/``--port`` become HOST/PORT, so their SITE_URL and CSRF origins follow.

    Proxy headers are left to Django (``BEHIND_PROXY``, ``TRUSTED_PROXY_COUNT``): uvicorn runs with
    ``--no-proxy-headers`` so the client address is decided in one place. ``PROMETHEUS_MULTIPROC_DIR``
    (``metrics_directory()``) lets /metrics sum every web and worker process.
    """
    extra = {"PROMETHEUS_MULTIPROC_DIR": metrics_dir} if metrics_dir else {}
    return {**os.environ, "HOST": host, "PORT": str(port), **extra}


def metrics_directory() -> str:
    """The processes' shared metric files (``PROMETHEUS_MULTIPROC_DIR`` or ``VAR_DIR/prometheus``), emptied at start."""
    path = Path(settings.PROMETHEUS_MULTIPROC_DIR or Path(settings.VAR_DIR) / "prometheus")
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink(missing_ok=True)
    return str(path)


class Command(BaseCommand):
    help = "Run web (uvicorn, ASGI), Celery worker and Celery beat together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.WEB_HOST)
        parser.add_argument("--port", type=int, default=settings.WEB_PORT)
        parser.add_argument("--web-workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument("--no-worker", action="store_true", help="Web only (no Celery worker or beat).")

    def handle(self, *args, host, port, web_workers, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        commands = {
            "web": [os.path.join(bin_dir, "uvicorn"), "coresync.asgi:application", "--host", host, "--port", str(port),
                    "--workers", str(web_workers), "--no-proxy-headers", "--log-level", "info"],
        }
        if not no_worker:
            commands["worker"] = [os.path.join(bin_dir, "celery"), "-A", "coresync", "worker", "--loglevel", "INFO",
                                  "--concurrency", str(settings.WORKER_CONCURRENCY), "--hostname", "coresync@%h"]
            commands["beat"] = [os.path.join(bin_dir, "celery"), "-A", "coresync", "beat", "--loglevel", "INFO",
                                "--scheduler", settings.CELERY_BEAT_SCHEDULER]
        self._banner(host, port)
        # Fixed argument lists of our own executables; no shell, no user input.
        environment = child_environment(host, port, metrics_directory())
        children = {name: subprocess.Popen(cmd, env=environment) for name, cmd in commands.items()}  # noqa: S603
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping the rest.")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(exit_code)

    def _banner(self, host: str, port: int) -> None:
        url = f"http://{host}:{port}"
        lines = [
            "",
            f"  CoreSync is starting at {url}",
            f"  admin: {url}/admin/   API docs: {url}/api/docs/   health: {url}/readyz",
            f"  database: {settings.DB_VENDOR}   cache/broker: {'redis' if settings.REDIS_URL else 'embedded (no Redis)'}",
            f"  demo accounts (password {DEMO_PASSWORD}):",
            *[f"    {email:<24} {role}{' · ' + tier if tier else ''}" for email, _n, role, tier in
              [("tech@coresync.test", "", "technician", None), *ACCOUNTS]],
            "  Ctrl-C stops web, worker and scheduler.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
