"""HTTP under ASGI with the middleware chain and the view run synchronously, in one hop to a worker thread.

Django's own ``ASGIHandler`` runs the chain in async mode. Every ``MiddlewareMixin`` middleware (sessions,
CSRF, auth, messages, …) then hops to a thread twice per request (``process_request`` and
``process_response``), WhiteNoise is sync-only (another hop each way), the request signals hop again and each
request gets a thread of its own: about 30 thread hops and 2 new threads for a plain ``HttpResponse``.
Measured in-process (``bench/asgi_floor.py``): 4.5 ms of CPU per plain request that way, 1.4 ms with the
same chain run synchronously here. Every view of ours is synchronous; an async view would still work (Django's
sync chain runs it with ``async_to_sync``). WebSocket stays with Channels (``coresync/asgi.py``).

A request is read (body spooled as Django does), then ``request_started``, the chain, the view and — for an
ordinary response — ``response.close()`` (which fires ``request_finished``: database connections go back to the
pool) run in one call on a pooled thread; the loop then sends the bytes. A streaming response is closed after
it has been sent. ``ASGI_THREADS`` threads per process serve requests at once (each holds a pooled database
connection while it runs, so it stays below ``DB_POOL_MAX``); more requests wait their turn in arrival order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=settings.ASGI_THREADS, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:  # iterated while sending: closed (request_finished) only now
                    await sync_to_async(response.close, thread_sensitive=False, executor=self.executor)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the ASGI server chunks the bytes itself
        if not response.streaming:
            response.close()  # the content is bytes already; request_finished runs on this thread
        return response


def get_asgi_application() -> SyncChainASGIHandler:
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
