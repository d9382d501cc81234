"""One way to choose a provider: a setting names it, a dotted path works too, a typo fails at startup."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from coresync.integrations.calendar import CALENDARS, LocalCalendarProvider, calendar_provider
from coresync.integrations.common.registry import ProviderRegistry, registries
from coresync.integrations.payments import PAYMENTS, payment_provider


class NamedCalendar(LocalCalendarProvider):
    identifier = "named"


def test_every_seam_registers_one_registry_chosen_by_its_provider_setting():
    by_setting = {registry.setting: registry for registry in registries()}
    assert by_setting["CALENDAR_PROVIDER"] is CALENDARS
    assert by_setting["PAYMENT_PROVIDER"] is PAYMENTS
    assert {"local", "google"} <= set(CALENDARS.names())
    assert {"local", "stripe"} <= set(PAYMENTS.names())


def test_the_setting_chooses_and_a_change_of_it_drops_the_built_instance(settings):
    settings.CALENDAR_PROVIDER = "local"
    first = calendar_provider()
    assert isinstance(first, LocalCalendarProvider) and calendar_provider() is first  # built once
    settings.CALENDAR_PROVIDER = f"{__name__}.NamedCalendar"
    assert calendar_provider().identifier == "named"
    settings.CALENDAR_PROVIDER = "local"
    assert calendar_provider() is not first  # rebuilt after the change: no stale provider outlives its settings


def test_a_row_made_under_another_provider_is_served_by_that_one(settings):
    settings.PAYMENT_PROVIDER = "local"
    assert payment_provider().identifier == "local"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert payment_provider("stripe").identifier == "stripe"
    assert payment_provider().identifier == "local"


def test_an_unknown_provider_is_refused_with_the_names_it_could_be():
    registry = ProviderRegistry("widget", setting="WIDGET_PROVIDER_FOR_TEST", providers={"local": f"{__name__}.NamedCalendar"})
    try:
        with pytest.raises(ImproperlyConfigured, match="choose one of local"):
            registry.get("lcoal")
    finally:
        registries_list = registries()
        assert registry in registries_list
        from coresync.integrations.common import registry as module

        module._REGISTRIES.remove(registry)


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [("CALENDAR_PROVIDER", "gogle", "coresync.E101"), ("PAYMENT_PROVIDER", "strip", "coresync.E101"), ("EMAIL_PROVIDER", "sendgird", "coresync.E103")],
)
def test_a_typo_in_a_provider_setting_fails_the_startup_checks(settings, setting, value, check_id):
    assert not [m for m in run_checks() if m.id.startswith("coresync.E10")]
    setattr(settings, setting, value)
    assert check_id in {m.id for m in run_checks()}


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "coresync.core.mail.FileAndConsoleBackend"),
        ({"EMAIL_HOST": "smtp.example.test"}, "django.core.mail.backends.smtp.EmailBackend"),
        ({"EMAIL_HOST": "smtp.example.test", "SENDGRID_API_KEY": "SG.x"}, "coresync.integrations.sendgrid.backend.SendGridBackend"),
        ({"SENDGRID_API_KEY": "SG.x", "EMAIL_PROVIDER": "local"}, "coresync.core.mail.FileAndConsoleBackend"),
    ],
)
def test_email_is_chosen_by_the_same_rule_the_vendor_when_its_key_is_set(env, backend):
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "SENDGRID_"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, "DJANGO_SETTINGS_MODULE": "coresync.settings", **env},
                         capture_output=True, text=True, check=True, cwd=settings.BASE_DIR)  # fmt: skip
    assert out.stdout.strip() == backend
