from __future__ import annotations

import pytest
from django.core import mail


def pytest_collection_modifyitems(config, items):
    # WhiteNoise warns when collectstatic has not run (STATIC_ROOT missing); with warnings
    # as errors that would fail every test using the test client. Not our concern here.
    here = str(config.rootpath / "coresync" / "notifications")
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.filterwarnings("ignore:No directory at:UserWarning"))


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
