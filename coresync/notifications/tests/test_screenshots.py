"""Render each e-mail's HTML in Debian's headless Chromium and keep a PNG as a test artifact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from coresync.notifications.models import EmailKind
from coresync.notifications.views import sample_email

CHROMIUM = "/usr/bin/chromium"
OUT = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "emails"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's Chromium at {CHROMIUM} (never downloaded)"),
]


def test_every_email_renders_in_chromium():
    from playwright.sync_api import sync_playwright

    emails = {kind: sample_email(kind) for kind in EmailKind.values}  # rendered before the browser runs
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 720, "height": 900})
            for kind, email in emails.items():
                page.set_content(email.html, wait_until="load")
                assert page.title() == email.subject
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(13, 12, 10)"  # the dark brand background
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 720  # no horizontal scrolling at mobile-ish widths either
                target = OUT / f"{kind}.png"
                page.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 10_000
        finally:
            browser.close()
