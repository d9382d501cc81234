"""Safe production defaults, and what operators can set from the environment (issue 8, item 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from coresync.settings import BASE_DIR, DEVELOPMENT_SECRET_KEY


def _settings_with(tmp_path, **env) -> dict:
    """Import coresync.settings in a fresh interpreter with ``env`` (settings read the environment once)."""
    names = ["SECURE_HSTS_SECONDS", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
             "EMAIL_BACKEND", "CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_TASK_ACKS_LATE", "CELERY_WORKER_PREFETCH_MULTIPLIER",
             "CELERY_TASK_REJECT_ON_WORKER_LOST", "CELERY_TASK_TIME_LIMIT", "CELERY_LONGEST_COUNTDOWN_SECONDS", "SESSION_ENGINE"]  # fmt: skip
    code = f"import json, coresync.settings as s; print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "SECURE_", "SENDGRID", "CELERY_", "REDIS_URL"))}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, "CORESYNC_VAR_DIR": str(tmp_path), **env},
                            cwd=BASE_DIR, capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    return json.loads(result.stdout)


def test_the_development_secret_key_fails_check_deploy(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    with pytest.raises(SystemCheckError, match=r"coresync\.E001"):
        call_command("check", "--deploy")
    settings.SECRET_KEY = "a-real-production-key-" + "x7Qp9" * 10
    assert "coresync.E001" not in {message.id for message in run_checks(include_deployment_checks=True)}


def test_hsts_is_settable(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_smtp_comes_from_the_environment(tmp_path):
    values = _settings_with(tmp_path, EMAIL_HOST="smtp.example.com", EMAIL_PORT="2525", EMAIL_HOST_USER="spa",
                            EMAIL_HOST_PASSWORD="s3cret", EMAIL_USE_TLS="0", SECURE_HSTS_SECONDS="63072000")  # fmt: skip
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_HOST_USER"], values["EMAIL_HOST_PASSWORD"]) == (
        "smtp.example.com", 2525, "spa", "s3cret")  # fmt: skip
    assert values["EMAIL_USE_TLS"] is False and values["SECURE_HSTS_SECONDS"] == 63072000


def test_a_killed_workers_task_comes_back_within_the_hour_not_six(tmp_path):
    values = _settings_with(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    timeout = values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert max(values["CELERY_TASK_TIME_LIMIT"], values["CELERY_LONGEST_COUNTDOWN_SECONDS"]) < timeout <= 3600
    assert values["CELERY_TASK_ACKS_LATE"] and values["CELERY_TASK_REJECT_ON_WORKER_LOST"]
    assert values["CELERY_WORKER_PREFETCH_MULTIPLIER"] == 1
    assert values["SESSION_ENGINE"] in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def test_a_visibility_timeout_shorter_than_a_task_fails_check_deploy(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert "coresync.E002" in {message.id for message in run_checks(include_deployment_checks=True)}
