"""Memory per idle wall: server RSS with no walls, then with N idle walls connected.

Starts socialwall as `make run` does (`socialwall serve`, SQLite in a temporary folder) and the
reference floor (bench/refserver.py) side by side. Both are warmed up with a few connections
(so that lazily imported code and first-use caches are not counted), then their VmRSS
(/proc/PID/status) is read with no walls connected and again after N walls have connected,
said hello, received their snapshot and sat idle for a few seconds (answering pings). The
clients offer permessage-deflate, as browsers do; the server decides whether to use it.
The walls stay connected from one N to the next (the next N adds walls).
Per wall = (RSS with N - RSS with none) / N.

    .venv/bin/python bench/memory.py [--sizes 1000,2000,5000]

Prints a markdown table and writes it to bench/results/memory.md.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from common import (
    AppServer,
    RefServer,
    Workers,
    bench_posts,
    machine,
    raise_fd_limit,
    rss_kb,
    servers,
    write_result,
)

TARGET_KB = 30
SETTLE = 5.0  # seconds idle before reading RSS: handshakes done, buffers released
WARM_UP = 20


async def run(sizes: list[int]) -> str:
    app = AppServer(bench_posts(30))
    ref = RefServer()
    rows: list[dict[str, Any]] = []
    with servers(app, ref):
        app.start()
        ref.start()
        async with app.client() as http:
            # A realistic snapshot: the wall's newest posts are approved.
            for post_id in (await app.pending_ids(http))[:30]:
                (await http.post(f"/api/posts/{post_id}/approve")).raise_for_status()
        workers = {"app": await Workers.start(), "ref": await Workers.start()}
        try:
            baseline = {name: await _baseline(workers[name], server)
                        for name, server in (("app", app), ("ref", ref))}
            print(f"no walls: app {baseline['app'] / 1024:.1f} MiB, "
                  f"ref {baseline['ref'] / 1024:.1f} MiB", flush=True)
            for size in sizes:
                row: dict[str, Any] = {"size": size}
                for name, server in (("app", app), ("ref", ref)):
                    await workers[name].connect("walls", server.ws_url, size)
                    await asyncio.sleep(SETTLE)
                    row[f"{name}_rss"] = rss = rss_kb(server.pid)
                    row[name] = (rss - baseline[name]) / size
                print(_row(row), flush=True)
                rows.append(row)
        finally:
            await asyncio.gather(*(w.stop() for w in workers.values()))
    return _report(rows, baseline)


async def _baseline(workers: Workers, server: AppServer | RefServer) -> int:
    """RSS of a server with no walls, after a few have come and gone (warm-up)."""
    await workers.connect("warm-up", server.ws_url, WARM_UP)
    await asyncio.sleep(1)
    await workers.each(cmd="close", target="warm-up")
    await asyncio.sleep(SETTLE)  # the server notices the walls leaving
    return rss_kb(server.pid)


def _row(row: dict[str, Any]) -> str:
    verdict = "✅" if row["app"] <= TARGET_KB else "❌"
    return (f"| {row['size']:,} | {row['app']:.1f} {verdict} | {row['ref']:.1f} "
            f"| {row['app'] / row['ref']:.2f}x "
            f"| {row['app_rss'] / 1024:.0f} / {row['ref_rss'] / 1024:.0f} |")


def _report(rows: list[dict[str, Any]], baseline: dict[str, int]) -> str:
    return "\n".join([
        "# Memory per idle wall",
        "",
        f"{machine()}. RSS with no walls: app {baseline['app'] / 1024:.1f} MiB, reference "
        f"{baseline['ref'] / 1024:.1f} MiB. Per wall = (RSS with N idle walls − RSS with "
        f"none) / N, in KiB. Target: app ≤ {TARGET_KB} KB per idle wall.",
        "",
        "| N | app KiB/wall | ref KiB/wall | ratio | RSS MiB app / ref |",
        "|--:|--:|--:|--:|--:|",
        *(_row(row) for row in rows),
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,5000",
                        help="idle wall counts, comma-separated [1000,2000,5000]")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; leave bench/results/memory.md alone")
    args = parser.parse_args()
    raise_fd_limit()
    report = asyncio.run(run([int(s) for s in args.sizes.split(",")]))
    print(report)
    if not args.no_write:
        print(f"written to {write_result('memory.md', report)}")


if __name__ == "__main__":
    main()
