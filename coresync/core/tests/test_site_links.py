"""Links in e-mails follow where `make run` serves, and the fallback manage link is a real page (issue 8, item 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from coresync.demo.management.commands.runall import child_environment
from coresync.settings import BASE_DIR


def _settings_with(tmp_path, **env) -> dict:
    names = ["SITE_URL", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS"]
    code = f"import json, coresync.settings as s; print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "SITE_URL", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS")}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, "CORESYNC_VAR_DIR": str(tmp_path), **env},
                            cwd=BASE_DIR, capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    return json.loads(result.stdout)


def test_site_url_and_csrf_origins_follow_host_and_port(tmp_path):
    values = _settings_with(tmp_path, HOST="spa.local", PORT="9000")
    assert values["SITE_URL"] == "http://spa.local:9000"
    assert {"http://spa.local:9000", "http://127.0.0.1:9000", "http://localhost:9000"} <= set(values["CSRF_TRUSTED_ORIGINS"])
    assert "spa.local" in values["ALLOWED_HOSTS"]


def test_a_bind_all_host_links_to_the_loopback_address(tmp_path):
    values = _settings_with(tmp_path, HOST="0.0.0.0", PORT="8123")
    assert values["SITE_URL"] == "http://127.0.0.1:8123"
    assert "http://localhost:8123" in values["CSRF_TRUSTED_ORIGINS"]


def test_explicit_values_win(tmp_path):
    values = _settings_with(tmp_path, HOST="0.0.0.0", PORT="9000", SITE_URL="https://spa.example.com/",
                            CSRF_TRUSTED_ORIGINS="https://spa.example.com")  # fmt: skip
    assert values["SITE_URL"] == "https://spa.example.com"
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://spa.example.com"]


def test_runall_hands_its_host_and_port_to_the_processes_it_starts():
    env = child_environment("0.0.0.0", 9100)
    assert (env["HOST"], env["PORT"]) == ("0.0.0.0", "9100")


@pytest.mark.django_db
def test_the_fallback_manage_link_opens_the_booking(demo_spa):
    api = APIClient()
    api.force_login(demo_spa.premium)
    day = timezone.localdate() + timedelta(days=2)
    slots = api.get("/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day}).json()["slots"]
    reference = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": slots[-1]["start"]}, format="json").json()["reference"]
    link = settings.NOTIFICATIONS_MANAGE_BOOKING_URL.format(site=settings.SITE_URL, reference=reference)
    assert link.startswith(settings.SITE_URL + "/")
    page = api.get(link[len(settings.SITE_URL):] + "?email=premium%40coresync.test&action=cancel")
    assert page.status_code == 200 and reference in page.content.decode()
