"""Request ids and JSON logs (issue 16): one log line per request, the id on every line logged while serving it."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a caller's id is kept only if it cannot forge log content
access_log = logging.getLogger("coresync.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any ``extra`` fields given."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                "message": record.getMessage(), "request_id": getattr(record, "request_id", "") or request_id_var.get()}  # fmt: skip
        line.update({k: v for k, v in vars(record).items() if k not in self._STANDARD and k != "request_id"})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _incoming_id(request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _VALID_ID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` (or makes one), returns it in the response and logs the request once it is answered.

    (Not a ``core.middleware.HybridMiddleware``: the logging configuration loads this module before the apps
    are ready, and that module imports DRF.)
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _start(self, request):
        request.request_id = _incoming_id(request)
        return request_id_var.set(request.request_id), time.perf_counter()

    def _finish(self, request, response, token, started):
        response["X-Request-ID"] = request.request_id
        access_log.info("request", extra={"request_id": request.request_id, "method": request.method, "path": request.path, "status": response.status_code,
                                          "duration_ms": round((time.perf_counter() - started) * 1000, 1)})  # fmt: skip
        request_id_var.reset(token)
        return response

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        token, started = self._start(request)
        return self._finish(request, self.get_response(request), token, started)

    async def _acall(self, request):
        token, started = self._start(request)
        return self._finish(request, await self.get_response(request), token, started)
