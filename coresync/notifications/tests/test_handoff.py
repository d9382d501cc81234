"""The manager's handoff notice rides the e-mail log: an outage delays it, the retry sends it, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError

from coresync.ai_agent.models import Conversation, Handoff
from coresync.ai_agent.tasks import notify_handoff
from coresync.notifications import tasks
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus

NOW = datetime(2031, 5, 5, 23, 40, tzinfo=UTC)


@pytest.fixture
def handoff(spa):
    conversation = Conversation.objects.create(channel="phone", caller_phone="+12125550199")
    return Handoff.objects.create(
        conversation=conversation, reason=Handoff.Reason.ASKED, contact="+1 212 555 0199",
        last_message="Can I talk to someone about a gift card?",
    )


def test_a_mail_outage_delays_the_handoff_notice_and_the_retry_sends_it_once(
    spa, handoff, outbox, settings, mail_down
):
    with time_machine.travel(NOW, tick=False) as clock:
        notify_handoff(handoff.pk)  # the provider is down for the first attempt
        log = EmailLog.objects.get(dedupe_key=f"handoff:{handoff.pk}")
        assert log.status == EmailStatus.FAILED and log.next_attempt_at == NOW + timedelta(seconds=120)
        assert outbox == []

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back after 20 seconds
        clock.shift(timedelta(seconds=20))
        notify_handoff(handoff.pk)  # a redelivered task waits for the backoff like everyone else
        assert outbox == []
        clock.shift(timedelta(minutes=2))
        tasks.retry_failed_emails()
        tasks.retry_failed_emails()
        notify_handoff(handoff.pk)

    [message] = outbox
    assert message.to == [settings.MANAGER_EMAIL]
    assert "handoff" in message.subject.lower()
    assert "gift card" in message.body and f"/admin/ai_agent/conversation/{handoff.conversation_id}/" in message.body
    log.refresh_from_db()
    assert (log.kind, log.status, log.attempts) == (EmailKind.HANDOFF_NOTICE, EmailStatus.SENT, 2)
    assert log.booking_id is None and log.membership_id is None
    handoff.refresh_from_db()
    assert handoff.notified


def test_one_notice_per_handoff(spa, handoff, outbox):
    notify_handoff(handoff.pk)
    notify_handoff(handoff.pk)
    assert len(outbox) == 1
    with pytest.raises(IntegrityError):
        EmailLog.objects.create(kind=EmailKind.HANDOFF_NOTICE, dedupe_key=f"handoff:{handoff.pk}")


def test_a_log_row_needs_exactly_one_owner(spa):
    with pytest.raises(IntegrityError):
        EmailLog.objects.create(kind=EmailKind.HANDOFF_NOTICE)  # no booking, no membership, no key


def test_a_sendgrid_outage_delays_the_handoff_notice_until_the_retry(spa, handoff, sendgrid):
    sendgrid.answer(503, b"service unavailable")
    with time_machine.travel(NOW, tick=False) as clock:
        notify_handoff(handoff.pk)
        clock.shift(timedelta(minutes=3))
        sendgrid.answer(202, X_Message_Id="handoff-second-try")
        tasks.retry_failed_emails()
        tasks.retry_failed_emails()
    log = EmailLog.objects.get(dedupe_key=f"handoff:{handoff.pk}")
    assert (log.status, log.provider_message_id) == (EmailStatus.SENT, "handoff-second-try")
    bodies = sendgrid.json_bodies()
    assert len(bodies) == 2 and bodies[0] == bodies[1]  # the stored message, sent again as it was
    assert bodies[1]["personalizations"] == [{"to": [{"email": "manager@coresync.test"}]}]
    assert "gift card" in bodies[1]["content"][0]["value"]
