"""Content-Security-Policy (issue 16): no inline script anywhere, Stripe's hosts on the pay pages only."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

TEMPLATE_DIRS = [settings.BASE_DIR / "templates", *sorted((settings.BASE_DIR / "coresync").glob("*/templates"))]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
def test_public_pages_forbid_inline_script_and_stripe():
    policy = _policy(Client().get("/"))
    assert policy["script-src"] == "script-src 'self'"  # the nonce appears only when a template uses it
    assert "stripe" not in " ".join(policy.values())
    assert policy["frame-ancestors"] == "frame-ancestors 'none'" and policy["object-src"] == "object-src 'none'"


@pytest.mark.django_db
def test_the_pay_pages_and_only_they_allow_stripe():
    for path in ("/payments/bookings/CS-ABC123/pay/",):
        policy = _policy(Client().get(path))  # the redirect to sign in carries the page policy
        assert "https://js.stripe.com" in policy["script-src"] and "https://api.stripe.com" in policy["connect-src"]
        assert "https://hooks.stripe.com" in policy["frame-src"] and "'unsafe-inline'" not in policy["script-src"]
    for path in ("/accounts/login/", "/payments/membership/", "/api/v1/services/"):
        assert "stripe" not in Client().get(path)["Content-Security-Policy"]


def test_no_inline_script_or_event_handler_in_any_template():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
                if "src=" not in match["attrs"] and "nonce" not in match["attrs"] and "application/ld+json" not in match["attrs"]:
                    offenders.append(f"{path}: inline <script>")
            if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
                offenders.append(f"{path}: inline event handler")
    assert not offenders, offenders
