from __future__ import annotations

import http.client
import io
import json
import urllib.request
import urllib.response

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


class FakeSendGrid(urllib.request.HTTPSHandler):
    """Answers HTTPS requests in place of api.sendgrid.com and keeps what was sent."""

    def __init__(self):
        super().__init__()
        self.requests: list[urllib.request.Request] = []
        self.answers: list[tuple[int, dict, bytes]] = []

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers.append((status, headers, body))

    def https_open(self, request):
        self.requests.append(request)
        status, headers, body = self.answers.pop(0) if self.answers else (202, {"X-Message-Id": "default-id"}, b"")
        message = http.client.HTTPMessage()
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        response = urllib.response.addinfourl(io.BytesIO(body), message, request.full_url, code=status)
        response.msg = http.client.responses.get(status, "")
        return response

    def json_bodies(self) -> list[dict]:
        return [json.loads(request.data) for request in self.requests]


@pytest.fixture
def sendgrid(monkeypatch, settings):
    settings.EMAIL_BACKEND = "coresync.integrations.sendgrid.backend.SendGridBackend"
    settings.SENDGRID_API_KEY = "SG.test-key"
    fake = FakeSendGrid()
    real_build_opener = urllib.request.build_opener
    monkeypatch.setattr(urllib.request, "build_opener", lambda *handlers: real_build_opener(fake, *handlers))
    return fake
