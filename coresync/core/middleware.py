"""Request-wide guards that must hold before any view runs."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import JsonResponse

from .api import error_body
from .snapshots import versions_memo


def request_too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse(error_body("request_too_large", f"The request body is larger than {limit} bytes."), status=413)


def _declared_too_large(request) -> bool:
    """A Content-Length past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (file uploads are bounded by Django's upload handlers)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type.startswith("multipart/"):
        return False
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


class HybridMiddleware:
    """A middleware that serves sync and async stacks alike: subclasses write ``__call__`` and ``_acall``."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class RequestSizeLimitMiddleware(HybridMiddleware):
    """A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 JSON error, before anything reads it.

    Bodies without a Content-Length are bounded where they are read: the API's
    JSON parser (``core.parsers.read_limited``) and Django's own ``request.body``
    (its ``RequestDataTooBig`` becomes the same 413 in ``core.api.bad_request``).
    """

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        if _declared_too_large(request):
            return request_too_large()
        return self.get_response(request)

    async def _acall(self, request):
        if _declared_too_large(request):
            return request_too_large()
        return await self.get_response(request)


class SnapshotVersionsMiddleware(HybridMiddleware):
    """Each read model's version is read from the cache once per request (``snapshots.versions_memo``)."""

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        with versions_memo():
            return self.get_response(request)

    async def _acall(self, request):
        with versions_memo():
            return await self.get_response(request)
