"""Slow clients: do walls that stop reading slow the others down, stay connected, or hold memory?

Starts socialwall as `make run` does (`socialwall serve`, SQLite in a temporary folder) with
large posts queued (about 4,000 characters of text, a frame of about 9 KB). Two client processes
(bench/client.py) open the healthy walls. The driver then approves posts one after the other
(each one a timed round: approval → frame at every healthy wall, matched by post id):

1. without stalled walls: `--rounds` approvals, the healthy walls' latencies;
2. with stalled walls: 10% more walls connect, say hello, take their snapshot and then never
   read again (the client pauses reading, so its kernel buffers fill and the server's writes
   back up). Approvals go on, timed the same way, until the server has let go of every
   stalled wall (no socket of the server process is connected to it any more, per
   /proc/net/tcp and /proc/PID/fd) or `--max-seconds` pass;
3. after they were dropped: `--rounds` more approvals.

The server's RSS is sampled after every approval.

Reports healthy p50/p99 without and with the stalled walls (target: with ≤ 1.5x without), when
the server dropped the stalled walls (target: all, after a bound), and the RSS (target: bounded).

    .venv/bin/python bench/slow_clients.py [--healthy 900] [--stalled 100]

Prints a markdown table and writes it to bench/results/slow_clients.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any

from common import (
    AppServer,
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

TEXT_CHARS = 4000
PAUSE = 0.02  # between approvals: the server keeps sending
APPROVALS_PER_SECOND = 12  # at most, for as many posts as the run can need


class Phase:
    """The figures of one phase: healthy latencies, RSS samples, rounds."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.missing = 0
        self.rss: list[int] = []
        self.rounds = 0
        self.started = time.monotonic()

    def summary(self) -> dict[str, Any]:
        samples = [self.rss[len(self.rss) * i // 4] for i in range(4)] if self.rss else []
        return {"p50": percentile(self.latencies, 50), "p99": percentile(self.latencies, 99),
                "rss_trend": [*samples, *self.rss[-1:]],
                "missing": self.missing, "rounds": self.rounds,
                "rss_max": max(self.rss, default=0), "rss_last": self.rss[-1] if self.rss else 0,
                "seconds": time.monotonic() - self.started}


async def run(healthy: int, stalled: int, rounds: int, max_seconds: float) -> str:
    app = AppServer(bench_posts(3 * rounds + int(max_seconds * APPROVALS_PER_SECOND),
                                text_chars=TEXT_CHARS))
    with servers(app):
        app.start()
        workers = await Workers.start()
        try:
            async with app.client() as http:
                pending = await app.pending_ids(http)
                approver = await app.approver()

                async def round_(phase: Phase) -> None:
                    post_id = pending.pop(0)

                    async def approve() -> None:
                        await approver.approve(post_id)

                    await asyncio.sleep(PAUSE)
                    outcome = await workers.round("walls", approve,
                                                  needle=f'"post":{{"id":{post_id},')
                    phase.latencies.extend(outcome["latencies"])
                    phase.missing += outcome["missing"]
                    phase.rss.append(rss_kb(app.pid))
                    phase.rounds += 1

                await workers.connect("walls", app.ws_url, healthy)
                without = Phase()
                for _ in range(rounds):
                    await round_(without)
                print(f"without stalled walls: {_brief(without.summary())}", flush=True)

                await workers.connect("stalled", app.ws_url, stalled, stalled=True)
                ports = {p for r in await workers.each(cmd="ports", target="stalled")
                         for p in r["ports"]}
                with_stalled = Phase()
                dropped: dict[int, float] = {}
                while with_stalled.rounds < rounds or len(dropped) < len(ports):
                    if time.monotonic() - with_stalled.started > max_seconds or not pending:
                        break
                    await round_(with_stalled)
                    held = _held_ports(app.pid, app.port, ports)
                    for port in ports - held - dropped.keys():
                        dropped[port] = time.monotonic() - with_stalled.started
                print(f"with stalled walls: {_brief(with_stalled.summary())}; "
                      f"{len(dropped)}/{len(ports)} dropped", flush=True)
                after = Phase()
                for _ in range(min(rounds, len(pending))):
                    await round_(after)
                print(f"after they were dropped: {_brief(after.summary())}", flush=True)
                health = await workers.each(cmd="stats", target="walls")
                healthy_closed = sum(r["healthy"]["closed"] for r in health)
        finally:
            await workers.stop()
    return _report(healthy, stalled, [without.summary(), with_stalled.summary(), after.summary()],
                   sorted(dropped.values()), len(ports), healthy_closed)


def _held_ports(pid: int, server_port: int, client_ports: set[int]) -> set[int]:
    """The client ports that a socket of the server process is still connected to."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server_port and remote_port in client_ports \
                    and fields[9] in inodes:
                held.add(remote_port)
    return held


def _brief(summary: dict[str, Any]) -> str:
    trend = " → ".join(f"{kb / 1024:.0f}" for kb in summary["rss_trend"])
    return (f"p50 {ms(summary['p50'])} ms, p99 {ms(summary['p99'])} ms over "
            f"{summary['rounds']} approvals in {summary['seconds']:.0f} s, "
            f"RSS MiB {trend}")


def _report(healthy: int, stalled: int, phases: list[dict[str, Any]], dropped: list[float],
            total: int, healthy_closed: int) -> str:
    without, with_, after = phases
    ratio = with_["p99"] / without["p99"]
    all_dropped = len(dropped) == total
    drop_text = (f"{len(dropped)} of {total} dropped by the server"
                 + (f", {dropped[0]:.0f}–{dropped[-1]:.0f} s after they stopped reading "
                    f"(median {percentile(dropped, 50):.0f} s)" if dropped else ""))
    return "\n".join([
        "# Slow clients: walls that stop reading",
        "",
        f"{machine()}. {healthy} healthy walls; then {stalled} more that take their snapshot "
        f"and never read again. Posts of ~{TEXT_CHARS} characters, approved one after the "
        "other; latency in ms from the approval to the frame at every healthy wall.",
        "",
        "| | approvals | healthy p50 | healthy p99 | missing | server RSS max MiB |",
        "|--|--:|--:|--:|--:|--:|",
        *(f"| {name} | {phase['rounds']} | {ms(phase['p50'])} | {ms(phase['p99'])} "
          f"| {phase['missing']} | {phase['rss_max'] / 1024:.0f} |"
          for name, phase in zip(("without stalled walls", f"with {stalled} stalled walls",
                                  "after they were dropped"), phases, strict=True)),
        "",
        f"- healthy p99 with / without: **{ratio:.2f}x** (target ≤ 1.5x) "
        f"{'✅' if ratio <= 1.5 else '❌'}",
        f"- stalled walls: {drop_text} {'✅' if all_dropped else '❌'}",
        f"- healthy walls disconnected meanwhile: {healthy_closed}",
        f"- server RSS: {without['rss_last'] / 1024:.0f} MiB before the stall, at most "
        f"{with_['rss_max'] / 1024:.0f} MiB during it, {after['rss_max'] / 1024:.0f} MiB at "
        f"most after it ({after['rounds']} more approvals)",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=900, help="healthy walls [900]")
    parser.add_argument("--stalled", type=int, default=100, help="walls that stop reading [100]")
    parser.add_argument("--rounds", type=int, default=300,
                        help="timed approvals before and after the stall, and at least as many "
                             "during it [300]")
    parser.add_argument("--max-seconds", type=float, default=150,
                        help="give up waiting for the stalled walls to be dropped after [150]")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; leave bench/results/slow_clients.md alone")
    args = parser.parse_args()
    raise_fd_limit()
    report = asyncio.run(run(args.healthy, args.stalled, args.rounds, args.max_seconds))
    print(report)
    if not args.no_write:
        print(f"written to {write_result('slow_clients.md', report)}")


if __name__ == "__main__":
    main()
