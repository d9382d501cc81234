"""Browser tests: a real ASGI server (uvicorn) on a seeded file database, driven by Debian's Chromium.

The server runs as in production (``DEBUG=False``, hashed and compressed static
files through WhiteNoise), on its own SQLite file under a temporary directory,
so the tests never touch the developer's database or pytest-django's test DB.
Tests are skipped, with the reason printed, when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_VERSION = "4.14.1"
AXE_PREFIX = ROOT / "var" / "npm"
AXE_FILE = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "coresync-demo"

IOS_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
IPAD_UA = IOS_UA.replace("iPhone; CPU iPhone OS", "iPad; CPU OS")
DEVICES = {
    "iphone-se": {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "user_agent": IOS_UA},
    "iphone-14-pro": {"viewport": {"width": 393, "height": 852}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True, "user_agent": IOS_UA},
    "ipad": {"viewport": {"width": 810, "height": 1080}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "user_agent": IPAD_UA},
}

pytestmark = pytest.mark.browser  # (the root conftest marks every test in tests/e2e)


# The servers' own field keys (personal data is encrypted in their databases): a test reads a row through
# LiveSpa.decrypt and finds one by e-mail through LiveSpa.digest, as the server does.
E2E_INDEX_KEY = "e2e-blind-index-key-0123456789abcdef"
E2E_FIELD_KEY = "sdt8lmgEqERWu1px_VfBqTxVmjfl0ck7X_h27TObYnI="
E2E_KEYS = {"FIELD_ENCRYPTION_KEYS": E2E_FIELD_KEY, "FIELD_INDEX_KEY": E2E_INDEX_KEY}

def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], env: dict) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


class LiveSpa:
    """The running server: its URL and a read-only view of its database."""

    def __init__(self, url: str, db_path: Path):
        self.url = url
        self.db_path = db_path

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    @staticmethod
    def digest(email: str) -> str:
        """The blind index the server keeps for ``email`` (``WHERE u.email_bidx = ?``)."""
        from django.test import override_settings

        from coresync.core.crypto import blind_index

        with override_settings(FIELD_INDEX_KEY=E2E_INDEX_KEY):
            return blind_index("email", email)

    @staticmethod
    def decrypt(token: str) -> str:
        """An encrypted column's plain value."""
        from cryptography.fernet import Fernet

        return Fernet(E2E_FIELD_KEY).decrypt(token.encode()).decode() if token else token


@pytest.fixture(scope="session")
def live_spa(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    var_dir = tmp_path_factory.mktemp("e2e-var")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CORESYNC_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'e2e.sqlite3'}",
        "DEBUG": "0",
        "STATIC_MANIFEST": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": url,
        "SITE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "AI_CHAT_IP_RATE_LIMIT": "10000/minute",
        "AI_CHAT_SESSION_RATE_LIMIT": "10000/minute",
        "CHAT_RATE_LIMIT": "10000/minute",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
        **E2E_KEYS,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # The server is one process on embedded defaults: it must not share Redis with the
    # test workers, whose per-test cache.clear() would wipe its chat sessions.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER"):
        env.pop(name, None)
    _run(["collectstatic", "--noinput", "-v0"], env)
    _run(["migrate", "--noinput", "-v0"], env)
    _run(["seed_demo"], env)
    log = open(var_dir / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "coresync.asgi:application", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "coresync.settings"}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log.close()
            raise RuntimeError("uvicorn did not start:\n" + (var_dir / "server.log").read_text()[-4000:])
        time.sleep(0.2)
    yield LiveSpa(url, var_dir / "e2e.sqlite3")
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context_for(browser, live_spa):
    """``context_for("iphone-se")``: a fresh browser context (cold cache, no cookies) emulating the device."""
    contexts = []

    def make(device: str = "iphone-14-pro", **overrides):
        context = browser.new_context(base_url=live_spa.url, **{**DEVICES[device], **overrides})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("load")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry (pinned), installed into the git-ignored ``var/npm``."""
    if not AXE_FILE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"axe-core missing: run `npm install --prefix var/npm axe-core@{AXE_VERSION}`")
        subprocess.run([npm, "install", "--prefix", str(AXE_PREFIX), "--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"],
                       check=True, capture_output=True, timeout=300)
    return AXE_FILE.read_text()


def write_artifact(name: str, payload: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.update(payload)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True))


class ChatFrames:
    """Every frame the page sent to and received from the concierge socket (``page.on("websocket")``)."""

    def __init__(self, page):
        self.sent: list[dict] = []
        self.received: list[dict] = []
        self.sockets = 0
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        if "/ws/ai-chat/" not in ws.url:
            return
        self.sockets += 1
        ws.on("framesent", lambda payload: self.sent.append(_frame(payload)))
        ws.on("framereceived", lambda payload: self.received.append(_frame(payload)))

    @property
    def messages(self) -> list[str]:
        """The guest's messages, in the order sent (resume frames and the like left out)."""
        return [f["message"] for f in self.sent if "message" in f]

    def of_type(self, kind: str) -> list[dict]:
        return [f for f in self.received if f.get("type") == kind]


def _frame(payload) -> dict:
    try:
        value = json.loads(payload)
    except (TypeError, ValueError):
        return {"raw": payload}
    return value if isinstance(value, dict) else {"raw": value}
