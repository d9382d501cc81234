"""Sign-in cannot be brute-forced, and reset mails cannot be sprayed (issue 8, item 11)."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.test import Client

PASSWORD = "coresync-demo"
LOGIN = "/accounts/login/"


@pytest.fixture
def mid_window():
    """The reset limits count in fixed hourly windows: start well inside one."""
    with time_machine.travel("2026-12-01 15:20:10 +0000", tick=False):
        yield


def _signed_in(client: Client) -> bool:
    return client.get("/accounts/bookings/").status_code == 200


@pytest.mark.django_db
def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(demo_spa, settings):
    client = Client()
    codes = [client.post(LOGIN, {"username": "premium@coresync.test", "password": f"guess-{n}"}).status_code for n in range(40)]
    assert codes[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form, with its error
    assert set(codes[settings.AXES_FAILURE_LIMIT :]) == {429}
    right = client.post(LOGIN, {"username": "premium@coresync.test", "password": PASSWORD})
    assert right.status_code == 429 and "Too many attempts" in right.content.decode()
    assert not _signed_in(client)


@pytest.mark.django_db
def test_the_lockout_follows_the_account_not_the_forwarded_address_or_the_case(demo_spa, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "Premium@CoreSync.test ", "password": "nope"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
                    REMOTE_ADDR=f"198.51.100.{n}")  # fmt: skip
    other_place = Client(REMOTE_ADDR="203.0.113.99")
    assert other_place.post(LOGIN, {"username": "premium@coresync.test", "password": PASSWORD}).status_code == 429
    assert not _signed_in(other_place)


@pytest.mark.django_db
def test_the_admin_login_is_locked_out_too(demo_spa, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "manager@coresync.test", "password": "nope", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": "manager@coresync.test", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302  # still sent to the login page


@pytest.mark.django_db
def test_a_few_wrong_passwords_then_the_right_one_still_signs_in(demo_spa, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(LOGIN, {"username": "base@coresync.test", "password": "nope"})
    assert client.post(LOGIN, {"username": "base@coresync.test", "password": PASSWORD}).status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_twenty_reset_requests_for_one_address_send_at_most_the_limit(demo_spa, settings, mid_window):
    settings.PASSWORD_RESET_IP_RATE_LIMIT = "100/hour"
    answers = [Client(REMOTE_ADDR=f"198.51.100.{n}").post("/accounts/password-reset/", {"email": "guest@coresync.test"})
               for n in range(20)]  # fmt: skip
    assert {answer.status_code for answer in answers} == {302}  # every asker sees "sent"
    assert len(mail.outbox) == 3  # PASSWORD_RESET_EMAIL_RATE_LIMIT's default
    assert {message.to[0] for message in mail.outbox} == {"guest@coresync.test"}


@pytest.mark.django_db
def test_reset_requests_from_one_client_are_limited(demo_spa, settings, mid_window):
    settings.PASSWORD_RESET_IP_RATE_LIMIT = "5/hour"
    client = Client()
    codes = [client.post("/accounts/password-reset/", {"email": f"nobody{n}@example.com"}).status_code for n in range(8)]
    assert codes == [302] * 5 + [429] * 3
    assert "Too many reset requests" in client.post("/accounts/password-reset/", {"email": "x@example.com"}).content.decode()
