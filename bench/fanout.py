"""Fan-out latency: from an approval to the change frame arriving at N connected walls.

Starts socialwall as `make run` does (`socialwall serve`, SQLite in a temporary folder) and the
reference floor (bench/refserver.py: a minimal `websockets` broadcast() server) side by side.
Two client processes (bench/client.py, one per core) open N wall connections to each server,
send the hello and wait for the snapshot. Then, round after round and alternating which server
goes first, the driver arms the clients, notes t0 and triggers one frame: for the app it approves
a pending post over HTTP (POST /api/posts/{id}/approve, on a kept-alive connection written by
hand: see common.Approver), for the reference it sends the app's
change frame of the first round to be broadcast. Each client notes when the frame arrives;
latency = arrival - t0 (time.monotonic, the system-wide CLOCK_MONOTONIC, in every process).

    .venv/bin/python bench/fanout.py [--sizes 100,1000,5000] [--rounds 30]

Prints a markdown table and writes it to bench/results/fanout.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from common import (
    Approver,
    AppServer,
    RefServer,
    Workers,
    bench_posts,
    machine,
    ms,
    percentile,
    raise_fd_limit,
    rss_kb,
    servers,
    write_result,
)
from websockets.asyncio.client import connect

TRIGGER_HELLO = json.dumps({"type": "hello", "role": "trigger"})
VERBOSE = False
PAUSE = 0.2  # between rounds, so one round's stragglers never overlap the next trigger


async def run(sizes: list[int], rounds: int) -> str:
    app = AppServer(bench_posts(rounds * len(sizes) + 10))
    ref = RefServer()
    with servers(app, ref):
        app.start()
        ref.start()
        workers = await Workers.start()
        try:
            async with app.client() as http, \
                    connect(ref.ws_url, compression=None, max_size=None) as trigger:
                await trigger.send(TRIGGER_HELLO)
                pending = await app.pending_ids(http)
                approver = await app.approver()
                approve = _approver(approver, pending)
                rows = []
                await workers.connect("app", app.ws_url, 1)
                frame = (await workers.round("app", approve))["sample"]
                assert frame, "the warm-up approval reached no wall"

                async def broadcast() -> None:
                    await trigger.send(frame)

                for size in sizes:
                    started = time.monotonic()
                    await workers.connect("app", app.ws_url, size)
                    await workers.connect("ref", ref.ws_url, size)
                    print(f"N={size}: connected in {time.monotonic() - started:.1f} s",
                          flush=True)
                    rows.append(await _measure(workers, size, rounds, approve, broadcast))
                    rows[-1].update(app_rss=rss_kb(app.pid), ref_rss=rss_kb(ref.pid))
                    print(_row(rows[-1]), flush=True)
        finally:
            await workers.stop()
    return _report(rows, rounds, len(frame.encode()))


def _approver(approver: Approver, pending: list[int]) -> Callable[[], Awaitable[None]]:
    ids = iter(pending)

    async def approve() -> None:
        await approver.approve(next(ids))

    return approve


async def _measure(workers: Workers, size: int, rounds: int,
                   approve: Callable[[], Awaitable[None]],
                   broadcast: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    results: dict[str, list[float]] = {"app": [], "ref": []}
    round_p99: dict[str, list[float]] = {"app": [], "ref": []}
    missing = {"app": 0, "ref": 0}
    approvals: list[float] = []
    triggers = {"app": approve, "ref": broadcast}
    for number in range(rounds):
        order = ("app", "ref") if number % 2 == 0 else ("ref", "app")
        for target in order:
            outcome = await workers.round(target, triggers[target])
            results[target].extend(outcome["latencies"])
            round_p99[target].append(percentile(outcome["latencies"], 99))
            if VERBOSE:
                lat = outcome["latencies"]
                print(f"  round {number} {target}: p50 {ms(percentile(lat, 50))} "
                      f"p99 {ms(percentile(lat, 99))} max {ms(max(lat))} ms; "
                      f"trigger took {ms(outcome['trigger'])} ms", flush=True)
            missing[target] += outcome["missing"]
            if target == "app":
                approvals.append(outcome["trigger"])
            await asyncio.sleep(PAUSE)
    return {"size": size, **{
        f"{target}_{name}": percentile(values, p)
        for target, values in results.items() for name, p in (("p50", 50), ("p99", 99))
    }, "app_missing": missing["app"], "ref_missing": missing["ref"],
            "approval_p50": percentile(approvals, 50),
            **{f"{target}_round_p99": percentile(values, 50)
               for target, values in round_p99.items()}}


def _row(row: dict[str, Any]) -> str:
    ratio50 = row["app_p50"] / row["ref_p50"]
    ratio99 = row["app_p99"] / row["ref_p99"]
    target = "" if row["size"] < 1000 else (" ✅" if ratio99 <= 1.25 else " ❌")
    return (f"| {row['size']:,} | {ms(row['app_p50'])} | {ms(row['app_p99'])} "
            f"| {ms(row['ref_p50'])} | {ms(row['ref_p99'])} | {ratio50:.2f}x "
            f"| {ratio99:.2f}x{target} "
            f"| {ms(row['app_round_p99'])} / {ms(row['ref_round_p99'])} "
            f"| {ms(row['approval_p50'])} "
            f"| {row['app_missing']} / {row['ref_missing']} "
            f"| {row['app_rss'] / 1024:.0f} / {row['ref_rss'] / 1024:.0f} |")


def _report(rows: list[dict[str, Any]], rounds: int, frame_bytes: int) -> str:
    lines = [
        "# Fan-out latency: approval → change frame at N walls",
        "",
        f"{machine()}. {rounds} rounds per N, app and reference alternating; "
        f"frame {frame_bytes} bytes; 2 client processes. Latency in ms from the trigger "
        "(app: HTTP approval, reference: trigger message) to the frame's arrival at each "
        "wall, over all walls and rounds. Target: app p99 ≤ 1.25x the reference at 1,000 "
        "and 5,000. \"approval request\": how long the approving HTTP request took (it "
        "includes this process's fan-out, which runs before the response is built; the "
        "reference's trigger takes ~0.2 ms). "
        "\"typical round p99\": the median over rounds of each round's p99 (the pooled p99 "
        "is set by the worst rounds).",
        "",
        "| N | app p50 | app p99 | ref p50 | ref p99 | p50 ratio | p99 ratio "
        "| typical round p99 app / ref | approval request p50 | missing app / ref "
        "| RSS MiB app / ref |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        *(_row(row) for row in rows),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000",
                        help="connection counts, comma-separated [100,1000,5000]")
    parser.add_argument("--rounds", type=int, default=30, help="frames per N and server [30]")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; leave bench/results/fanout.md alone")
    parser.add_argument("--verbose", action="store_true", help="print every round's figures")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    raise_fd_limit()
    report = asyncio.run(run([int(s) for s in args.sizes.split(",")], args.rounds))
    print(report)
    if not args.no_write:
        print(f"written to {write_result('fanout.md', report)}")


if __name__ == "__main__":
    main()
