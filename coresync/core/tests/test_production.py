"""Production posture (issue 16): `check --deploy` clean under PRODUCTION=1, unsafe settings refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

from coresync.settings import BASE_DIR

STRONG_KEY = "kq3VZ8r_0c2T-mWbX9yLp4sN7uHfE1dG6jA5oRtYiQeCvBnMzKx"


def _check(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SECURE_", "DEBUG", "PRODUCTION", "STRIPE_", "SENDGRID", "ATLAS_", "REDIS_URL", "CELERY_"))}  # fmt: skip
    base = {"CORESYNC_VAR_DIR": str(tmp_path), "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "spa.example.com", "DEBUG": "0",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "FIELD_INDEX_KEY": "i" * 8 + STRONG_KEY}
    return subprocess.run([sys.executable, "manage.py", "check", *args], env={**clean, **base, **env},
                          cwd=BASE_DIR, capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _check(tmp_path, "--deploy", "--fail-level", "WARNING", PRODUCTION="1",
                    REDIS_URL="redis://127.0.0.1:6399/0")  # fmt: skip  (every check: security, the schema's, ours)
    assert result.returncode == 0, result.stderr
    without = _check(tmp_path, "--deploy", "--tag", "security", "--fail-level", "WARNING")
    assert without.returncode != 0 and "security.W004" in without.stderr  # the flag is what makes it clean


@pytest.mark.slow
def test_production_refuses_debug_and_a_stripe_without_its_webhook_secret(tmp_path):
    result = _check(tmp_path, PRODUCTION="1", DEBUG="1", STRIPE_SECRET_KEY="sk_test_x")
    assert result.returncode != 0
    assert "coresync.E010" in result.stderr and "coresync.E014" in result.stderr


def _ids():
    return {message.id for message in run_checks()}


def test_production_checks(settings):
    settings.PRODUCTION = True
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG_KEY
    settings.PAYMENT_PROVIDER, settings.STRIPE_WEBHOOK_SECRET = "local", ""
    settings.ATLAS_API_URL = settings.SENDGRID_API_KEY = ""
    settings.PRICING_SOURCE = "file"
    settings.WEB_WORKERS = settings.WORKER_CONCURRENCY = 1
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_INDEX_KEY = [Fernet.generate_key().decode()], "i" * 8 + STRONG_KEY
    assert not {i for i in _ids() if i.startswith("coresync.E01")}
    settings.FIELD_ENCRYPTION_KEYS = []
    assert "coresync.E018" in _ids()  # personal data under a key derived from SECRET_KEY
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    assert "coresync.E018" in _ids()
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_INDEX_KEY = [Fernet.generate_key().decode()], ""
    assert "coresync.E019" in _ids()
    settings.FIELD_INDEX_KEY = "i" * 8 + STRONG_KEY
    settings.SECRET_KEY = "short"
    assert "coresync.E011" in _ids()
    settings.SECRET_KEY = STRONG_KEY
    settings.WEB_WORKERS = 2
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_BROKER_URL = "filesystem://localhost//"
    assert {"coresync.E012", "coresync.E013"} <= _ids()
    settings.WEB_WORKERS = 1
    settings.WORKER_CONCURRENCY = 1
    settings.ATLAS_API_URL, settings.ATLAS_WEBHOOK_SECRET = "https://atlas.example", ""
    settings.SENDGRID_API_KEY, settings.SENDGRID_WEBHOOK_PUBLIC_KEY = "SG.x", ""
    settings.PRICING_SOURCE, settings.GOOGLE_WEBHOOK_TOKEN = "sheets", ""
    assert {"coresync.E015", "coresync.E016", "coresync.E017"} <= _ids()
    settings.PRODUCTION = False
    assert not {i for i in _ids() if i.startswith("coresync.E01")}


def test_pay_page_has_no_inline_script():
    template = (BASE_DIR / "coresync/payments/templates/payments/pay.html").read_text()
    assert "<script>" not in template and "js/stripe-element.js" in template
