"""Request ids and JSON logs (issue 16): one log line per request, the id on every line logged while serving it.

The id follows the work out of the request: a Celery task published while it is set carries it in the
message's ``x_request_id`` header (``before_task_publish``) and runs with it set (``task_prerun``; reset at
``task_postrun``); an outbox row stores it and its handler runs with it set (``coresync.outbox``); a
WebSocket chat gets one per turn. A task nobody published from a request (beat) runs under its task id.
Each answered request is also counted for ``/metrics`` (``coresync.core.metrics``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from celery import signals

from .metrics import request_observed, task_observed

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a caller's id is kept only if it cannot forge log content
access_log = logging.getLogger("coresync.request")
CELERY_HEADER = "x_request_id"


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


def valid_request_id(value) -> str:
    """``value`` when it is a sane id (letters, digits, ``._-``; at most 64), else ``""``."""
    return value if isinstance(value, str) and _VALID_ID.match(value) else ""


def new_request_id() -> str:
    return uuid.uuid4().hex


def _incoming_id(request) -> str:
    return valid_request_id(request.headers.get("X-Request-ID", "")) or new_request_id()


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
        elapsed = time.perf_counter() - started
        request_observed(request, response.status_code, elapsed)
        access_log.info("request", extra={"request_id": request.request_id, "method": request.method, "path": request.path, "status": response.status_code,
                                          "duration_ms": round(elapsed * 1000, 1)})  # fmt: skip
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


# --- Celery: the id travels in the task message's headers ---------------------------------------------
_task_tokens: dict[str, contextvars.Token] = {}


@signals.before_task_publish.connect(weak=False, dispatch_uid="coresync.request_id.publish")
def _put_request_id_in_headers(sender=None, headers=None, **kwargs) -> None:
    current = request_id_var.get()
    if current and headers is not None and not headers.get(CELERY_HEADER):
        headers[CELERY_HEADER] = current


def task_request_id(task) -> str:
    """The id a task runs under: its message's header, else the caller's (eager tasks), else its task id."""
    request = task.request
    given = getattr(request, CELERY_HEADER, None) or (getattr(request, "headers", None) or {}).get(CELERY_HEADER)
    return valid_request_id(given) or request_id_var.get() or valid_request_id(request.id or "") or new_request_id()


@signals.task_prerun.connect(weak=False, dispatch_uid="coresync.request_id.prerun")
def _set_task_request_id(sender=None, task_id=None, task=None, **kwargs) -> None:
    if task is not None and task_id:
        _task_tokens[task_id] = request_id_var.set(task_request_id(task))


@signals.task_postrun.connect(weak=False, dispatch_uid="coresync.request_id.postrun")
def _reset_task_request_id(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (cannot happen with prerun/postrun on one thread)
            request_id_var.set("")
    task_observed(getattr(task, "name", "") or str(sender), state or "UNKNOWN")
