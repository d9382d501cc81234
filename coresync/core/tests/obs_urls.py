"""Views for the observability tests: a request that writes outbox rows and publishes a task, and one that fails."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path

from coresync.core.observability import request_id_var
from coresync.core.transactions import delay_on_commit
from coresync.outbox.registry import outbox_handler
from coresync.outbox.services import outbox_enqueue

log = logging.getLogger("coresync.tests.obs")
TASK_IDS: list[str] = []


@outbox_handler("test.obs.log")
def _log_handler(payload: dict, dedupe_key: str) -> None:
    log.info("outbox handler ran", extra={"dedupe_key": dedupe_key})


@shared_task(name="test.obs.task", bind=True, ignore_result=True)
def obs_task(self, tag: str) -> None:
    TASK_IDS.append(request_id_var.get())
    log.info("task ran", extra={"tag": tag})


def write(request):
    key = request.POST["key"]
    with transaction.atomic():
        outbox_enqueue(kind="test.obs.log", dedupe_key=f"{key}:now")
        outbox_enqueue(kind="test.obs.log", dedupe_key=f"{key}:later", delay=timedelta(minutes=5))
        delay_on_commit(obs_task, key)
    return JsonResponse({"ok": True})


def crash(request):
    email = request.POST.get("email")
    raise RuntimeError(f"could not book for {email}")


urlpatterns = [
    path("obs/write", write, name="obs-write"),
    path("obs/crash", crash, name="obs-crash"),
    path("obs/items/<int:pk>", lambda request, pk: JsonResponse({"pk": pk}), name="obs-item"),
    path("", include("coresync.urls")),
]
