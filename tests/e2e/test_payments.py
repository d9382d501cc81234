"""Acceptance (issue 12): a guest books online, pays on the local gateway's card page with 4242…, and sees the
booking confirmed; the confirmation e-mail is written once. Runs a second server on the same database with
BOOKING_PAYMENT_MODE=online (the shared one confirms bookings at once). Screenshots: artifacts/screenshots/pay-*.png."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta

import pytest

from .conftest import ROOT, SCREENSHOTS, _free_port

DEVICE = "iphone-se"


@pytest.fixture(scope="module")
def online_spa(live_spa):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    var_dir = live_spa.db_path.parent
    env = {**os.environ, "CORESYNC_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{live_spa.db_path}", "DEBUG": "0",
           "STATIC_MANIFEST": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost", "CSRF_TRUSTED_ORIGINS": url, "SITE_URL": url,
           "CELERY_TASK_ALWAYS_EAGER": "1", "BOOKING_PAYMENT_MODE": "online", "PAYMENT_PROVIDER": "local",
           "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore", "DJANGO_SETTINGS_MODULE": "coresync.settings"}
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    log = open(var_dir / "server-online.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "coresync.asgi:application", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
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
            raise RuntimeError("uvicorn did not start:\n" + (var_dir / "server-online.log").read_text()[-4000:])
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)
    log.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"pay-{name}-{DEVICE}.png"), full_page=True)


def test_a_guest_pays_on_the_local_card_page_and_sees_the_booking_confirmed(browser, live_spa, online_spa):
    from .conftest import DEVICES

    context = browser.new_context(base_url=online_spa, **DEVICES[DEVICE])
    context.set_default_timeout(15_000)
    page = context.new_page()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    slots = page.request.get(f"/api/v1/availability/?service=swedish-massage&date_from={tomorrow}&date_to={tomorrow}").json()["slots"]
    created = page.request.post("/api/v1/bookings/", data=json.dumps({
        "service": "swedish-massage", "start": slots[0]["start"], "guest": {"name": "Ada Guest", "email": "ada.pay@example.test"}}),
        headers={"Content-Type": "application/json"})
    assert created.status == 201, created.text()
    booking = created.json()
    assert booking["status"] == "pending_payment" and booking["payment"]["status"] == "unpaid"

    from coresync.core.links import booking_manage_token

    page.goto(f"/manage/{booking_manage_token(reference=booking['reference'], email='ada.pay@example.test')}/")
    assert page.locator("[data-booking-status]").text_content().strip() == "Pending payment"
    _shot(page, "1-held")
    page.click("[data-pay-now]")
    page.wait_for_selector("[data-local-checkout]")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.fill("#card-expiry", "12/40")
    page.fill("#card-cvc", "123")
    _shot(page, "2-card-page")
    page.click("[data-pay]")
    page.wait_for_selector("[data-payment-status]")
    assert page.locator("[data-booking-status]").text_content().strip() == "Confirmed"
    assert page.locator("[data-payment-status]").text_content().strip() == "Paid"
    _shot(page, "3-confirmed")
    rows = live_spa.query(
        "SELECT e.kind FROM notifications_emaillog e JOIN bookings_booking b ON b.id = e.booking_id WHERE b.reference = ?",
        (booking["reference"],),
    )
    assert [kind for (kind,) in rows].count("booking_confirmation") == 1
    context.close()
