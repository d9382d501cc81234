"""Acceptance (issue 12) on the product as `make run` serves it with no keys (web + Celery worker + beat, the local
payment gateway), in online payment mode, on its own fresh database and var/ directory:

- a guest books through the chat, follows the "Held · pay to confirm" badge, pays on the local card page with
  4242 4242 4242 4242 and sees the booking confirmed; exactly one confirmation e-mail lands in var/mail/, the
  booking is confirmed in the database and the card was charged once;
- premium@coresync.test saves a card (consent recorded) and pays the next booking with one tap;
- base@coresync.test subscribes to Premium on the card page and sees the tier change (one welcome e-mail).

Screenshots of each step: artifacts/screenshots/pay-*.png.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes, policy

import pytest

from .conftest import DEVICES, E2E_KEYS, ROOT, SCREENSHOTS, ChatFrames, LiveSpa, _free_port, _run, sign_in
from .test_chat import _book_by_chat

DEVICE = "iphone-se"


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """``manage.py runall`` (what `make run` starts) on a fresh seeded database, BOOKING_PAYMENT_MODE=online."""
    var_dir = tmp_path_factory.mktemp("pay-var")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CORESYNC_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{var_dir / 'pay.sqlite3'}", "DEBUG": "0",
           "STATIC_MANIFEST": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost", "CSRF_TRUSTED_ORIGINS": url, "SITE_URL": url,
           "BOOKING_PAYMENT_MODE": "online", "AI_CHAT_IP_RATE_LIMIT": "10000/minute", "AI_CHAT_SESSION_RATE_LIMIT": "10000/minute",
           "CHAT_RATE_LIMIT": "10000/minute", "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore", "WEB_WORKERS": "1",
           "WORKER_CONCURRENCY": "1", **E2E_KEYS}
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER", "STRIPE_SECRET_KEY", "PAYMENT_PROVIDER",
                 "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    for args in (["collectstatic", "--noinput", "-v0"], ["migrate", "--noinput", "-v0"], ["seed_demo"]):
        _run(args, env)
    log = open(var_dir / "runall.log", "w")
    server = subprocess.Popen([sys.executable, "manage.py", "runall", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            os.killpg(server.pid, signal.SIGKILL)
            raise RuntimeError("runall did not start:\n" + (var_dir / "runall.log").read_text()[-4000:])
        time.sleep(0.3)
    yield LiveSpa(url, var_dir / "pay.sqlite3")
    server.send_signal(signal.SIGTERM)  # runall stops web, worker and beat
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()


@pytest.fixture
def phone(browser, product):
    context = browser.new_context(base_url=product.url, **DEVICES[DEVICE])
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"pay-{name}-{DEVICE}.png"), full_page=True)


def _mails(product: LiveSpa, needle: str, to: str = "") -> list[dict]:
    """The .eml files in var/mail/ whose subject or body mentions ``needle`` (sent to ``to``): subject and recipient."""
    found = []
    for path in sorted((product.db_path.parent / "mail").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        subject = str(message["subject"])
        if to and to not in str(message["to"]):
            continue
        if needle in subject or (text is not None and needle in text.get_content()):
            found.append({"subject": subject.strip(), "to": str(message["to"])})
    return found


def _wait_for_mails(product: LiveSpa, needle: str, count: int, *, to: str = "", settle: float = 3.0) -> list[dict]:
    """Wait (the worker sends them) until ``count`` mails are there, then a little longer: a second one would show.

    The spa is shared by the module's tests: ``to`` keeps another test's mail from ending the wait early.
    """
    deadline = time.monotonic() + 40
    while len(_mails(product, needle, to)) < count and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(settle)
    return _mails(product, needle, to)


def _charges(product: LiveSpa, reference: str) -> list[tuple]:
    """The local gateway's PaymentIntents for the booking (status, amount received in cents)."""
    return product.query(
        "SELECT status, json_extract(data, '$.amount_received') FROM payments_localgatewayobject "
        "WHERE kind = 'payment_intent' AND json_extract(data, '$.metadata.booking_reference') = ?", (reference,))


def _booking(product: LiveSpa, reference: str) -> tuple:
    return product.query("SELECT status, total FROM bookings_booking WHERE reference = ?", (reference,))[0]


def _payment(product: LiveSpa, reference: str) -> list[tuple]:
    return product.query(
        "SELECT p.status, p.amount_paid FROM payments_payment p JOIN bookings_booking b ON b.id = p.booking_id "
        "WHERE b.reference = ? AND p.purpose = 'booking'", (reference,))


def _pay_on_card_page(page, number: str = "4242 4242 4242 4242") -> None:
    page.wait_for_selector("[data-local-checkout]")
    page.fill("#card-number", number)
    page.fill("#card-expiry", "12/40")
    page.fill("#card-cvc", "123")


def _cents(amount) -> int:
    return round(float(amount) * 100)


def test_a_guest_books_in_the_chat_pays_on_the_card_page_and_gets_one_confirmation(phone, product):
    page = phone
    frames = ChatFrames(page)
    page.goto("/#concierge")
    page.wait_for_function("() => window.CoreSyncChat && window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1")
    reference = _book_by_chat(page, "Ada Payne, ada.payne@example.test, +1 212 555 0199")
    assert frames.received, "the chat answered over its WebSocket"
    badge = page.locator(f'[data-chat-booking="{reference}"]')
    assert badge.get_attribute("data-status") == "pending_payment"
    assert "pay to confirm" in badge.inner_text().lower()
    page.evaluate("() => document.querySelector('[data-chat-booking]').scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SCREENSHOTS / f"pay-guest-1-chat-held-{DEVICE}.png"))
    assert _booking(product, reference)[0] == "pending_payment"
    assert _mails(product, reference) == [], "no confirmation before the payment"

    badge.locator("a").click()
    page.wait_for_load_state("load")
    assert page.locator("[data-booking-status]").inner_text().strip().lower() == "pending payment"
    assert page.locator("[data-hold]").is_visible()
    _shot(page, "guest-2-held")
    page.click("[data-pay-now]")
    _pay_on_card_page(page)
    _shot(page, "guest-3-card-page")
    page.click("[data-pay]")
    page.wait_for_selector("[data-payment-status]")
    assert page.locator("[data-booking-status]").inner_text().strip().lower() == "confirmed"
    assert page.locator("[data-payment-status]").inner_text().strip().lower() == "paid"
    assert not page.locator("[data-pay-now]").count(), "nothing left to pay"
    _shot(page, "guest-4-confirmed")

    status, total = _booking(product, reference)
    assert status == "confirmed"
    assert _charges(product, reference) == [("succeeded", _cents(total))], "charged once, the booking's total"
    assert _payment(product, reference) == [("paid", total)]
    mails = _wait_for_mails(product, reference, 1)
    assert len(mails) == 1, mails
    assert mails[0]["subject"].startswith("Confirmed") and "ada.payne@example.test" in mails[0]["to"]


def test_premium_saves_a_card_then_pays_the_next_booking_with_one_tap(phone, product):
    page = phone
    sign_in(page, "premium@coresync.test")
    page.goto("/accounts/membership/")
    page.click("[data-membership-links] >> text=Cards on file")
    assert page.locator("[data-no-cards]").is_visible()
    page.click("[data-save-card] button")  # without the consent box ticked the browser refuses (required)
    assert page.url.endswith("/payments/cards/")
    page.check("#card-consent")
    _shot(page, "premium-1-consent")
    page.click("[data-save-card] button")
    _pay_on_card_page(page)
    page.click("[data-pay]")
    page.wait_for_selector("[data-saved-card]")
    assert "Visa •••• 4242" in page.locator("[data-saved-card]").inner_text()
    _shot(page, "premium-2-card-saved")
    (consent,) = product.query("SELECT consent_version, consent_at FROM payments_savedcard c JOIN accounts_user u "
                               "ON u.id = c.user_id WHERE u.email_bidx = ?", (product.digest("premium@coresync.test"),))
    assert consent[0] and consent[1], "the consent's text version and time are kept with the card"

    frames = ChatFrames(page)
    page.goto("/#concierge")
    page.wait_for_function("() => window.CoreSyncChat && window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1")
    reference = _book_by_chat(page, "Grace Member, premium@coresync.test, +1 212 555 0142")
    assert frames.received
    page.locator(f'[data-chat-booking="{reference}"] a').click()
    page.wait_for_load_state("load")
    one_tap = page.locator("[data-one-tap] button")
    assert re.search(r"Pay \$[\d,.]+ with Visa •••• 4242", one_tap.inner_text()), one_tap.inner_text()
    _shot(page, "premium-3-one-tap")
    one_tap.click()
    page.wait_for_selector("[data-payment-status]")
    assert page.locator("[data-booking-status]").inner_text().strip().lower() == "confirmed"
    assert "with your card on file" in page.locator(".flash").inner_text()
    _shot(page, "premium-4-paid")
    status, total = _booking(product, reference)
    assert status == "confirmed" and _payment(product, reference) == [("paid", total)]
    assert _charges(product, reference) == [("succeeded", _cents(total))], "one tap, one charge"
    mails = _wait_for_mails(product, reference, 1)
    assert len(mails) == 1 and mails[0]["subject"].startswith("Confirmed"), mails


def test_base_subscribes_to_premium_and_sees_the_tier_change(phone, product):
    page = phone
    sign_in(page, "base@coresync.test")
    page.goto("/accounts/membership/")
    assert page.locator(".member-card__tier").inner_text().strip().lower() == "base"
    page.click("[data-membership-links] >> text=Change or cancel my membership")
    _shot(page, "base-1-tiers")
    page.click("[data-tier=premium] button")
    _pay_on_card_page(page)
    page.click("[data-pay]")
    page.wait_for_selector(".member-card__tier")
    assert page.url.endswith("/accounts/membership/")
    assert page.locator(".member-card__tier").inner_text().strip().lower() == "premium"
    assert page.locator("[data-renews-on]").inner_text().strip() not in ("", "—")
    _shot(page, "base-2-premium")
    rows = product.query("SELECT t.slug, m.status FROM memberships_membership m JOIN memberships_membershiptier t ON t.id = m.tier_id "
                         "JOIN accounts_user u ON u.id = m.user_id WHERE u.email_bidx = ? ORDER BY m.id", (product.digest("base@coresync.test"),))
    assert rows == [("base", "cancelled"), ("premium", "active")], rows
    welcome = _wait_for_mails(product, "Premium membership", 1, to="base@coresync.test")
    assert len(welcome) == 1, welcome
