"""The security log: sign-ins, failures and lockouts recorded with the address and request id; nothing rewrites it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from coresync.audit.models import AppendOnly, SecurityEvent, SecurityKind
from coresync.audit.services import security_event

pytestmark = pytest.mark.django_db


def test_a_sign_in_and_a_failed_one_are_recorded_with_who_and_the_request_id(client, demo_spa, settings):
    from coresync.demo.seed import DEMO_PASSWORD

    client.post("/accounts/login/", {"username": demo_spa.base.email, "password": "wrong"}, HTTP_X_REQUEST_ID="req-1")
    client.post("/accounts/login/", {"username": demo_spa.base.email, "password": DEMO_PASSWORD}, HTTP_X_REQUEST_ID="req-2")
    failed = SecurityEvent.objects.get(kind=SecurityKind.LOGIN_FAILED)
    assert failed.actor is None and failed.actor_label == demo_spa.base.email and failed.request_id == "req-1" and failed.ip
    assert "password" not in str(failed.detail) and "wrong" not in str(failed.detail)
    signed_in = SecurityEvent.objects.get(kind=SecurityKind.LOGIN)
    assert signed_in.actor == demo_spa.base and signed_in.request_id == "req-2"


def test_repeated_failures_record_the_lockout(client, demo_spa, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": demo_spa.guest.email, "password": "nope"})
    assert SecurityEvent.objects.filter(kind=SecurityKind.LOCKED_OUT, actor_label=demo_spa.guest.email).exists()


def test_the_log_is_append_only_in_python():
    event = security_event(SecurityKind.EXPORT, actor_label="job:payroll")
    event.actor_label = "someone else"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_an_update_or_delete_but_a_deleted_account_leaves_its_events(demo_spa):
    from coresync.accounts.models import User

    event = security_event(SecurityKind.LOGIN, actor=demo_spa.guest)
    for change in (lambda: SecurityEvent.objects.filter(pk=event.pk).update(actor_label="x"),
                   lambda: SecurityEvent.objects.filter(pk=event.pk).delete()):  # fmt: skip
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    User.objects.filter(pk=demo_spa.guest.pk).delete()
    event.refresh_from_db()
    assert event.actor is None and event.kind == SecurityKind.LOGIN


def test_a_privacy_request_is_in_the_security_log(demo_spa):
    from coresync.privacy.services import personal_data_export

    personal_data_export(demo_spa.base.email, actor=demo_spa.manager)
    event = SecurityEvent.objects.get(kind=SecurityKind.PRIVACY_EXPORT)
    assert event.actor == demo_spa.manager and demo_spa.base.email not in str(event.detail)
