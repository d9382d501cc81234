"""Sets the audit context of each request: the channel from the path, the request (its user is read lazily)."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from .context import channel_for_path, reset_context, set_context


class AuditContextMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        token = set_context(channel=channel_for_path(request.path), request=request, actor=None, actor_label="", gather=None)
        try:
            return self.get_response(request)
        finally:
            reset_context(token)

    async def _acall(self, request):
        token = set_context(channel=channel_for_path(request.path), request=request, actor=None, actor_label="", gather=None)
        try:
            return await self.get_response(request)
        finally:
            reset_context(token)
