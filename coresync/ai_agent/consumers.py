"""WebSocket chat at ``/ws/ai-chat/``: the same JSON as ``POST /api/v1/chat/``, answered from the consumer itself.

Client → server: ``{"message": "...", "session_id"?: "<uuid>"}``.
Server → client: ``{"type": "session", "session_id", "resumed"}`` on connect,
``{"type": "typing"}`` while a turn runs, then
``{"type": "reply", "session_id", "messages", "state"}``; errors as
``{"type": "error", "error": {"code", "message", "fields"}}`` (a rate-limited
message gets its error after the typing frame).
A client that reconnects with ``?session_id=<uuid>`` (or sends it) continues
the same conversation while the session lives (``AI_SESSION_TTL``). A page that
opens mid-conversation sends ``{"type": "resume", "session_id"}`` first and gets
``{"type": "history", "session_id", "messages": [{"role", "text", "cards"?, "actions"?}], "state"}``
(empty when the session is unknown, expired or someone else's).
With ``CONCIERGE_ENABLED=0`` every message is answered with
``{"type": "error", "error": {"code": "concierge_unavailable", ...}, "handoff": {"reason", "phone"}}``.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from coresync.audit.context import Channel, audit_context
from coresync.core.api import error_body
from coresync.core.errors import ApplicationError
from coresync.core.observability import new_request_id, request_id_var, valid_request_id
from coresync.core.ratelimit import client_ip_from_scope

from .ratelimit import chat_allowed
from .services import chat_history, chat_turn
from .state import state_load, valid_session_id
from .unavailable import chat_error_body, concierge_enabled

logger = logging.getLogger("coresync.ai_agent")


_TYPING = json.dumps({"type": "typing"})


def _checked_turn(*, message: str, session_id: str | None, ip: str | None, user):
    """(seconds to wait, None) when over the rate limit, else (None, the turn's result)."""
    wait = chat_allowed(session_id=session_id, ip=ip)
    if wait:
        return wait, None
    with audit_context(channel=Channel.CHAT, actor=user if user is not None and user.is_authenticated else None):
        return None, chat_turn(message=message, session_id=session_id, channel="web", user=user, defer_writes=True)


def _resumable(session_id: str | None, user_id: int | None) -> bool:
    state = state_load(session_id) if session_id else None
    return state is not None and state.user_id == user_id


class ChatConsumer(AsyncJsonWebsocketConsumer):
    # The chat answers its own socket only and nothing sends to it through the channel layer, so it takes no
    # channel-layer inbox (with channels_redis that is one blocking Redis reader per open socket).
    channel_layer_alias = None

    async def dispatch(self, message):
        # Channels closes stale database connections before every frame, in a hop to the shared sync thread.
        # Here the database is used only inside ``database_sync_to_async`` calls, which close them themselves.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def _connection_request_id(self) -> str:
        """The socket's id: the upgrade request's ``X-Request-ID`` when sane, else a new one; each turn adds ``.<n>``."""
        given = dict(self.scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        return (valid_request_id(given) or new_request_id())[:48]

    async def connect(self):
        self.request_id, self.turns = self._connection_request_id(), 0
        token = request_id_var.set(self.request_id)
        try:
            await self._connect()
        finally:
            request_id_var.reset(token)

    async def _connect(self):
        user = self.scope.get("user")
        self.user = user if user is not None and getattr(user, "is_authenticated", False) else None
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        wanted = valid_session_id((query.get("session_id") or [None])[0])
        self.session_id = None
        await self.accept()
        resumed = bool(wanted) and await database_sync_to_async(_resumable)(wanted, self.user.pk if self.user else None)
        if resumed:
            self.session_id = wanted
        await self.send_json({"type": "session", "session_id": self.session_id, "resumed": resumed})

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "resume":
            await self._resume(content.get("session_id"))
            return
        if not concierge_enabled():
            await self._error(await database_sync_to_async(chat_error_body, thread_sensitive=False)())
            return
        if not isinstance(content, dict) or not isinstance(content.get("message", ""), str):
            await self._error(error_body("validation_error", "Send {\"message\": \"...\"}.", {"message": ["Must be a string."]}))
            return
        message = content.get("message", "")
        if len(message) > settings.AI_MAX_MESSAGE_CHARS:
            limit = settings.AI_MAX_MESSAGE_CHARS
            await self._error(error_body("message_too_long", f"Messages can be at most {limit} characters.", {"message": [f"At most {limit} characters."]}))
            return
        session_id = self.session_id or valid_session_id(content.get("session_id"))
        ip = client_ip_from_scope(self.scope)
        await self.send(text_data=_TYPING)
        try:
            # One trip to a worker thread for the rate limit and the turn. Not thread-sensitive: turns of
            # different sessions run in parallel worker threads (each with its own pooled connection)
            # instead of queueing behind one another on a single thread.
            wait, result = await database_sync_to_async(_checked_turn, thread_sensitive=False)(
                message=message, session_id=session_id, ip=ip, user=self.user
            )
        except ApplicationError as error:
            await self._error(error.as_dict())
            return
        except Exception:
            logger.exception("chat turn failed")
            await self._error(error_body("server_error", "Something went wrong on our side. Please try again."))
            return
        if wait:
            await self._error(error_body("rate_limited", f"Too many messages. Please wait {wait} seconds."))
            return
        self.session_id = result.session_id
        await self.send_json({"type": "reply", **result.as_dict()})
        if result.finish is None:  # nothing to record (an empty message)
            return
        try:  # the turn's own rows, after the reply: the customer does not wait for them
            await database_sync_to_async(result.finish, thread_sensitive=False)()
        except Exception:
            logger.exception("chat turn bookkeeping failed")

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Each frame is one turn with its own request id (``<socket id>.<n>``) on its log lines and outbox rows."""
        self.turns = getattr(self, "turns", 0) + 1
        token = request_id_var.set(f"{getattr(self, 'request_id', '') or new_request_id()}.{self.turns}")
        try:
            await self._receive(text_data)
        finally:
            request_id_var.reset(token)

    async def _receive(self, text_data=None):
        if text_data is None:
            await self._error(error_body("validation_error", "Send JSON text frames."))
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
            await self._error(error_body("malformed_json", "The message is not valid JSON."))
            return
        await self.receive_json(content)

    async def _resume(self, session_id) -> None:
        """``{"type": "resume", "session_id"}`` (a page opened mid-conversation): the history, and the session goes on."""
        history = await database_sync_to_async(chat_history, thread_sensitive=False)(session_id=session_id, user=self.user)
        if history["session_id"]:
            self.session_id = history["session_id"]
        await self.send_json(history)

    async def _error(self, body: dict) -> None:
        await self.send_json({"type": "error", **body})
