"""Locust users for ``deploy/loadtest.py``: guests reading availability and booking, some fighting for the same slots.

``LOADTEST_PARAMS`` names a JSON file: ``{"service", "free": [start, ...], "contested": [start, ...], "dates": [...]}``.
Every request is recorded (exact latency in ms, HTTP status) and written to
``LOADTEST_OUT`` when locust quits, so percentiles come from raw samples.

Per step a user: 20 % reads three days of availability, 15 % books one of a few
contested times (the first wins, the rest get 409), 65 % books the next free time
from the shared list (when it runs out: a contested time).
"""

from __future__ import annotations

import json
import os
import random

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PARAMS = json.loads(open(os.environ["LOADTEST_PARAMS"]).read()) if os.environ.get("LOADTEST_PARAMS") else {}  # noqa: SIM115
SAMPLES: list[tuple[str, float, int]] = []
_free = list(PARAMS.get("free", []))
_rng = random.Random(16)
_count = [0]


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    SAMPLES.append((name, response_time, int(getattr(response, "status_code", 0) or 0)))


@events.quitting.add_listener
def _dump(environment, **kwargs):
    if os.environ.get("LOADTEST_OUT"):
        with open(os.environ["LOADTEST_OUT"], "w") as handle:
            json.dump(SAMPLES, handle)


class Guest(FastHttpUser):
    wait_time = between(0, 0.05)
    concurrency = 1

    def _book(self, start: str, name: str) -> None:
        _count[0] += 1
        n = _count[0]
        body = {"service": PARAMS["service"], "start": start,
                "guest": {"name": f"Load Guest {n}", "email": f"load{n}@loadtest.test", "phone": "+12125550100"}}
        with self.client.post("/api/v1/bookings/", data=json.dumps(body), name=name,
                              headers={"Content-Type": "application/json"}, catch_response=True) as response:
            if response.status_code in (201, 409):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    @task
    def step(self) -> None:
        roll = _rng.random()
        if roll < 0.20:
            first = _rng.randrange(max(1, len(PARAMS["dates"]) - 2))
            day_from, day_to = PARAMS["dates"][first], PARAMS["dates"][min(first + 2, len(PARAMS["dates"]) - 1)]
            with self.client.get(f"/api/v1/availability/?service={PARAMS['service']}&date_from={day_from}&date_to={day_to}",
                                 name="availability 3 days", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
        elif roll < 0.35 or not _free:
            self._book(_rng.choice(PARAMS["contested"]), "book contested")
        else:
            self._book(_free.pop(), "book free")
