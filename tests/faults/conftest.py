"""Fault tests: providers down while guests book through the API, then the worker catching up after recovery.

The vendors are faked at their network edges, with the fakes the provider tests
already use (Google's ``httplib2.Http``, QuickBooks' and Stripe's ``requests``
through ``responses``, SendGrid's urllib opener) and a real SMTP server on a port.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Max
from django.utils import timezone
from rest_framework.test import APIClient

# The other apps' vendor fakes, reused as they are (importing a fixture makes it available here).
from coresync.accounting.tests.conftest import quickbooks  # noqa: F401
from coresync.calendars.tests.conftest import fake_google, google, google_settings  # noqa: F401
from coresync.integrations.accounting import accounting_provider_reset
from coresync.integrations.payments import payment_provider_reset
from coresync.notifications.tests.conftest import FakeSendGrid, sendgrid  # noqa: F401
from coresync.payments.tests.conftest import stripe_on  # noqa: F401
from coresync.sheets.tests.conftest import fake_sheets  # noqa: F401

SERVICE = "swedish-massage"


def pytest_collection_modifyitems(config, items):
    here = str(config.rootpath / "tests" / "faults")
    for item in items:
        if str(item.path).startswith(here):
            # The test client renders pages whose static files are not collected here; not what these tests are about.
            item.add_marker(pytest.mark.filterwarnings("ignore:No directory at:UserWarning"))


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.PAYMENT_PROVIDER = "local"
    settings.ACCOUNTING_PROVIDER = "local"
    settings.BOOKING_PAYMENT_MODE = "on_site"
    settings.AVAILABILITY_CACHE_SECONDS = 0
    settings.BOOKING_RATE_LIMIT = "100000/hour"
    payment_provider_reset()
    accounting_provider_reset()
    yield
    payment_provider_reset()
    accounting_provider_reset()


class Guests:
    """Guests booking through the real API; each request's after-commit work is held back for ``worker_runs``.

    Holding it back is what a real deployment does (the request commits and answers;
    a Celery worker delivers later): it lets a test see that the request itself never
    waited on the vendor, then run the delivery as the worker would.
    """

    def __init__(self, capture) -> None:
        self.capture = capture
        self.api = APIClient()
        self.pending: list = []
        self.count = 0

    def book(self, *, days: int = 2) -> dict:
        self.count += 1
        first = timezone.localdate() + timedelta(days=days)
        slots = self.api.get("/api/v1/availability/", {"service": SERVICE, "date_from": first, "date_to": first + timedelta(days=6)})
        assert slots.status_code == 200, slots.content
        start = slots.json()["slots"][0]["start"]  # the earliest free time: each guest takes the next one
        guest = {"name": f"Guest {self.count}", "email": f"guest{self.count}@faults.test", "phone": "+1 212 555 0100"}
        with self.capture(execute=False) as callbacks:
            created = self.api.post("/api/v1/bookings/", {"service": SERVICE, "start": start, "guest": guest}, format="json")
        assert created.status_code == 201, created.content
        self.pending.extend(callbacks)
        return {**created.json(), "email": guest["email"]}

    def worker_runs(self) -> None:
        """The worker picks up what the requests queued after their commits."""
        callbacks, self.pending = self.pending, []
        with self.capture(execute=True):
            for callback in callbacks:
                callback()


@pytest.fixture
def guests(demo_spa, django_capture_on_commit_callbacks):
    return Guests(django_capture_on_commit_callbacks)


@pytest.fixture
def retry_round(django_capture_on_commit_callbacks, time_machine):
    """``retry_round()``: the clock moves to when the last waiting retry is due, and beat's jobs run as a worker would.

    The jobs are the outbox sweep (every message that is due and not held by a live
    claim) and the e-mail log's retry job; no timestamp is edited by hand.
    """
    from coresync.notifications.models import EmailLog, EmailStatus
    from coresync.notifications.tasks import retry_failed_emails
    from coresync.outbox.models import OutboxMessage, OutboxStatus
    from coresync.outbox.tasks import sweep_outbox

    time_machine.move_to(timezone.now(), tick=True)

    def run(*, at_least: timedelta = timedelta(seconds=1)) -> None:
        due = [timezone.now() + at_least]
        due.append(OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(at=Max("next_attempt_at"))["at"])
        due.append(EmailLog.objects.filter(status=EmailStatus.FAILED).aggregate(at=Max("next_attempt_at"))["at"])
        time_machine.move_to(max(d for d in due if d is not None) + timedelta(seconds=1), tick=True)
        with django_capture_on_commit_callbacks(execute=True):
            sweep_outbox()
            retry_failed_emails()

    return run


__all__ = ["FakeSendGrid"]
