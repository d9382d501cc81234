"""Render ``docs/benchmarks.md`` from the results dict that ``bench/run.py`` collects."""

from __future__ import annotations

import math

NOTES_FILE = "bench/NOTES.md"


def _ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def _lat(result: dict | None) -> str:
    if not result:
        return "—"
    return f"p50 {_ms(result['p50'])} / p95 {_ms(result['p95'])}"


def _floor(results: dict, users: int) -> str:
    floors = results["floors"]
    plain, query = floors.get(f"floor plain c={users}"), floors.get(f"floor one-query c={users}")
    if not plain or not query:
        return "—"
    if users == 1:
        return f"plain {_lat(plain)}; one-query {_lat(query)}"
    return f"plain {plain['rps']:.0f} req/s, {_lat(plain)}; one-query {query['rps']:.0f} req/s, {_lat(query)}"


def _verdict(ok: bool, aim_ok: bool | None = None) -> str:
    if not ok:
        return "**MISSED**"
    if aim_ok is None:
        return "met"
    return "met, aim met" if aim_ok else "met (aim not reached)"


def _statuses(runs: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            total[code] = total.get(code, 0) + n
    return total


def rows(results: dict) -> list[list[str]]:
    load = results["load"]
    out: list[list[str]] = []
    for name in ("spa-5k", "spa-20k"):
        r90 = load.get(f"S1 90 days {name}")
        if r90:
            limit = 120 if name == "spa-5k" else 180
            out.append(
                [
                    f"S1 90 days, {name}, c=1",
                    _lat(r90),
                    _lat(load.get(f"S1 90 days {name} warm")),
                    f"p95 ≤ {limit} ms",
                    "≤ 50 ms",
                    _floor(results, 1),
                    _verdict(r90["p95"] <= limit, r90["p95"] <= 50),
                ]
            )
        r3 = load.get(f"S1 3 days {name}")
        if r3:
            out.append(
                [
                    f"S1 3 days, {name}, c=1",
                    _lat(r3),
                    _lat(load.get(f"S1 3 days {name} warm")),
                    "p95 ≤ 25 ms",
                    "≤ 12 ms",
                    _floor(results, 1),
                    _verdict(r3["p95"] <= 25, r3["p95"] <= 12),
                ]
            )
    s2 = load.get("S2")
    if s2:
        codes = _statuses(s2["runs"])
        errors = sum(n for code, n in codes.items() if code != "200")
        ok = s2["rps"] >= 100 and s2["p95"] <= 400 and errors == 0
        out.append(
            [
                "S2 availability under load, c=16",
                f"{s2['rps']:.0f} req/s, {_lat(s2)}, {errors} errors",
                _s2_warm(load.get("S2 warm")),
                "≥ 100 req/s, p95 ≤ 400 ms, 0 errors",
                "≥ 150 req/s",
                _floor(results, 16),
                _verdict(ok, s2["rps"] >= 150),
            ]
        )
    s3 = load.get("S3")
    if s3:
        codes = _statuses(s3["runs"])
        fives = sum(n for code, n in codes.items() if code.startswith("5") or code == "0")
        other = sum(n for code, n in codes.items() if code not in ("201", "409") and not code.startswith("5") and code != "0")
        overlaps = sum(r.get("after", {}).get("overlaps", 0) for r in s3["runs"])
        ok = overlaps == 0 and fives == 0 and other == 0 and s3["rps"] >= 120 and s3["p95"] <= 500
        figure = (
            f"{s3['rps']:.0f} attempts/s, {_lat(s3)}; {codes.get('201', 0)} × 201, {codes.get('409', 0)} × 409, "
            f"{fives} × 5xx, {other} other; {overlaps} overlaps"
        )
        out.append(
            [
                "S3 booking contention, c=50",
                figure,
                "— (writes: nothing cached)",
                "0 overlaps, 0 × 5xx, conflicts = 409, ≥ 120/s, p95 ≤ 500 ms",
                "≥ 200/s, p95 ≤ 300 ms",
                _floor(results, 50),
                _verdict(ok, s3["rps"] >= 200 and s3["p95"] <= 300),
            ]
        )
    s4 = load.get("S4")
    if s4:
        qc = results.get("query_counts", {})
        member = qc.get("booking_create_member", {})
        guest = qc.get("booking_create_guest", {})
        queries = [x.get("queries") for x in (member, guest) if x.get("queries") is not None]
        foreign = sum(len(x.get("foreign_connections", [])) for x in (member, guest))
        codes = _statuses(s4["runs"])
        ok = s4["p95"] <= 60 and bool(queries) and max(queries) <= 8 and foreign == 0
        figure = (
            f"{_lat(s4)}; {member.get('queries', '?')} queries (member), {guest.get('queries', '?')} (guest); "
            f"{foreign} outbound non-DB/Redis connections; statuses {codes}"
        )
        out.append(
            [
                "S4 one booking on a free slot, c=1",
                figure,
                "— (writes: nothing cached)",
                "p95 ≤ 60 ms, ≤ 8 queries, no mail/LLM/HTTP",
                "p95 ≤ 30 ms",
                _floor(results, 1),
                _verdict(ok, s4["p95"] <= 30),
            ]
        )
    s5 = results.get("s5")
    if s5 is None:
        out.append(
            [
                "S5 chat turn over WebSocket",
                "not measured here (hook: bench/s5_chat_ws.py absent)",
                "—",
                "p95 ≤ 150 ms at c=20, ≤ 40 ms at c=1",
                "p95 ≤ 80 ms at c=20",
                "—",
                "—",
            ]
        )
    else:
        out.append(
            [
                "S5 chat turn over WebSocket",
                _s5_figure(s5),
                _s5_warm(s5),
                "p95 ≤ 150 ms at c=20, ≤ 40 ms at c=1",
                "p95 ≤ 80 ms at c=20",
                _floor(results, 16),
                _s5_verdict(s5),
            ]
        )
    s7 = results.get("s7")
    if s7:
        base, double, ratio = s7["base"], s7["double"], s7["ratio"]
        ok = base["median_ms"] <= 20 and ratio <= 1.3
        out.append(
            [
                "S7 slot engine alone, 90 days × 30 resources",
                f"5,000 bookings: median {_ms(base['median_ms'])}; 10,000: median {_ms(double['median_ms'])}; ratio {ratio:.2f}",
                "— (no cache in the engine)",
                "median ≤ 20 ms; 2× bookings ≤ 1.3× time",
                "≤ 10 ms",
                "in memory, no floor",
                _verdict(ok, base["median_ms"] <= 10),
            ]
        )
    return out


def _s2_warm(warm: dict | None) -> str:
    if not warm:
        return "—"
    errors = sum(n for code, n in _statuses(warm["runs"]).items() if code != "200")
    return f"{warm['rps']:.0f} req/s, {_lat(warm)}, {errors} errors"


def _s5_warm(s5: dict) -> str:
    """Later turns of each session (its state loaded, the same questions asked again); every turn computes its answer."""
    item = s5.get("c20_later") if isinstance(s5, dict) else None
    if not isinstance(item, dict) or item.get("p95") is None:
        return "— (no answer cache on the chat path)"
    return f"c=20, turns 2–30 of each session: p50 {_ms(item.get('p50'))} / p95 {_ms(item['p95'])}"


def _s5_figure(s5: dict) -> str:
    if "error" in s5:
        return "script failed: " + s5["error"].strip().splitlines()[-1][:200] if s5["error"].strip() else "script failed"
    parts = []
    for key in ("c1", "c20"):
        item = s5.get(key)
        if isinstance(item, dict) and "p95" in item:
            parts.append(
                f"{key.replace('c', 'c=')}: p50 {_ms(item.get('p50'))} / p95 {_ms(item['p95'])} "
                f"({item.get('turns')} turns, {item.get('errors')} errors)"
            )
    return "; ".join(parts) or str(s5)[:300]


def _s5_verdict(s5: dict) -> str:
    try:
        ok = s5["c20"]["p95"] <= 150 and s5["c1"]["p95"] <= 40 and not s5["c20"]["errors"] and not s5["c1"]["errors"]
        return _verdict(ok, s5["c20"]["p95"] <= 80)
    except (KeyError, TypeError):
        return "see script output"


def _table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines)


def _runs_table(results: dict) -> str:
    body = []
    for key, result in {**results["floors"], **results["load"]}.items():
        for i, run in enumerate(result["runs"], 1):
            extra = ""
            if run.get("after"):
                extra = f"overlaps {run['after'].get('overlaps')}"
            body.append(
                [
                    key,
                    str(i),
                    str(run["n"]),
                    _ms(run["p50"]),
                    _ms(run["p95"]),
                    f"{run['rps']:.0f}",
                    ", ".join(f"{k}×{v}" for k, v in sorted(run["statuses"].items())),
                    run.get("loadavg", ""),
                    extra,
                ]
            )
    return _table(["measurement", "run", "requests", "p50", "p95", "req/s", "statuses", "load avg at start", "check"], body)


def render(results: dict) -> str:
    m = results["machine"]
    qc = results.get("query_counts", {})
    s7 = results.get("s7", {})
    shape = results.get("s1_shape", {})
    quick = " (**--quick**: one run per figure, shorter loads — not the reference figures)" if results.get("quick") else ""
    text = f"""# Benchmarks (SPEC §9)

Generated by `make bench` (`.venv/bin/python bench/run.py`) on {m["date"]}{quick}.
Each load figure is the **median of {1 if results.get("quick") else 3} runs**; percentiles come from every
request's own latency (recorded by the locustfile), not from locust's rounded histogram.

## Machine

| | |
|---|---|
| CPUs (`nproc`) | {m["nproc"]} |
| CPU model | {m["cpu"]} |
| memory | {m["memory_gib"]} GiB |
| PostgreSQL | {m["postgresql"]} |
| Python | {m["python"]} |
| kernel | {m["kernel"]} |
| load generator | {m["locust"]} (FastHttpUser, same machine) |

Server: `uvicorn coresync.asgi:application --workers 2`, `DEBUG=0`, PostgreSQL through Django's psycopg
pool (`DB_POOL=1`), Redis cache/broker (`REDIS_URL` db 5), `BOOKING_RATE_LIMIT=1000000/hour`.
Load generator, server, PostgreSQL and Redis all share these {m["nproc"]} CPUs; the load average at the
start of each run is in the per-run table below (other work on the machine inflates it).

## Results
{_noise(results)}
{_table(["scenario", "cold figure: the figure of record (median of runs)", "warm figure (answer cache on)", "must reach", "aim", "floor (same run, same concurrency)", "verdict (cold)"], rows(results))}

Cold: the server runs with `AVAILABILITY_CACHE_SECONDS=0`, so every availability answer is computed, as it is
after any booking (every booking write retires the cached answers). Warm: a second server, same code and
database, with the answer cache on (60 s), asked the same question over and over.

Floors: `GET /bench/plain` (a plain `HttpResponse`) and `GET /bench/one-query` (a DRF view running one
indexed query), measured in the same run at the scenario's concurrency (c=1 for S1/S4, 16 for S2, 50 for S3).

## Data sets

- **spa-5k**: one location (America/New_York), open 09:00–21:00 every day, 15-minute grid, 2 h lead time;
  10 rooms in 3 types (4 treatment rooms, 3 facial suites, 3 nail studios); 20 technicians working 09:00–21:00
  daily (8 massage, 6 facial, 6 nails; every third also has a second skill); 40 services of 30/60/90/120 min
  (buffer 0 for 30 min, 15 otherwise) with non_member/base/premium prices; Base and Premium tiers; one Premium
  member (DRF token). **{results.get("counts_5k", {}).get("confirmed", "?"):,} confirmed and
  {results.get("counts_5k", {}).get("cancelled", "?"):,} cancelled** bookings over the next 90 days, inserted with
  `bulk_create`, placed so that no technician or room is double-booked (buffers included: the exclusion
  constraints accepted every row).
- **spa-20k**: the same catalog with **{results.get("counts_20k", {}).get("confirmed", "?"):,} confirmed and
  {results.get("counts_20k", {}).get("cancelled", "?"):,} cancelled** bookings. 10 rooms × 90 days × 12 h are
  648,000 room-minutes; 20,000 bookings of the spa-5k mix would need about 1.7 million, so spa-20k is a nearly
  full diary: mostly 30-minute services, about 40 % of room-days full and the other 60 % with one free
  stretch of 90 minutes. The 90-day query reads every active booking of the technicians and rooms that can
  serve the service (4× as many as on spa-5k), but few 60-minute starts remain free, so the answer is small.
- S1 answer sizes (service `deep-tissue-massage-60`): {_shape(shape)}.

## Queries per request (in-process, same database, after warm-up)

{_qc(qc)}

## S7 detail (slot engine alone)

Inputs built as `bookings.selectors.search_plan` builds them: 20 `TechnicianCalendar`s (weekly 09:00–21:00,
sorted busy intervals) and 10 `RoomCalendar`s from the same placement as the data sets, a 90-day `SlotQuery`
for a 60-minute service with a 15-minute buffer, and a long-lived `LocalClock` (as `local_clock()` caches it).
{_s7(s7)}

## Every run

{_runs_table(results)}
"""
    return text + _notes()


def _noise(results: dict) -> str:
    values = [run.get("background_cpu", 0) for r in {**results["floors"], **results["load"]}.values() for run in r["runs"]]
    if not values:
        return ""
    busy = sorted(values)[len(values) // 2]
    if busy < 0.25:
        return f"\nOther work on the machine before the runs: median {busy:.0%} CPU (quiet).\n"
    return (
        f"\n> **Noisy machine:** before the median run other processes already kept {busy:.0%} of the CPUs busy "
        f"(the bench waited up to its budget for them to settle). Latencies and throughputs below are pessimistic; "
        f"compare each figure with its floor, which was measured under the same conditions.\n"
    )


def _shape(shape: dict) -> str:
    parts = []
    for name, s in shape.items():
        parts.append(
            f"{name}: {s.get('slots_90')} starts / {s.get('bytes_90', 0) // 1024} KiB over 90 days, "
            f"{s.get('slots_3')} starts over 3 days"
        )
    return "; ".join(parts) or "—"


def _qc(qc: dict) -> str:
    if not qc or "error" in qc:
        return f"not measured: {qc.get('error', '')[-300:]}" if qc else "not measured"
    body = []
    for key, item in qc.items():
        body.append(
            [
                key,
                str(item["status"]),
                str(item["queries"]),
                "<br>".join(s.replace("|", "\\|")[:110] for s in item["sql"]),
                ", ".join(item["foreign_connections"]) or "none",
            ]
        )
    return _table(["request", "status", "queries", "SQL (truncated)", "non-PostgreSQL/Redis connections"], body)


def _s7(s7: dict) -> str:
    if not s7:
        return ""
    lines = ["", "| run | 5,000 bookings median (CPU) | 10,000 bookings median (CPU) | ratio (CPU ratio) |", "|---|---|---|---|"]
    for i, run in enumerate(s7["runs"], 1):
        b, d = run["base"], run["double"]
        lines.append(
            f"| {i} | {_ms(b['median_ms'])} ({_ms(b.get('cpu_median_ms'))}) | {_ms(d['median_ms'])} ({_ms(d.get('cpu_median_ms'))}) "
            f"| {run['ratio']:.2f} ({run.get('cpu_ratio', float('nan')):.2f}) |"
        )
    b, d = s7["base"], s7["double"]
    lines.append("")
    lines.append(
        f"{b['busy_intervals']:,} and {d['busy_intervals']:,} busy intervals; {b['slots']:,} and {d['slots']:,} "
        f"free starts found; {b['repeats']} timed calls per run after 3 warm-up calls."
    )
    return "\n".join(lines)


def _notes() -> str:
    from pathlib import Path

    here = Path(__file__).resolve().parent
    notes = here / "NOTES.md"
    text = "\n" + notes.read_text() if notes.exists() else ""
    # The scale-out load test (`make loadtest`, issue 16) writes its own fragment; it follows the notes.
    loadtest = here / "LOADTEST.md"
    if loadtest.exists():
        body = "\n".join(line for line in loadtest.read_text().splitlines() if not line.startswith("<!--"))
        text += "\n## Scale-out load test (issue 16, `make loadtest`)\n\n" + body.replace("### Load test", "Load test", 1) + "\n"
    return text
