"""Locust scenarios for ``bench/run.py`` (headless; one scenario per locust process).

The runner writes a JSON file of parameters and points ``BENCH_PARAMS`` at it;
this file records every request (exact latency in ms, HTTP status, time) and
writes them to ``BENCH_OUT`` when locust quits, so percentiles are computed
from raw samples instead of locust's rounded histogram.

Scenarios (``params["scenario"]``):
    plain, one_query          the floors: GET /bench/plain, GET /bench/one-query
    s1_90, s1_3               availability, 90 days as a Premium member / 3 days as a guest
    s2                        80 % 3-day guest / 20 % 90-day member
    s3                        POST /api/v1/bookings/: 70 % at 5 contested (start, technician), 30 % at random free slots
    s4                        POST /api/v1/bookings/ on a free slot (a fresh one each time)
"""

from __future__ import annotations

import json
import os
import random
import time

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PARAMS = json.loads(open(os.environ["BENCH_PARAMS"]).read()) if os.environ.get("BENCH_PARAMS") else {}  # noqa: SIM115
SCENARIO = PARAMS.get("scenario", "plain")
SAMPLES: list[tuple[str, float, int, float]] = []  # name, ms, status, wall time at start
_rng = random.Random(PARAMS.get("seed", 1))
_free = list(PARAMS.get("free", []))
_free_index = [0]


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append((name, response_time, int(status), start_time or time.time()))


@events.quitting.add_listener
def _dump(environment, **kwargs):
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump({"scenario": SCENARIO, "samples": SAMPLES}, handle)


def _next_free() -> dict | None:
    if _free_index[0] >= len(_free):
        return None
    slot = _free[_free_index[0]]
    _free_index[0] += 1
    return slot


class BenchUser(FastHttpUser):
    wait_time = constant(0)
    # One keep-alive connection per simulated client, as a browser or app would hold.
    concurrency = 1
    insecure = True

    def _get(self, path: str, name: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")

    def _book(self, slot: dict, name: str) -> None:
        body = {"service": slot["service"], "start": slot["start"]}
        if slot.get("technician"):
            body["technician"] = slot["technician"]
        headers = {"Authorization": f"Token {PARAMS['token']}", "Content-Type": "application/json"}
        with self.client.post(
            "/api/v1/bookings/", data=json.dumps(body), name=name, headers=headers, catch_response=True
        ) as response:
            if response.status_code in (201, 409):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    def _availability(self, days: int) -> None:
        if days == 90:
            path = f"/api/v1/availability/?service={PARAMS['service']}&date_from={PARAMS['today']}&date_to={PARAMS['to_90']}"
            self._get(path, "availability 90 days (member)", PARAMS["token"])
        else:
            path = f"/api/v1/availability/?service={PARAMS['service']}&date_from={PARAMS['today']}&date_to={PARAMS['to_3']}"
            self._get(path, "availability 3 days (guest)")

    @task
    def step(self) -> None:
        if SCENARIO == "plain":
            self._get("/bench/plain", "plain")
        elif SCENARIO == "one_query":
            self._get("/bench/one-query", "one-query")
        elif SCENARIO == "s1_90":
            self._availability(90)
        elif SCENARIO == "s1_3":
            self._availability(3)
        elif SCENARIO == "s2":
            self._availability(90 if _rng.random() < 0.2 else 3)
        elif SCENARIO == "s3":
            slot = None if _rng.random() < 0.7 else _next_free()
            if slot is None:
                self._book(_rng.choice(PARAMS["contested"]), "book contested")
            else:
                self._book(slot, "book free")
        elif SCENARIO == "s4":
            slot = _next_free()
            if slot is None:
                time.sleep(0.05)
                return
            self._book(slot, "book free slot")
