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


def _is_email_template(path) -> bool:
    return "emails" in path.parts  # e-mail clients need inline styles; they are never served under the site's policy


def test_no_style_attribute_or_unnonced_style_in_any_page_template():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if _is_email_template(path):
                continue
            text = path.read_text()
            if re.search(r"\sstyle\s*=\s*[\"']", text):
                offenders.append(f"{path}: style attribute")
            offenders += [f"{path}: <style> without nonce" for m in re.finditer(r"<style(?P<attrs>[^>]*)>", text) if "nonce" not in m["attrs"]]
    assert not offenders, offenders


@pytest.mark.django_db
def test_styles_are_never_unsafe_inline_except_in_the_email_preview_and_the_api_docs(django_user_model):
    for path in ("/", "/accounts/login/", "/payments/bookings/CS-ABC123/pay/"):
        assert "unsafe-inline" not in Client().get(path)["Content-Security-Policy"], path
    manager = django_user_model.objects.create_user(email="preview-manager@example.com", password="x" * 12, is_staff=True)
    client = Client()
    client.force_login(manager)
    preview = client.get("/manager/emails/preview/booking_confirmation/")
    assert preview.status_code == 200 and 'style="' in preview.content.decode()
    assert _policy(preview)["style-src"] == "style-src 'self' 'unsafe-inline'"
    assert "unsafe-inline" not in _policy(preview)["script-src"]
    docs = _policy(Client().get("/api/docs/"))  # Swagger UI inserts <style> elements of its own
    assert docs["style-src"] == "style-src 'self' 'unsafe-inline'" and "unsafe-inline" not in docs["script-src"]
    index = client.get("/manager/emails/preview/")  # a nonced <style>: the page is styled under the strict policy
    nonce = re.search(r'<style nonce="([^"]+)"', index.content.decode())[1]
    assert f"'nonce-{nonce}'" in _policy(index)["style-src"]
