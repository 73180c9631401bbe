"""Browser benchmark of the wall page in headless Chromium (measured here, not asserted in tests).

1. Approval -> visible: socialwall runs as its own process (`socialwall serve`, SQLite in a temp
   dir); a demo source has queued a few hundred posts. For each post, one at a time, the time from
   just before `POST /api/posts/{id}/approve` to the moment its card (an element with
   `data-post-id`) is added to the wall page's DOM, taken by a MutationObserver in the page. The
   same is measured against a floor: a tiny page whose script appends a <div data-post-id> per
   websocket frame, served by a minimal starlette app that broadcasts a frame per POST.
2. Replay: 10,000 approvals (bulk API, as fast as the server takes them) to a wall with
   max_posts 30. Every 1,000 applied posts (body[data-seq]) the DOM size and the JS heap are
   sampled after a forced GC (Chrome DevTools Protocol).

    .venv/bin/python bench/browser.py            # full run, writes bench/results/browser.md
    .venv/bin/python bench/browser.py --quick    # a short run, prints only

Everything stays on 127.0.0.1. Chromium is the system one (/usr/bin/chromium, or
$SOCIALWALL_CHROMIUM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_DATA = ROOT / "ingest" / "demo_data"
RESULTS = ROOT / "bench" / "results" / "browser.md"
CHROMIUM = os.environ.get("SOCIALWALL_CHROMIUM", "/usr/bin/chromium")
# As in tests/browser.py.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic",
                 "--disable-sync"]
VIEWPORT = {"width": 1920, "height": 1080}
MAX_POSTS = 30
BULK_SIZE = 200  # the API's limit per bulk request
WARMUP = 5  # approvals per page not counted (first frames, JIT, image decoders)
SETTLE_SECONDS = 7.0  # longer than the grid's 6 s "fresh" glow timer, before the final sample
PASSWORD = "bench-password-not-secret"

# --------------------------------------------------------------------------------------------
# In-page instrumentation (run through page.evaluate, which the page's CSP does not restrict).

# Records, for each data-post-id seen for the first time, the epoch time (ms) at which the
# element was added, then the time of the next animation frame; reports both to Python.
OBSERVE_JS = """() => {
  if (window.__benchObserver) return;
  const seen = new Set();
  const now = () => performance.timeOrigin + performance.now();
  const found = (id, tDom) => {
    if (seen.has(id)) return;
    seen.add(id);
    const tFrame = window.__benchFrames ? window.__benchFrames.get(id) : undefined;
    if (window.__benchFrames) window.__benchFrames.delete(id);
    requestAnimationFrame(() => window.__benchSeen(id, tFrame === undefined ? null : tFrame,
                                                   tDom, now()));
  };
  window.__benchObserver = new MutationObserver((records) => {
    const tDom = now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.dataset && node.dataset.postId) found(node.dataset.postId, tDom);
        for (const inner of node.querySelectorAll('[data-post-id]')) {
          found(inner.dataset.postId, tDom);
        }
      }
    }
  });
  window.__benchObserver.observe(document.body, { childList: true, subtree: true });
}"""

# Installed before the page's own scripts (add_init_script): notes when the page's websocket
# hands a frame carrying a post to the page's script, by post id (a listener registered before
# the page's own). Only on the latency pages.
FRAME_HOOK_JS = """(() => {
  const Native = window.WebSocket;
  const arrivals = new Map();
  window.__benchFrames = arrivals;
  class BenchSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const t = performance.timeOrigin + performance.now();
        try {
          const frame = JSON.parse(event.data);
          if (frame && frame.post && frame.post.id !== undefined) {
            const id = String(frame.post.id);
            if (!arrivals.has(id)) arrivals.set(id, t);
          }
        } catch (err) {
          // not JSON: not ours to judge
        }
      });
    }
  }
  window.WebSocket = BenchSocket;
})();"""

# For the replay: counts cards that came on screen (post ids only rise in a replay, so a card
# with a higher id than any before is new), with constant memory.
COUNT_CARDS_JS = """() => {
  if (window.__benchCards) return;
  const state = { shown: 0, maxId: 0 };
  window.__benchCards = state;
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1 || !node.dataset || !node.dataset.postId) continue;
        const id = Number(node.dataset.postId);
        if (id > state.maxId) { state.maxId = id; state.shown += 1; }
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""

PAGE_CLOCK_JS = "() => performance.timeOrigin + performance.now()"

DOM_STATS_JS = """() => ({
  seq: Number(document.body.dataset.seq || 0),
  elements: document.getElementsByTagName('*').length,
  cards: document.querySelectorAll('[data-post-id]').length,
  images: document.images.length,
  animations: document.getAnimations().length,
  state: document.body.dataset.state,
  shown: window.__benchCards ? window.__benchCards.shown : -1,
  inDocument: (() => {
    let n = 1;
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    while (walker.nextNode()) n += 1;
    return n;
  })(),
})"""

# --------------------------------------------------------------------------------------------
# The floor: a minimal page and server, for reference.

FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title>
<script src="/floor.js" defer></script></head>
<body data-state="connecting" data-seq=""><main id="posts"></main></body></html>
"""

FLOOR_JS = """
const list = document.getElementById("posts");
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.addEventListener("open", () => { document.body.dataset.state = "live"; });
ws.addEventListener("message", (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type !== "change" || !frame.post) return;
  const div = document.createElement("div");
  div.dataset.postId = String(frame.post.id);
  div.textContent = frame.post.text;
  list.prepend(div);
  while (list.childElementCount > 30) list.lastElementChild.remove();
  document.body.dataset.seq = String(frame.seq);
});
"""

# A post payload of the same shape and about the size of the app's (docs/protocol.md).
FLOOR_POST = {
    "source": "demo", "url": None,
    "author": {"name": "Anna Weiß", "handle": "@anna.weiss@social.brandt.example",
               "avatar_url": "/demo-media/avatar-anna.png", "profile_url": None},
    "text": "Guten Morgen aus Halle 3! Der Leadership Summit 2026 ist eröffnet: 180 "
            "Führungskräfte, ein Werk, ein Ziel. #Summit26 #Werkstolz",
    "html": "<p>Guten Morgen aus Halle 3! Der Leadership Summit 2026 ist eröffnet: 180 "
            "Führungskräfte, ein Werk, ein Ziel. #Summit26 #Werkstolz</p>",
    "lang": "de", "hashtags": ["Summit26", "Werkstolz"],
    "media": [{"kind": "image", "url": "/demo-media/halle.jpg", "preview_url": None,
               "alt": "Halle", "width": 1200, "height": 800}],
    "content_warning": None, "sensitive": False, "created_at": "2026-11-22T09:15:00Z",
    "pinned": False,
}


def floor_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    queues: set[asyncio.Queue[str]] = set()
    counter = {"seq": 0}

    async def index(_: Request) -> Response:
        return HTMLResponse(FLOOR_HTML)

    async def script(_: Request) -> Response:
        return Response(FLOOR_JS, media_type="text/javascript")

    async def publish(request: Request) -> Response:
        counter["seq"] += 1
        post_id = int(request.path_params["post_id"])
        frame = json.dumps({"type": "change", "seq": counter["seq"], "kind": "approved",
                            "post": {**FLOOR_POST, "id": post_id}})
        for queue in list(queues):
            queue.put_nowait(frame)
        return JSONResponse({"id": post_id, "seq": counter["seq"]})

    async def socket_route(websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.add(queue)
        try:
            while True:
                await websocket.send_text(await queue.get())
        except Exception:  # the page went away (closed socket)
            pass
        finally:
            queues.discard(queue)

    return Starlette(routes=[Route("/", index), Route("/floor.js", script),
                             Route("/post/{post_id:int}", publish, methods=["POST"]),
                             WebSocketRoute("/ws", socket_route)])


def serve_floor(port: int) -> None:
    import uvicorn

    uvicorn.run(floor_app(), host="127.0.0.1", port=port, log_level="warning")


# --------------------------------------------------------------------------------------------
# Set-up: posts files, config, processes.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_posts(path: Path, count: int, prefix: str) -> Path:
    """`count` posts in the demo format, built from the bundled demo posts: every third one has
    an image (the bundled illustrations in turn), most have an avatar."""
    base = json.loads((DEMO_DATA / "posts.json").read_text(encoding="utf-8"))
    images = sorted(p.name for p in DEMO_DATA.glob("*.jpg"))
    entries = []
    for i in range(count):
        model = base[i % len(base)]
        media = []
        if i % 3 == 0:
            media = [{"file": images[(i // 3) % len(images)], "alt": f"Bild {i}"}]
        entries.append({
            "id": f"{prefix}-{i:05d}",
            "author": model["author"],
            "text": f"{model['text']} ({prefix} {i})",
            "lang": model.get("lang", "de"),
            "media": media,
            "content_warning": None,
            "sensitive": False,
        })
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def write_config(workdir: Path, port: int, latency_posts: Path, replay_posts: Path) -> Path:
    def event(slug: str, posts: Path) -> dict[str, Any]:
        return {
            "slug": slug, "name": f"Bench {slug}", "hashtags": ["Werkstolz"],
            "walls": [{"slug": slug, "title": f"Bench {slug}", "layout": "grid",
                       "max_posts": MAX_POSTS, "pace_seconds": 0, "rotate_seconds": 0}],
            "sources": [{"type": "demo", "name": "demo", "interval_seconds": 0, "loop": False,
                         "auto_approve": False, "posts_file": str(posts)}],
        }

    config = {
        "server": {"host": "127.0.0.1", "port": port},
        "database": {"url": f"sqlite:///{workdir / 'bench.db'}"},
        "media": {"cache_dir": str(workdir / "media")},
        "events": [event("latency", latency_posts), event("replay", replay_posts)],
    }
    path = workdir / "config.yaml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def socialwall_command() -> list[str]:
    beside = Path(sys.executable).parent / "socialwall"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("socialwall")
    if found:
        return [found]
    raise SystemExit("socialwall is not installed: run `pip install -e .` in the venv")


def make_token(config: Path) -> str:
    command = socialwall_command()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run([*command, "users", "add", "bench", "--role", "organizer",
                    "--config", str(config)], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True, env=env, cwd=config.parent)
    done = subprocess.run([*command, "token", "create", "bench", "--config", str(config)],
                          text=True, check=True, capture_output=True, env=env,
                          cwd=config.parent)
    return done.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def process(command: list[str], log: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


async def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path,
                    timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{url}: the server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url)
                return
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


async def wait_ingested(api: httpx.AsyncClient, event: str, count: int,
                        timeout: float = 300) -> float:
    """Wait until `count` posts of the event are queued; returns the seconds it took."""
    start = time.monotonic()
    while True:
        answer = (await api.get("/api/posts", params={"event": event, "limit": 1})).json()
        if answer["counts"]["pending"] >= count:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise SystemExit(f"only {answer['counts']['pending']} of {count} posts of {event!r} "
                             f"were ingested within {timeout} s")
        await asyncio.sleep(0.5)


async def pending_ids(api: httpx.AsyncClient, event: str) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"event": event, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        answer = (await api.get("/api/posts", params=params)).json()
        ids.extend(item["id"] for item in answer["items"])
        cursor = answer.get("next_cursor")
        if not cursor:
            return sorted(set(ids))


# --------------------------------------------------------------------------------------------
# Browser helpers.



@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def open_page(browser: Any, *, frame_hook: bool = False) -> AsyncIterator[Any]:
    """A page in a fresh context (no sessionStorage from earlier pages) at 1920x1080."""
    context = await browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        page = await context.new_page()
        if frame_hook:
            await page.add_init_script(FRAME_HOOK_JS)
        page.on("pageerror", lambda error: print(f"  page error: {error}", file=sys.stderr))
        yield page
    finally:
        await context.close()


async def go_live(page: Any, url: str) -> None:
    await page.goto(url)
    await page.wait_for_selector('body[data-state="live"]', state="attached", timeout=20_000)


async def clock_offset(page: Any, rounds: int = 25) -> tuple[float, float]:
    """(page clock - Python clock, uncertainty), both in ms, from the round trip with the
    smallest delay: the page's performance.timeOrigin + now() against time.time()."""
    best: tuple[float, float] | None = None
    for _ in range(rounds):
        before = time.time()
        page_ms = await page.evaluate(PAGE_CLOCK_JS)
        after = time.time()
        half = (after - before) * 500
        offset = page_ms - (before + after) * 500
        if best is None or half < best[1]:
            best = (offset, half)
    assert best is not None
    return best


MAIN_THREAD = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration",
               "RecalcStyleCount", "LayoutCount")


async def perf_metrics(cdp: Any) -> dict[str, float]:
    """Chrome's Performance.getMetrics (Performance.enable must have been sent)."""
    return {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}


def per_post(before: dict[str, float], after: dict[str, float], posts: int) -> dict[str, float]:
    """Main-thread cost per post: durations in ms, counts as counts."""
    scale = {name: (1000.0 if name.endswith("Duration") else 1.0) for name in MAIN_THREAD}
    return {name: (after.get(name, 0) - before.get(name, 0)) * scale[name] / max(1, posts)
            for name in MAIN_THREAD}


@dataclass
class Sample:
    request_ms: float  # HTTP round trip of the approve (or floor publish) request
    network_ms: float | None  # just before the request -> the frame at a Python ws client
    script_ms: float | None  # just before the request -> the frame handed to the page's script
    dom_ms: float  # just before the request -> element in the DOM
    frame_ms: float  # just before the request -> start of the next animation frame


@dataclass
class LatencyRun:
    name: str
    samples: list[Sample] = field(default_factory=list)
    offsets: list[tuple[float, float]] = field(default_factory=list)
    timeouts: int = 0
    cost: dict[str, float] = field(default_factory=dict)  # main thread per post


def run_probe(url: str) -> None:
    """The --probe mode: a websocket client in a process of its own (so that the benchmark's
    own event loop does not delay it) that notes when each frame carrying a post arrives; prints
    `ready` once subscribed, and the arrival times as JSON once stdin closes."""
    import threading

    from websockets.asyncio.client import connect

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)),
                         daemon=True).start()
        at: dict[str, float] = {}
        async with connect(url, max_size=None) as ws:
            if "/ws/wall/" in url:
                await ws.send(json.dumps({"type": "hello", "last_seq": None}))
            print("ready", flush=True)

            async def listen() -> None:
                async for message in ws:
                    t = time.time() * 1000
                    frame = json.loads(message)
                    post = frame.get("post") if isinstance(frame, dict) else None
                    if isinstance(post, dict) and "id" in post:
                        at.setdefault(str(post["id"]), t)
                    elif isinstance(frame, dict) and frame.get("type") == "ping":
                        await ws.send(json.dumps({"type": "pong"}))

            listener = asyncio.create_task(listen())
            await done.wait()
            listener.cancel()
        print(json.dumps(at), flush=True)

    asyncio.run(main())


class SocketProbe:
    """Runs `--probe` beside the page: when each frame reached a plain websocket client of the
    same wall (or floor) on this machine, without a browser, in epoch ms."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.at: dict[str, float] = {}
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> SocketProbe:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "--probe", self.url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise SystemExit(f"the websocket probe of {self.url} did not start")
        return self

    async def collect(self) -> None:
        """Stop the probe and read what it saw."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        out, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        self.at = json.loads(out.decode().strip().splitlines()[-1])

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def measure_latency(page: Any, cdp: Any, probe: SocketProbe, name: str,
                          post_ids: list[int], trigger: Any) -> LatencyRun:
    """Approve (trigger) each post in turn; wait for its card before the next one."""
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[tuple[float | None, float, float]]] = {}

    def seen(post_id: str, t_script: float | None, t_dom: float, t_frame: float) -> None:
        future = waiting.pop(str(post_id), None)
        if future is not None and not future.done():
            future.set_result((t_script, t_dom, t_frame))

    await page.expose_function("__benchSeen", seen)
    await page.evaluate(OBSERVE_JS)
    run = LatencyRun(name)
    run.offsets.append(await clock_offset(page))
    await cdp.send("Performance.enable")
    before = await perf_metrics(cdp)
    sent: list[tuple[str, float]] = []  # post id, t0 in epoch ms, per sample
    for index, post_id in enumerate(post_ids):
        future: asyncio.Future[tuple[float | None, float, float]] = loop.create_future()
        waiting[str(post_id)] = future
        t0 = time.time()
        await trigger(post_id)
        t1 = time.time()
        try:
            t_script, t_dom, t_frame = await asyncio.wait_for(future, 10)
        except TimeoutError:
            run.timeouts += 1
            waiting.pop(str(post_id), None)
            continue
        await asyncio.sleep(random.uniform(0.05, 0.1))
        if index < WARMUP:
            continue
        page_t0 = t0 * 1000 + run.offsets[0][0]  # t0 on the page's clock
        sent.append((str(post_id), t0 * 1000))
        run.samples.append(Sample(
            request_ms=(t1 - t0) * 1000,
            network_ms=None,
            script_ms=None if t_script is None else t_script - page_t0,
            dom_ms=t_dom - page_t0,
            frame_ms=t_frame - page_t0))
    run.cost = per_post(before, await perf_metrics(cdp), len(post_ids))
    run.offsets.append(await clock_offset(page))
    await probe.collect()
    for sample, (key, t0_ms) in zip(run.samples, sent, strict=True):
        if key in probe.at:
            sample.network_ms = probe.at[key] - t0_ms
    return run


async def latency_page(browser: Any, url: str, socket_url: str, name: str, post_ids: list[int],
                       trigger: Any) -> LatencyRun:
    async with open_page(browser, frame_hook=True) as page, \
            SocketProbe(socket_url) as probe:
        cdp = await page.context.new_cdp_session(page)
        await go_live(page, url)
        return await measure_latency(page, cdp, probe, name, post_ids, trigger)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# Replay.


@dataclass
class HeapSample:
    label: str
    seq: int
    elements: int
    cards: int
    images: int
    nodes: int  # CDP Performance "Nodes": all live DOM nodes, attached or not
    in_document: int  # nodes in the document (all kinds, text too)
    listeners: int  # CDP Performance "JSEventListeners"
    heap_mb: float  # Runtime.getHeapUsage usedSize after HeapProfiler.collectGarbage
    shown: int  # cards that came on screen since the replay started
    seconds: float  # since the replay started

    @property
    def outside(self) -> int:
        """Live nodes not in the document: detached, or in other (parsed) documents."""
        return self.nodes - self.in_document


@dataclass
class ReplayRun:
    posts: int
    window: int | None  # approvals wait while the page is this far behind (None: never)
    samples: list[HeapSample] = field(default_factory=list)
    cost: dict[str, float] = field(default_factory=dict)  # main thread per card shown
    approve_seconds: float = 0.0
    apply_seconds: float = 0.0
    websockets: int = 0
    failed: int = 0


async def heap_sample(page: Any, cdp: Any, label: str, start: float) -> HeapSample:
    await cdp.send("HeapProfiler.collectGarbage")
    await cdp.send("HeapProfiler.collectGarbage")
    heap = await cdp.send("Runtime.getHeapUsage")
    metrics = {m["name"]: m["value"]
               for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    dom = await page.evaluate(DOM_STATS_JS)
    return HeapSample(label, int(dom["seq"]), int(dom["elements"]), int(dom["cards"]),
                      int(dom["images"]), int(metrics.get("Nodes", -1)), int(dom["inDocument"]),
                      int(metrics.get("JSEventListeners", -1)), heap["usedSize"] / 2**20,
                      int(dom["shown"]), time.monotonic() - start)


class SeqWatch:
    """The page's body[data-seq] as the page reports it through a binding each time it
    crosses a multiple of `step` (or reaches `last`): polling from outside would wait for the
    page to be idle, which a page that is behind never is."""

    def __init__(self, step: int, last: int) -> None:
        self.step = step
        self.last = last
        self.seq = 0
        self.moved = asyncio.Event()
        self.approver: asyncio.Task[None] | None = None

    async def install(self, page: Any) -> None:
        await page.expose_function("__benchSeq", self.update)
        self.seq = int(await page.evaluate(
            """([step, last]) => {
              const seqOf = () => Number(document.body.dataset.seq || 0);
              let next = Math.floor(seqOf() / step) * step + step;
              new MutationObserver(() => {
                const seq = seqOf();
                if (seq >= next || seq === last) {
                  next = Math.floor(seq / step) * step + step;
                  window.__benchSeq(seq);
                }
              }).observe(document.body, { attributes: true, attributeFilter: ["data-seq"] });
              return seqOf();
            }""", [self.step, self.last]))

    def update(self, seq: int) -> None:
        self.seq = max(self.seq, int(seq))
        self.moved.set()

    async def reach(self, seq: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.seq < seq:
            if self.approver is not None and self.approver.done():
                self.approver.result()  # raises if approving failed
            self.moved.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"the page did not reach seq {seq} within {timeout:.0f} s "
                                 f"(it is at {self.seq})")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.moved.wait(), min(left, 1.0))


async def measure_replay(page: Any, api: httpx.AsyncClient, post_ids: list[int],
                         sample_every: int, window: int | None) -> ReplayRun:
    run = ReplayRun(len(post_ids), window)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    await page.evaluate(COUNT_CARDS_JS)
    base_seq = int((await page.evaluate(DOM_STATS_JS))["seq"])
    watch = SeqWatch(math.gcd(sample_every, 100), base_seq + len(post_ids))
    await watch.install(page)
    start = time.monotonic()
    run.samples.append(await heap_sample(page, cdp, "before", start))
    before = await perf_metrics(cdp)

    async def approve_all() -> None:
        for i in range(0, len(post_ids), BULK_SIZE):
            if window is not None:
                await watch.reach(base_seq + i - window)
            answer = await api.post("/api/posts/bulk", json={
                "ids": post_ids[i:i + BULK_SIZE], "action": "approve"})
            answer.raise_for_status()
            run.failed += sum(1 for r in answer.json()["results"] if not r["ok"])
        run.approve_seconds = time.monotonic() - start

    watch.approver = asyncio.create_task(approve_all())
    try:
        for target in range(sample_every, len(post_ids) + 1, sample_every):
            if run.samples[-1].seq >= base_seq + target:
                continue  # the page jumped past this mark (a snapshot) before the last sample
            await watch.reach(base_seq + target)
            run.samples.append(await heap_sample(page, cdp, f"{target:,}", start))
        await watch.approver
        await watch.reach(base_seq + len(post_ids))
        run.apply_seconds = time.monotonic() - start
        shown = int((await page.evaluate(DOM_STATS_JS))["shown"])
        run.cost = per_post(before, await perf_metrics(cdp), shown)
        await asyncio.sleep(SETTLE_SECONDS)
        run.samples.append(await heap_sample(page, cdp, f"+{SETTLE_SECONDS:g} s idle", start))
    finally:
        if not watch.approver.done():
            watch.approver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch.approver
    for sample in run.samples:
        sample.seq -= base_seq
    return run


# --------------------------------------------------------------------------------------------
# Report.


def stats_row(page: str, what: str, values: list[float]) -> str:
    return (f"| {page} | {what} | {len(values)} | {percentile(values, 50):.1f} | "
            f"{percentile(values, 95):.1f} | {percentile(values, 99):.1f} | {max(values):.1f} | "
            f"{sum(values) / len(values):.1f} |")


def latency_table(runs: list[LatencyRun]) -> str:
    lines = ["| page | from → to | n | p50 ms | p95 ms | p99 ms | max ms | mean ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]

    def spans(run: LatencyRun) -> list[tuple[str, list[float]]]:
        samples = run.samples
        net = [(s.network_ms, s) for s in samples if s.network_ms is not None]
        script = [(s.script_ms, s) for s in samples if s.script_ms is not None]
        both = [(s.network_ms, s.script_ms) for s in samples
                if s.network_ms is not None and s.script_ms is not None]
        return [
            ("request sent → response (HTTP round trip)", [s.request_ms for s in samples]),
            ("request sent → frame at a plain websocket client", [t for t, _ in net]),
            ("frame at the plain client → frame at the page's script",
             [b - a for a, b in both]),
            ("the page's script → card in DOM", [s.dom_ms - t for t, s in script]),
            ("**request sent → card in DOM**", [s.dom_ms for s in samples]),
            ("request sent → next animation frame", [s.frame_ms for s in samples]),
        ]

    for run in runs:
        for what, values in spans(run):
            if values:
                lines.append(stats_row(run.name, what, values))
    return "\n".join(lines)


def cost_table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| page | main thread ms | script ms | style recalc ms | layout ms "
             "| style recalcs | layouts |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, cost in rows:
        if not cost:
            continue
        lines.append(f"| {name} | {cost['TaskDuration']:.1f} | {cost['ScriptDuration']:.1f} | "
                     f"{cost['RecalcStyleDuration']:.1f} | {cost['LayoutDuration']:.1f} | "
                     f"{cost['RecalcStyleCount']:.1f} | {cost['LayoutCount']:.1f} |")
    return "\n".join(lines)


def clock_notes(runs: list[LatencyRun]) -> str:
    notes = []
    for run in runs:
        parts = ", ".join(f"{o:+.2f} ms (±{u:.2f})" for o, u in run.offsets)
        lost = f"; {run.timeouts} post(s) never appeared within 10 s" if run.timeouts else ""
        notes.append(f"- {run.name}: page clock − Python clock, before/after: {parts}{lost}")
    return "\n".join(notes)


def replay_table(run: ReplayRun) -> str:
    lines = ["| applied (data-seq) | cards shown | s | elements | cards | `<img>` "
             "| nodes in document | other live nodes | JS listeners | JS heap used MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in run.samples:
        label = s.label if not s.label[0].isdigit() else f"{s.seq:,}"
        lines.append(f"| {label} | {s.shown:,} | {s.seconds:.1f} | {s.elements} | {s.cards} | "
                     f"{s.images} | {s.in_document:,} | {s.outside:,} | {s.listeners:,} | "
                     f"{s.heap_mb:.2f} |")
    return "\n".join(lines)


def replay_summary(run: ReplayRun) -> str:
    full = [s for s in run.samples if s.seq >= MAX_POSTS]
    if len(full) < 2:
        return "(too few samples for a ratio)"
    base, first, last = run.samples[0], full[0], full[-1]

    def row(name: str, a: float, b: float, fmt: str = "{:,.0f}") -> str:
        ratio = f"{b / a:.2f}" if a else "n/a"
        return f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |"

    shown = last.shown
    rate = shown / run.apply_seconds if run.apply_seconds else 0.0
    kept = (last.outside - base.outside) / shown if shown else 0.0
    paced = ("as fast as the server takes them" if run.window is None else
             f"held back whenever the page was {run.window:,} or more behind")
    lines = [
        f"First sample with a full wall ({first.seq:,} applied, {first.shown:,} cards shown) vs "
        f"the last ({last.label}, {last.seq:,} applied, {last.shown:,} cards shown):",
        "",
        "| metric | first | last | last/first |",
        "|---|---:|---:|---:|",
        row("DOM elements in the document", first.elements, last.elements),
        row("DOM nodes, all live (CDP `Nodes`)", first.nodes, last.nodes),
        row("live nodes outside the document", first.outside, last.outside),
        row("JS event listeners", first.listeners, last.listeners),
        row("JS heap used MB", first.heap_mb, last.heap_mb, "{:.2f}"),
        "",
        f"- Live DOM nodes outside the document after GC and {SETTLE_SECONDS:g} s idle: "
        f"{last.outside:,} ({base.outside:,} before the replay), i.e. {kept:.1f} per card shown "
        "(0 when nothing is kept).",
        f"- {run.posts:,} approvals, {paced}, sent in {run.approve_seconds:.1f} s "
        f"({BULK_SIZE} per bulk request{f', {run.failed} failed' if run.failed else ''}); the "
        f"page reached the last seq after {run.apply_seconds:.1f} s and drew {shown:,} of them "
        f"as cards ({rate:.1f} cards/s).",
        f"- Websockets the page opened: {run.websockets}"
        + (" (no reconnect)." if run.websockets == 1 else
           " (it fell behind and the server cut it off; see docs/protocol.md, close codes)"
           + (f"; {run.posts - shown:,} posts were covered by a snapshot and never drawn."
              if shown < run.posts else "; it caught up by replay, every post was drawn.")),
    ]
    return "\n".join(lines)


def environment(browser_version: str) -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return (f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()}, "
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}\n"
            f"- Chromium {browser_version} (headless, {VIEWPORT['width']}x"
            f"{VIEWPORT['height']}), Python {platform.python_version()}")


# --------------------------------------------------------------------------------------------
# Main.


async def run(args: argparse.Namespace) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="socialwall-bench-browser-"))
    try:
        return await run_in(workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def run_in(workdir: Path, args: argparse.Namespace) -> str:
    port, floor_port = free_port(), free_port()
    latency_count = args.latency_posts + WARMUP
    latency_file = write_posts(workdir / "latency.json", latency_count, "lat")
    replay_file = write_posts(workdir / "replay.json", args.replay_posts, "rep")
    config = write_config(workdir, port, latency_file, replay_file)
    print(f"work dir {workdir}; socialwall on 127.0.0.1:{port}, floor on 127.0.0.1:{floor_port}")
    token = make_token(config)
    base = f"http://127.0.0.1:{port}"
    floor_base = f"http://127.0.0.1:{floor_port}"

    serve = [*socialwall_command(), "serve", "--config", str(config), "--log-level", "warning"]
    floor = [sys.executable, str(Path(__file__).resolve()), "--serve-floor", str(floor_port)]
    with process(serve, workdir / "serve.log", workdir) as app_proc, \
            process(floor, workdir / "floor.log", workdir) as floor_proc:
        await wait_http(f"{base}/healthz", app_proc, workdir / "serve.log")
        await wait_http(f"{floor_base}/", floor_proc, workdir / "floor.log")
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, trust_env=False,
                                     timeout=60) as api, \
                httpx.AsyncClient(base_url=floor_base, trust_env=False, timeout=60) as floor_api:
            print(f"waiting for the demo sources to queue {latency_count + args.replay_posts:,} "
                  "posts …")
            await wait_ingested(api, "latency", latency_count)
            ingest_s = await wait_ingested(api, "replay", args.replay_posts)
            print(f"  queued (last one after {ingest_s:.0f} s more)")
            latency_ids = (await pending_ids(api, "latency"))[:latency_count]
            replay_ids = (await pending_ids(api, "replay"))[:args.replay_posts]

            async with chromium() as browser:
                version = browser.version
                runs = []

                async def publish(post_id: int) -> None:
                    (await floor_api.post(f"/post/{post_id}")).raise_for_status()

                async def approve(post_id: int) -> None:
                    (await api.post(f"/api/posts/{post_id}/approve")).raise_for_status()

                print(f"latency: floor page, {args.latency_posts} posts …")
                runs.append(await latency_page(
                    browser, f"{floor_base}/", f"ws://127.0.0.1:{floor_port}/ws",
                    "floor (minimal page)", list(range(1, latency_count + 1)), publish))
                print(f"latency: wall page, {args.latency_posts} posts …")
                runs.append(await latency_page(
                    browser, f"{base}/wall/latency", f"ws://127.0.0.1:{port}/ws/wall/latency",
                    "wall /wall/latency", latency_ids, approve))

                print(f"replay: {args.replay_posts:,} approvals …")
                async with open_page(browser) as page:
                    sockets: list[Any] = []
                    page.on("websocket", lambda ws: sockets.append(ws.url))
                    await go_live(page, f"{base}/wall/replay")
                    replay = await measure_replay(page, api, replay_ids, args.sample_every,
                                                  args.window)
                    replay.websockets = len(sockets)

    report = "\n".join([
        "# Browser benchmark (bench/browser.py)",
        "",
        environment(version),
        f"- Wall: layout grid, max_posts {MAX_POSTS}, pace_seconds 0, rotate_seconds 0; "
        "`socialwall serve` as its own process, SQLite in a temp dir; everything on 127.0.0.1",
        f"- Queued by the demo sources before measuring: {latency_count + args.replay_posts:,} "
        "posts (every third with an image)",
        "",
        "## Approval → visible in the DOM",
        "",
        f"One post at a time ({args.latency_posts} measured after {WARMUP} warm-up), the next "
        "one 50–100 ms after the previous card appeared. Times run from just before the request "
        "(Python `time.time()`) to: the response; the frame reaching a plain websocket client of "
        "the same wall (a Python process of its own: the server side, without a browser); the "
        "frame reaching "
        "the page's script (a `message` listener added ahead of the page's own); a "
        "MutationObserver seeing the element with its `data-post-id`; the start of the next "
        "animation frame. Page times are `performance.timeOrigin + performance.now()`, "
        "corrected by the measured page-vs-Python clock offset (below). Percentiles by nearest "
        "rank. The floor is a minimal page (one websocket, a `<div>` per frame) with a minimal "
        "starlette server that broadcasts a frame per POST, no database.",
        "",
        latency_table(runs),
        "",
        clock_notes(runs),
        "",
        "Main-thread time per post (Chrome's Performance.getMetrics over the run):",
        "",
        cost_table([(run.name, run.cost) for run in runs]),
        "",
        f"## Replay of {args.replay_posts:,} posts",
        "",
        ("Approvals as fast as the server takes them" if args.window is None else
         f"Approvals held back while the page is {args.window:,} or more posts behind")
        + f" ({BULK_SIZE} per bulk request); a sample "
        f"every {args.sample_every:,} applied posts (`body[data-seq]`), each after "
        "`HeapProfiler.collectGarbage`. \"Other live nodes\" is CDP's `Nodes` (every live DOM "
        "node) minus the nodes in the document: detached nodes still alive, and a few of "
        "other documents. \"Cards shown\" counts cards that came on screen. Approvals go on "
        "while a sample is taken, so a sample lands at or past its mark. The last row is taken "
        f"after the page has been idle {SETTLE_SECONDS:g} s.",
        "",
        replay_table(replay),
        "",
        replay_summary(replay),
        "",
        "Main-thread time per card shown during the replay:",
        "",
        cost_table([("wall /wall/replay", replay.cost)]),
        "",
    ])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="40 latency posts, a replay of 2,000 (sample every 500); "
                             "prints only, unless --output is given")
    parser.add_argument("--latency-posts", type=int, help="posts measured one by one "
                        "(default 200)")
    parser.add_argument("--replay-posts", type=int, help="posts in the replay (default 10,000)")
    parser.add_argument("--sample-every", type=int, help="applied posts between samples "
                        "(default 1,000)")
    parser.add_argument("--window", type=int, metavar="N",
                        help="in the replay, hold approvals back while the page is N or more "
                             "posts behind, so it draws every post (default: never hold back)")
    parser.add_argument("--output", type=Path,
                        help=f"write the report here (default for a full run: {RESULTS})")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    if args.probe:
        run_probe(args.probe)
        return
    quick = args.quick
    args.latency_posts = args.latency_posts or (40 if quick else 200)
    args.replay_posts = args.replay_posts or (2_000 if quick else 10_000)
    args.sample_every = args.sample_every or (500 if quick else 1_000)
    output = args.output or (None if quick else RESULTS)
    started = time.monotonic()
    report = asyncio.run(run(args))
    report += f"\nTotal run time {time.monotonic() - started:.0f} s.\n"
    print()
    print(report)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        print(f"written to {output}")


if __name__ == "__main__":
    main()
