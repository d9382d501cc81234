"""Rate limits on every endpoint family of the second wave (issue 16, item 1): the N+1th request in the window is a 429.

One row per family: the endpoint, who calls it, and the setting that holds its
rate. With the rate set to 2 an hour, the first two requests get whatever the
endpoint answers (a validation error counts as a request too), the third a 429
in the contract's error shape with ``Retry-After``, and a second client (another
account, or another address for anonymous callers and webhooks) is not affected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db

RATE = "2/hour"


@dataclass(frozen=True)
class Family:
    name: str
    setting: str
    method: str
    path: str
    who: str  # "anonymous" (counted by address) or a demo account's local part (counted by account)
    data: dict | None = None


FAMILIES = [
    Family("payments-api", "PAYMENT_RATE_LIMIT", "post", "/api/v1/memberships/cancel/", "premium"),
    Family("payments-api-card-setup", "PAYMENT_RATE_LIMIT", "post", "/api/v1/me/payment-methods/setup/", "base", {}),
    Family("pay-page", "PAYMENT_RATE_LIMIT", "post", "/payments/local/checkout/no-such-object/", "anonymous", {}),
    Family("cards-page", "PAYMENT_RATE_LIMIT", "post", "/payments/cards/", "base", {}),
    Family("staff-api", "STAFF_RATE_LIMIT", "post", "/api/v1/technicians/me/time-off/", "tech", {}),
    Family("portal", "STAFF_RATE_LIMIT", "post", "/portal/time-off/", "tech", {}),
    Family("manager-api", "MANAGER_RATE_LIMIT", "get", "/api/v1/manager/worklogs/", "manager"),
    Family("manager-dashboard-api", "MANAGER_RATE_LIMIT", "get", "/api/v1/manager/dashboard/", "manager"),
    Family("manager-pages", "MANAGER_RATE_LIMIT", "post", "/manager/hours/999999/approve/", "manager", {}),
    Family("waitlist-api", "WAITLIST_RATE_LIMIT", "post", "/api/v1/waitlist/", "anonymous", {}),
    Family("waitlist-offer", "WAITLIST_RATE_LIMIT", "post", "/waitlist/offers/not-a-token/", "anonymous", {}),
    Family("privacy-export", "PRIVACY_EXPORT_RATE_LIMIT", "post", "/admin/privacy/privacyrequest/export/", "manager",
           {"email": "nobody@example.test"}),
    Family("webhook-atlas", "WEBHOOK_RATE_LIMIT", "post", "/api/ai/atlas-webhook/", "anonymous"),
    Family("webhook-stripe", "WEBHOOK_RATE_LIMIT", "post", "/api/payments/stripe/webhook/", "anonymous"),
    Family("webhook-sendgrid", "WEBHOOK_RATE_LIMIT", "post", "/api/notifications/sendgrid/events/", "anonymous"),
    Family("webhook-google-calendar", "WEBHOOK_RATE_LIMIT", "post", "/api/integrations/google/calendar/notify/", "anonymous"),
    Family("webhook-google-sheets", "WEBHOOK_RATE_LIMIT", "post", "/api/integrations/google/sheets/notify/", "anonymous"),
]
SCOPES = {"PAYMENT_RATE_LIMIT": "payments", "STAFF_RATE_LIMIT": "staff", "MANAGER_RATE_LIMIT": "manager", "WAITLIST_RATE_LIMIT": "waitlist"}
OTHER_ACCOUNT = {"premium": "base", "base": "premium", "tech": None, "manager": None}


@pytest.fixture
def limited(settings):
    """Every second-wave rate at 2 an hour, the clock well inside one window (fixed windows must not roll over mid-test)."""
    for name in ("PAYMENT_RATE_LIMIT", "STAFF_RATE_LIMIT", "MANAGER_RATE_LIMIT", "WAITLIST_RATE_LIMIT", "WEBHOOK_RATE_LIMIT",
                 "PRIVACY_EXPORT_RATE_LIMIT"):  # fmt: skip
        setattr(settings, name, RATE)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **dict.fromkeys(SCOPES.values(), RATE)}}  # fmt: skip
    now = datetime.now(UTC).replace(minute=0, second=5, microsecond=0)
    with time_machine.travel(now, tick=True):
        yield


def _client(demo_spa, who: str, address: str = "198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=address)
    if who != "anonymous":
        client.force_login(demo_spa.users[who])
    return client


def _call(client: Client, family: Family):
    if family.method == "get":
        return client.get(family.path)
    if family.path.startswith("/api/") and family.data is not None:
        return client.post(family.path, family.data, content_type="application/json")
    return client.post(family.path, family.data or {})


def test_every_family_reads_its_rate_from_a_setting_with_a_safe_default():
    for family in FAMILIES:
        count, _, period = getattr(django_settings, family.setting).partition("/")
        assert int(count) >= 2 and period in {"minute", "hour"}, family.setting
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert all(rates[scope] == getattr(django_settings, name) for name, scope in SCOPES.items())


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_the_request_past_the_limit_is_a_429_and_other_clients_are_not_affected(family, demo_spa, limited):
    client = _client(demo_spa, family.who)
    first = [_call(client, family).status_code for _ in range(2)]
    assert 429 not in first and all(code < 500 for code in first), first
    over = _call(client, family)
    assert over.status_code == 429, (family.name, over.status_code, over.content[:200])
    assert over.json()["error"]["code"] == "rate_limited"
    assert 0 < int(over["Retry-After"]) <= 3600

    if family.who == "anonymous":
        other = _client(demo_spa, "anonymous", address="203.0.113.9")
    elif OTHER_ACCOUNT[family.who]:
        other = _client(demo_spa, OTHER_ACCOUNT[family.who])
    else:  # the only technician / manager of the demo spa: the same account from another address is still limited
        assert _call(_client(demo_spa, family.who, address="203.0.113.9"), family).status_code == 429
        return
    assert _call(other, family).status_code != 429


def test_a_webhook_flood_from_one_address_does_not_block_the_same_webhook_for_another(demo_spa, limited):
    path = "/api/ai/atlas-webhook/"
    flooder, provider = Client(REMOTE_ADDR="198.51.100.66"), Client(REMOTE_ADDR="203.0.113.20")
    codes = [flooder.post(path, b"{}", content_type="application/json").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert provider.post(path, b"{}", content_type="application/json").status_code == 401  # its own budget: judged on the signature


def test_reads_of_a_technicians_own_data_are_not_counted_as_writes(demo_spa, limited):
    client = _client(demo_spa, "tech")
    assert [client.get("/api/v1/technicians/me/worklogs/").status_code for _ in range(4)] == [200] * 4
    assert [_call(client, FAMILIES[4]).status_code for _ in range(3)][-1] == 429
