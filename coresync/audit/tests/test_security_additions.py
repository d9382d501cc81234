"""The security log beyond sign-ins: roles and permissions, passwords, API tokens, feed tokens, QuickBooks, privacy
requests; each one event of the right kind with who and the request id."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from coresync.audit.context import audit_context
from coresync.audit.models import SecurityEvent, SecurityKind
from coresync.core.observability import request_id_var

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _only_this_tests_events():
    """The session's seed set passwords and roles too: each test looks only at the events after its start."""
    global START
    START = SecurityEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


START = 0


def events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind, id__gt=START).order_by("id"))


def test_making_someone_staff_in_the_admin_is_a_role_change(demo_spa):
    from coresync.audit.tests.test_change_history import admin_form

    manager = signed_in(demo_spa.manager)
    url = f"/admin/accounts/user/{demo_spa.guest.pk}/change/"
    data = admin_form(manager, url)
    response = manager.post(url, {**data, "is_staff": "on", "role": "manager"}, HTTP_X_REQUEST_ID="req-role-1")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    [event] = events(SecurityKind.ROLE_CHANGE)
    assert event.actor == demo_spa.manager and event.request_id == "req-role-1"
    assert event.detail == {"user": demo_spa.guest.pk, "changes": {"is_staff": [False, True], "role": ["customer", "manager"]}}


def test_saving_a_user_without_changing_the_role_logs_nothing(demo_spa):
    guest = demo_spa.guest
    guest.name = "Nina A."
    guest.save()
    assert not events(SecurityKind.ROLE_CHANGE) and not events(SecurityKind.PASSWORD_CHANGE)


def test_group_changes_are_role_changes(demo_spa):
    group = Group.objects.create(name="Front desk")
    token = request_id_var.set("req-group-1")
    try:
        with audit_context(actor=demo_spa.manager):
            demo_spa.guest.groups.add(group)
            group.user_set.remove(demo_spa.guest)
    finally:
        request_id_var.reset(token)
    added, removed = events(SecurityKind.ROLE_CHANGE)
    assert added.detail == {"users": [demo_spa.guest.pk], "groups": {"add": [group.pk]}} and added.actor == demo_spa.manager
    assert (
        removed.detail == {"users": [demo_spa.guest.pk], "groups": {"remove": [group.pk]}} and removed.request_id == "req-group-1"
    )


def test_a_password_set_in_the_admin_is_logged_without_the_password(demo_spa):
    manager = signed_in(demo_spa.manager)
    new = "Correct-Horse-Battery-9"
    response = manager.post(f"/admin/accounts/user/{demo_spa.guest.pk}/password/",
                            {"password1": new, "password2": new, "usable_password": "true"}, HTTP_X_REQUEST_ID="req-pw-1")  # fmt: skip
    assert response.status_code == 302
    [event] = events(SecurityKind.PASSWORD_CHANGE)
    assert event.actor == demo_spa.manager and event.detail == {"user": demo_spa.guest.pk} and event.request_id == "req-pw-1"
    assert new not in str(event.detail)


def test_a_password_reset_by_e_mail_is_logged_once_and_signing_in_is_not_a_password_change(demo_spa, settings):
    from coresync.demo.seed import DEMO_PASSWORD

    Client().post("/accounts/login/", {"username": demo_spa.base.email, "password": DEMO_PASSWORD})
    assert not events(SecurityKind.PASSWORD_CHANGE)
    browser = Client()
    browser.post("/accounts/password-reset/", {"email": demo_spa.base.email})
    link = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[-1].body).group(0)
    form = browser.get(link, follow=True)
    new = "Another-Strong-Pass-42"
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, HTTP_X_REQUEST_ID="req-reset-1")
    assert done.status_code == 302
    [event] = events(SecurityKind.PASSWORD_CHANGE)
    assert event.detail == {"user": demo_spa.base.pk} and event.request_id == "req-reset-1"


def test_an_api_token_made_in_the_admin_is_logged(demo_spa):
    response = signed_in(demo_spa.manager).post(
        "/admin/authtoken/tokenproxy/add/", {"user": demo_spa.base.pk}, HTTP_X_REQUEST_ID="req-tok-1"
    )
    assert response.status_code == 302
    [event] = events(SecurityKind.API_TOKEN)
    assert event.actor == demo_spa.manager and event.detail == {"user": demo_spa.base.pk} and event.request_id == "req-tok-1"


def test_rotating_a_calendar_feed_token_is_logged(demo_spa):
    api = APIClient()
    api.force_authenticate(demo_spa.manager)
    answer = api.post("/api/v1/manager/calendar-feeds/rotate/", {"name": "master"}, format="json", HTTP_X_REQUEST_ID="req-feed-1")
    assert answer.status_code == 200, answer.content
    [event] = events(SecurityKind.TOKEN_ROTATED)
    assert event.actor == demo_spa.manager and event.detail == {"feed": "master"} and event.request_id == "req-feed-1"


def test_quickbooks_connected_and_disconnected_are_logged(demo_spa, settings):
    from coresync.accounting.connection import _disconnect, connection_connect
    from coresync.integrations.quickbooks.oauth import TokenSet

    with audit_context(actor_label="command:quickbooks_connect"):
        row = connection_connect(tokens=TokenSet(access_token="a", refresh_token="r", expires_in=3600, realm_id="9130"))
    with transaction.atomic():
        _disconnect(row, "invalid_grant")
    connected, disconnected = events(SecurityKind.INTEGRATION)
    assert connected.detail == {"system": "quickbooks", "state": "connected", "realm_id": "9130"}
    assert connected.actor is None and connected.actor_label == "command:quickbooks_connect"
    assert disconnected.detail["state"] == "disconnected"


def test_an_erasure_from_the_admin_is_logged_with_the_manager_and_the_request_id(demo_spa):
    response = signed_in(demo_spa.manager).post("/admin/privacy/privacyrequest/erase/",
                                                {"email": demo_spa.guest.email, "reason": "asked", "confirm": "ERASE"},
                                                HTTP_X_REQUEST_ID="req-erase-1")  # fmt: skip
    assert response.status_code == 302
    [event] = events(SecurityKind.PRIVACY_ERASE)
    assert event.actor == demo_spa.manager and event.request_id == "req-erase-1"
    assert demo_spa.guest.email not in str(event.detail)


def test_a_security_event_outside_a_request_takes_the_tasks_request_id():
    from coresync.audit.services import security_event

    token = request_id_var.set("req-task-7")
    try:
        with audit_context(actor_label="task:payroll"):
            event = security_event(SecurityKind.EXPORT)
    finally:
        request_id_var.reset(token)
    assert event.request_id == "req-task-7" and event.actor_label == "task:payroll"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_a_refund_event_cannot_be_rewritten(demo_spa):
    from coresync.audit.services import security_event

    event = security_event(SecurityKind.REFUND, actor=demo_spa.manager, detail={"amount": "10.00"})
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(detail={"amount": "1.00"})
