"""S5: chat turns over WebSocket against a running server.

    python bench/s5_chat_ws.py ws://127.0.0.1:8000/ws/ai-chat/ [--turns 30] [--concurrency 1,20]

Each session sends "60 min massage tomorrow afternoon?" and a few follow-ups in
turn, timing from send to the reply frame. Prints one JSON line per
concurrency: {"concurrency", "sessions", "turns", "errors", "p50_ms", "p95_ms"}.
The server must allow the load (e.g. CHAT_RATE_LIMIT / AI_CHAT_IP_RATE_LIMIT=100000/minute)
and accept the Origin sent (``--origin``, default http://<host>).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlparse

import websockets

MESSAGES = [
    "60 min massage tomorrow afternoon?",
    "and for Wednesday?",
    "what about after 5?",
    "how much is it?",
    "60 min massage tomorrow afternoon?",
    "where do I park?",
]


async def session(url: str, origin: str, turns: int, timings: list[float], errors: list[str], later: list[float]) -> None:
    try:
        async with websockets.connect(url, origin=origin, open_timeout=10) as socket:
            json.loads(await socket.recv())  # {"type": "session"}
            for n in range(turns):
                started = time.perf_counter()
                await socket.send(json.dumps({"message": MESSAGES[n % len(MESSAGES)]}))
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                    if frame.get("type") != "typing":
                        break
                if frame.get("type") == "reply":
                    timings.append((time.perf_counter() - started) * 1000)
                    if n:  # the session's state exists: what a returning turn costs
                        later.append(timings[-1])
                else:
                    errors.append(frame.get("error", {}).get("code", "unknown"))
    except Exception as error:  # a failed session counts as an error, the run goes on
        errors.append(type(error).__name__)


async def run(url: str, origin: str, concurrency: int, turns: int) -> dict:
    timings: list[float] = []
    errors: list[str] = []
    later: list[float] = []
    await asyncio.gather(*(session(url, origin, turns, timings, errors, later) for _ in range(concurrency)))
    ordered = sorted(timings)

    def pct(p: float, values: list[float] | None = None) -> float | None:
        values = ordered if values is None else sorted(values)
        return round(values[min(len(values) - 1, int(len(values) * p))], 2) if values else None

    return {
        "concurrency": concurrency, "sessions": concurrency, "turns": len(timings), "errors": len(errors),
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None, "p95_ms": pct(0.95),
        "later_p50_ms": pct(0.5, later), "later_p95_ms": pct(0.95, later),
        "error_codes": sorted(set(errors)),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="ws://host:port/ws/ai-chat/")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--concurrency", default="1,20")
    parser.add_argument("--origin", default="")
    args = parser.parse_args()
    host = urlparse(args.url)
    origin = args.origin or f"http://{host.hostname}" + (f":{host.port}" if host.port else "")
    for level in [int(c) for c in args.concurrency.split(",")]:
        print(json.dumps(asyncio.run(run(args.url, origin, level, args.turns))), flush=True)


if __name__ == "__main__":
    main()
