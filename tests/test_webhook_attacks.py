"""The webhook attack matrix (issue 16): every webhook × every way of forging or replaying a request.

Each webhook is described once (``Hook``): how its provider signs a request, and
how many side effects (stored events, outbox rows, queued jobs) it has left in
the database. Each attack must get a 4xx in the contract's error shape and leave
no side effect; a valid request is taken once, its replay acknowledged and not
processed twice; a request made with the previous secret is taken while a
rotation is in progress (``*_PREVIOUS`` settings) and refused once it is over.

Google's two webhooks are not signed over the body: a secret token travels in a
header, and only the calendar push has a lifetime (the channel's expiry) and a
message number. Their rows of the matrix map each attack to what it means there,
and say so in ``Hook.mapping``; every one is still a refusal with no side effect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import stripe
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

pytestmark = pytest.mark.django_db

ATTACKS = ("missing", "bad", "stale", "future", "one_byte_changed", "rotated_out")
SKEW = 3600  # far outside every tolerance (300 s by default)


@dataclass
class Request:
    body: bytes
    headers: dict[str, str]
    content_type: str = "application/json"


@dataclass
class Hook:
    """One webhook: ``make(variant, n)`` builds the request for event ``n``; ``effects()`` counts what it left behind."""

    name: str
    path: str
    make: object
    effects: object
    mapping: dict[str, str] = field(default_factory=dict)  # attack → what it means for this provider, where not literal


def _mutate_byte(data: bytes) -> bytes:
    """The body with one byte changed (a digit in the middle of it, so it stays valid JSON)."""
    for index in range(len(data) // 2, len(data)):
        if chr(data[index]).isdigit():
            return data[:index] + (b"7" if data[index : index + 1] != b"7" else b"8") + data[index + 1 :]
    raise AssertionError("no digit to change")


def _one_char_changed(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# --- Atlas: HMAC-SHA256 over "<timestamp>.<body>" -----------------------------------------------


def atlas_hook(settings) -> Hook:
    from coresync.ai_agent.models import AtlasLog

    current, previous, retired = "atlas-current-secret", "atlas-previous-secret", "atlas-retired-secret"
    settings.ATLAS_WEBHOOK_SECRET, settings.ATLAS_WEBHOOK_SECRET_PREVIOUS = current, [previous]

    def make(variant: str, n: int) -> Request:
        body = json.dumps({"event_id": f"evt-attack-{n}", "type": "call.ended", "call_id": f"call-{n}", "from": "+12125550100",
                           "timestamp": 1_900_000_000 + n}).encode()  # fmt: skip
        ts, secret = int(time.time()), current
        if variant == "stale":
            ts -= SKEW
        elif variant == "future":
            ts += SKEW
        elif variant == "previous":
            secret = previous
        elif variant == "rotated_out":
            secret = retired
        signature = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        if variant == "bad":
            signature = hmac.new(b"guess", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        if variant == "one_byte_changed":
            body = _mutate_byte(body)
        headers = {"X-Atlas-Timestamp": str(ts), "X-Atlas-Signature": f"v1={signature}"}
        if variant == "missing":
            headers.pop("X-Atlas-Signature")
        return Request(body, headers)

    return Hook("atlas", "/api/ai/atlas-webhook/", make, lambda: AtlasLog.objects.count())


# --- Stripe: Stripe-Signature t=…,v1=… made by the SDK's own signing code -------------------------


def stripe_hook(settings) -> Hook:
    from coresync.integrations.payments import payment_provider_reset
    from coresync.outbox.models import OutboxMessage
    from coresync.payments.models import ProviderEventRecord

    current, previous, retired = "whsec_current", "whsec_previous", "whsec_retired"
    settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_SECRET_PREVIOUS = current, [previous]
    payment_provider_reset()

    def make(variant: str, n: int) -> Request:
        body = json.dumps({"id": f"evt_attack_{n}", "object": "event", "type": "payment_intent.succeeded", "created": 1_900_000_000 + n,
                           "data": {"object": {"id": f"pi_attack_{n}", "object": "payment_intent"}}})  # fmt: skip
        ts, secret = int(time.time()), {"previous": previous, "rotated_out": retired, "bad": "whsec_guess"}.get(variant, current)
        ts += {"stale": -SKEW, "future": SKEW}.get(variant, 0)
        header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=ts)
        raw = body.encode()
        if variant == "one_byte_changed":
            raw = _mutate_byte(raw)
        return Request(raw, {} if variant == "missing" else {"Stripe-Signature": header})

    def effects() -> int:
        """Events taken in; each one writes exactly one outbox row (its handling) in the same transaction."""
        taken = ProviderEventRecord.objects.count()
        assert OutboxMessage.objects.filter(kind="payments.event").count() == taken
        return taken

    return Hook("stripe", "/api/payments/stripe/webhook/", make, effects)


# --- SendGrid: ECDSA P-256 over "<timestamp><body>", verified with the account's public key ---------


def _public_key(private_key) -> str:
    der = private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_hook(settings) -> Hook:
    from coresync.notifications.models import EmailKind, EmailLog, EmailStatus, SendGridEvent

    current, previous, retired, stranger = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY, settings.SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS = _public_key(current), [_public_key(previous)]
    log = EmailLog.objects.create(kind=EmailKind.BOOKING_CONFIRMATION, dedupe_key=f"attack-{uuid.uuid4().hex}", recipient="ada@example.test",
                                  status=EmailStatus.SENT, provider_message_id="attackmsg")  # fmt: skip

    def make(variant: str, n: int) -> Request:
        body = json.dumps([{"event": "delivered", "sg_event_id": f"sg-attack-{n}", "sg_message_id": "attackmsg.filter0001",
                            "email_log_id": str(log.pk), "timestamp": 1_900_000_000 + n}])  # fmt: skip
        ts = int(time.time()) + {"stale": -SKEW, "future": SKEW}.get(variant, 0)
        key = {"previous": previous, "rotated_out": retired, "bad": stranger}.get(variant, current)
        signature = base64.b64encode(key.sign(f"{ts}{body}".encode(), ec.ECDSA(hashes.SHA256()))).decode()
        raw = body.encode()
        if variant == "one_byte_changed":
            raw = _mutate_byte(raw)
        headers = {"X-Twilio-Email-Event-Webhook-Timestamp": str(ts), "X-Twilio-Email-Event-Webhook-Signature": signature}
        if variant == "missing":
            headers.pop("X-Twilio-Email-Event-Webhook-Signature")
        return Request(raw, headers)

    return Hook("sendgrid", "/api/notifications/sendgrid/events/", make, lambda: SendGridEvent.objects.count())


# --- Google Calendar push: X-Goog-Channel-ID + X-Goog-Channel-Token of a live channel of ours ---------


def calendar_hook(settings, callbacks) -> Hook:
    from coresync.integrations.models import MirroredCalendar

    live = MirroredCalendar.objects.create(key="master", calendar_id="master@group.calendar.google.com", channel_id=uuid.uuid4().hex,
                                           channel_token="live-channel-token-" + uuid.uuid4().hex,
                                           channel_expires_at=timezone.now() + timedelta(days=6))  # fmt: skip
    expired = MirroredCalendar.objects.create(key="private", calendar_id="private@group.calendar.google.com", channel_id=uuid.uuid4().hex,
                                              channel_token="expired-channel-token-" + uuid.uuid4().hex,
                                              channel_expires_at=timezone.now() - timedelta(minutes=5))  # fmt: skip
    replaced_id, replaced_token = uuid.uuid4().hex, "renewed-away-token-" + uuid.uuid4().hex  # the channel before the last renewal

    def make(variant: str, n: int) -> Request:
        channel, token = live.channel_id, live.channel_token
        if variant == "bad":
            token = "not-the-token"
        elif variant == "stale":
            channel, token = expired.channel_id, expired.channel_token
        elif variant == "future":
            channel = uuid.uuid4().hex  # a channel we never opened, with the right token
        elif variant == "one_byte_changed":
            token = _one_char_changed(token)
        elif variant == "rotated_out":
            channel, token = replaced_id, replaced_token
        headers = {"X-Goog-Channel-ID": channel, "X-Goog-Channel-Token": token, "X-Goog-Resource-State": "exists",
                   "X-Goog-Message-Number": str(100 + n), "X-Goog-Resource-ID": "resource-1"}  # fmt: skip
        if variant == "missing":
            headers.pop("X-Goog-Channel-Token")
        return Request(b"", headers)

    mapping = {
        "stale": "a channel whose expiry has passed (Google stops it then: anything later is a captured replay)",
        "future": "a channel id we never opened (nothing of ours can be announced ahead of time)",
        "one_byte_changed": "the token with one character changed (the body is empty and not signed)",
        "rotated_out": "the id and token of the channel the last renewal replaced",
    }
    return Hook("google-calendar", "/api/integrations/google/calendar/notify/", make, lambda: len(callbacks), mapping)


# --- Google Sheets change (Apps Script onEdit): X-CoreSync-Token -------------------------------------


def sheets_hook(settings, callbacks) -> Hook:
    current, previous, retired = "sheet-token-current", "sheet-token-previous", "sheet-token-retired"
    settings.GOOGLE_WEBHOOK_TOKEN, settings.GOOGLE_WEBHOOK_TOKEN_PREVIOUS = current, [previous]
    settings.PRICING_SOURCE = "sheets"

    def make(variant: str, n: int) -> Request:
        token = {"previous": previous, "rotated_out": retired, "bad": "sheet-token-guess", "stale": retired,
                 "future": "sheet-token-next", "one_byte_changed": _one_char_changed(current)}.get(variant, current)  # fmt: skip
        headers = {} if variant == "missing" else {"X-CoreSync-Token": token}
        return Request(json.dumps({"sheet": "Massages"}).encode(), headers)

    mapping = {
        "stale": "the token of a rotation that has ended (the protocol carries no time: a token is live or retired)",
        "future": "a token not configured yet (the next rotation's), i.e. one we do not know",
        "one_byte_changed": "the token with one character changed (the body names a tab only and is not acted on)",
        "rotated_out": "a retired token, no longer in GOOGLE_WEBHOOK_TOKEN or GOOGLE_WEBHOOK_TOKEN_PREVIOUS",
    }
    # The effect is the pricing sync queued after commit; a replay inside the debounce window queues none.
    return Hook("google-sheets", "/api/integrations/google/sheets/notify/", make, lambda: len(callbacks), mapping)


HOOKS = ("atlas", "stripe", "sendgrid", "google-calendar", "google-sheets")


class _Queued:
    """The jobs queued after commit so far (the test runs in one transaction, so they wait in the connection)."""

    def __len__(self) -> int:
        from django.db import connection

        return len(connection.run_on_commit)


@pytest.fixture
def hook(request, settings):
    queued = _Queued()
    builders = {
        "atlas": lambda: atlas_hook(settings),
        "stripe": lambda: stripe_hook(settings),
        "sendgrid": lambda: sendgrid_hook(settings),
        "google-calendar": lambda: calendar_hook(settings, queued),
        "google-sheets": lambda: sheets_hook(settings, queued),
    }
    return builders[request.param]()


def _send(client, hook: Hook, request: Request):
    return client.generic("POST", hook.path, request.body, content_type=request.content_type, headers=request.headers)


def _assert_error(response, statuses=(400, 401, 403)):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"].get("fields", {}), dict)


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("hook", HOOKS, indirect=True)
def test_every_forged_or_stale_request_is_refused_in_the_error_shape_and_changes_nothing(hook, attack, client):
    before = hook.effects(), _anything_queued()
    response = _send(client, hook, hook.make(attack, 1))
    _assert_error(response, (401,) if hook.name == "atlas" else (400, 401, 403))  # SPEC §6: Atlas answers 401
    assert (hook.effects(), _anything_queued()) == before, f"{hook.name}/{attack} ({hook.mapping.get(attack, attack)}) left a side effect"


def _anything_queued() -> tuple[int, int, int]:
    """Whatever any webhook could leave behind: outbox rows, Atlas and provider event rows, work queued after commit."""
    from django.db import connection

    from coresync.ai_agent.models import AtlasLog
    from coresync.outbox.models import OutboxMessage
    from coresync.payments.models import ProviderEventRecord

    return OutboxMessage.objects.count() + AtlasLog.objects.count(), ProviderEventRecord.objects.count(), len(connection.run_on_commit)


@pytest.mark.parametrize("hook", HOOKS, indirect=True)
def test_a_valid_request_is_taken_once_and_its_replay_acknowledged_without_a_second_effect(hook, client):
    before = hook.effects()
    request = hook.make("valid", 1)
    first = _send(client, hook, request)
    assert first.status_code == 200, first.content[:300]
    assert hook.effects() == before + 1
    again = _send(client, hook, request)
    assert again.status_code == 200 and "error" not in again.json()
    assert hook.effects() == before + 1, f"{hook.name}: the replay was processed again"


@pytest.mark.parametrize("hook", HOOKS, indirect=True)
def test_the_previous_secret_is_taken_during_a_rotation_and_refused_after_it(hook, client, settings):
    before = hook.effects()
    assert _send(client, hook, hook.make("previous", 2)).status_code == 200
    assert hook.effects() == before + 1
    if hook.name == "google-calendar":
        return  # channels rotate by renewal: the replaced channel is the "rotated_out" row of the matrix
    for name in ("ATLAS_WEBHOOK_SECRET_PREVIOUS", "STRIPE_WEBHOOK_SECRET_PREVIOUS", "SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS",
                 "GOOGLE_WEBHOOK_TOKEN_PREVIOUS"):  # fmt: skip
        setattr(settings, name, [])
    from coresync.integrations.payments import payment_provider_reset

    payment_provider_reset()
    _assert_error(_send(client, hook, hook.make("previous", 3)))
    assert hook.effects() == before + 1


@pytest.mark.parametrize("hook", ["atlas", "stripe", "sendgrid"], indirect=True)
def test_two_different_events_are_both_taken(hook, client):
    before = hook.effects()
    assert _send(client, hook, hook.make("valid", 10)).status_code == 200
    assert _send(client, hook, hook.make("valid", 11)).status_code == 200
    assert hook.effects() == before + 2


@pytest.mark.parametrize(
    "header",
    ["v1=" + "é" * 64, "v1=", "t=abc,v1=00", "t=١٢٣,v1=00", "v0=" + "0" * 64, "," * 50, "\x00"],
)
@pytest.mark.parametrize("hook", ["atlas", "stripe"], indirect=True)
def test_garbage_signature_headers_are_refused_not_500(hook, client, header):
    request = hook.make("valid", 20)
    name = "X-Atlas-Signature" if hook.name == "atlas" else "Stripe-Signature"
    request.headers[name] = header
    if hook.name == "atlas":
        request.headers["X-Atlas-Timestamp"] = "١٢٣" if "١" in header else request.headers["X-Atlas-Timestamp"]
    _assert_error(_send(client, hook, request))
    assert hook.effects() == 0
