from __future__ import annotations

import pytest
from django.core import mail


class BrokenBackend:
    """A mail backend whose provider is down: every send raises, like an SMTP or HTTP outage."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("mail provider unreachable")

    def open(self):
        return True

    def close(self):
        return None


@pytest.fixture
def spa(demo_spa):
    return demo_spa


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def mail_down(settings):
    settings.EMAIL_BACKEND = "coresync.notifications.tests.conftest.BrokenBackend"
