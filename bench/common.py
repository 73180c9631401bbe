"""What the benchmarks share: the app and the reference server as processes, the client
workers, process memory, percentiles and the results table."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
SOCIALWALL = VENV_BIN / "socialwall"
PASSWORD = "bench password 123"
EVENT = "bench"
WALL = "main"


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise this process's open-file limit (children inherit it) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kb(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of some values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def bench_posts(count: int, text_chars: int = 0) -> list[dict[str, Any]]:
    """`count` bundled demo posts with new ids, texts padded to `text_chars` if given."""
    bundled = json.loads((ROOT / "ingest" / "demo_data" / "posts.json").read_text("utf-8"))
    posts = []
    for i in range(count):
        entry = dict(bundled[i % len(bundled)])
        entry["id"] = f"bench-{i:05d}"
        if text_chars and len(entry["text"]) < text_chars:
            filler = " Lorem ipsum dolor sit amet, Getriebe für Fans."
            entry["text"] += filler * ((text_chars - len(entry["text"])) // len(filler) + 1)
            entry["text"] = entry["text"][:text_chars]
        posts.append(entry)
    return posts


# Started exactly as `make run` does, on an SQLite file in a temporary folder, with a demo source
# that queues `posts` for moderation.
class AppServer:
    """socialwall as a process of its own (`socialwall serve --config ...`)."""

    def __init__(self, posts: list[dict[str, Any]], max_posts: int = 30) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="socialwall-bench-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/wall/{WALL}"
        self.config = self.dir / "config.yaml"
        posts_file = self.dir / "posts.json"
        posts_file.write_text(json.dumps(posts, ensure_ascii=False), "utf-8")
        self.config.write_text(yaml.safe_dump({
            "server": {"host": "127.0.0.1", "port": self.port},
            "database": {"url": f"sqlite:///{self.dir / 'socialwall.db'}"},
            "media": {"cache_dir": str(self.dir / "media")},
            "events": [{
                "slug": EVENT, "name": "Benchmark", "hashtags": ["Werkstolz"],
                "walls": [{"slug": WALL, "max_posts": max_posts}],
                "sources": [{"type": "demo", "name": "demo", "interval_seconds": 0,
                             "loop": False, "posts_file": str(posts_file)}],
            }],
        }), "utf-8")
        self.expected_posts = len(posts)
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    def start(self) -> None:
        self._cli("users", "add", "bench", "--role", "organizer", stdin=PASSWORD + "\n")
        self.token = self._cli("token", "create", "bench").strip()
        log = (self.dir / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [str(SOCIALWALL), "serve", "--config", str(self.config), "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        wait_http(f"{self.base_url}/healthz", self.process)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(SOCIALWALL), *args, "--config", str(self.config)],
                                input=stdin, capture_output=True, text=True, cwd=self.dir,
                                check=False)
        if result.returncode:
            raise RuntimeError(f"socialwall {' '.join(args)}: {result.stderr}")
        return result.stdout

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=60,
                                 headers={"authorization": f"Bearer {self.token}"})

    async def approver(self) -> Approver:
        """A lean client for the measured approvals (see Approver)."""
        return await Approver.open(self.port, self.token)

    async def pending_ids(self, http: httpx.AsyncClient) -> list[int]:
        """Wait until the demo source has queued every post; their ids, oldest first."""
        deadline = time.monotonic() + 120
        while True:
            ids = await self._all_pending(http)
            if len(ids) >= self.expected_posts:
                return ids
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(ids)} of {self.expected_posts} posts queued")
            await asyncio.sleep(0.5)

    async def _all_pending(self, http: httpx.AsyncClient) -> list[int]:
        ids: list[int] = []
        cursor: int | None = None
        while True:
            params: dict[str, Any] = {"event": EVENT, "limit": 200}
            if cursor is not None:
                params["cursor"] = cursor
            page = (await http.get("/api/posts", params=params)).raise_for_status().json()
            ids.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    def stop(self) -> None:
        stop_process(self.process)
        log = (self.dir / "serve.log").read_text("utf-8", errors="replace")
        if log.strip():
            print(f"--- socialwall serve log (warnings and errors) ---\n{log[-5000:]}",
                  file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)


class RefServer:
    """The reference floor: bench/refserver.py, a minimal `websockets` broadcast server."""

    def __init__(self) -> None:
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "refserver.py"), "--port", str(self.port)])
        wait_tcp(self.port, self.process)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    _wait(answers, process, timeout, f"{url} did not answer")


def wait_tcp(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    def listens() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    _wait(listens, process, timeout, f"port {port} not listening")


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float,
          failure: str) -> None:
    """Poll `ready` until it is true; fail if the server exits or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{failure} within {timeout} s")


def stop_process(process: subprocess.Popen[Any] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Worker:
    """One client process (bench/client.py) holding wall connections; JSON lines both ways."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(BENCH / "client.py"), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=2**26)
        return cls(process)

    async def call(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"client worker exited ({command['cmd']})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"client worker: {reply['error']}")
        return reply

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                await asyncio.wait_for(self.call(cmd="quit"), 30)
            except (RuntimeError, TimeoutError, BrokenPipeError, ConnectionResetError):
                self.process.kill()
            await self.process.wait()


class Approver:
    """Approves posts over one kept-alive HTTP/1.1 connection, written by hand.

    The measured trigger of a fan-out round. httpx spends about 2 ms of its own per request on
    this machine (its pool, its request and response models), which is the bench client's time,
    not the server's; the reference's trigger is a bare websocket message. This sends the same
    request a browser's fetch() would, and reads the response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 token: str) -> None:
        self.reader = reader
        self.writer = writer
        self.token = token

    @classmethod
    async def open(cls, port: int, token: str) -> Approver:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, token)

    async def approve(self, post_id: int) -> None:
        try:
            await self._approve(post_id)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed the idle connection (uvicorn's keep-alive timeout is 5 s) before
            # it read the request: connect again and send it again.
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(
                *self.writer.get_extra_info("peername")[:2])
            await self._approve(post_id)

    async def _approve(self, post_id: int) -> None:
        self.writer.write(
            f"POST /api/posts/{post_id}/approve HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Length: 0\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        body = await self.reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"approving {post_id}: {status} {body[:200]!r}")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


class Workers:
    """Client processes (one per core by default) with the connections spread evenly."""

    def __init__(self, workers: list[Worker]) -> None:
        self.all = workers
        self.counts: dict[str, list[int]] = {}

    @classmethod
    async def start(cls, count: int = 2) -> Workers:
        return cls([await Worker.start() for _ in range(count)])

    async def each(self, **command: Any) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(w.call(**command) for w in self.all)))

    async def connect(self, target: str, url: str, total: int, **options: Any) -> None:
        """Bring `target`'s connections up to `total`, spread over the workers."""
        have = self.counts.setdefault(target, [0] * len(self.all))
        share = [total // len(self.all) + (i < total % len(self.all))
                 for i in range(len(self.all))]
        await asyncio.gather(*(
            w.call(cmd="connect", target=target, url=url, count=share[i] - have[i], **options)
            for i, w in enumerate(self.all) if share[i] > have[i]))
        self.counts[target] = [max(a, b) for a, b in zip(have, share, strict=True)]

    async def round(self, target: str, trigger: Any, timeout: float = 60,
                    needle: str | None = None) -> dict[str, Any]:
        """Arm `target`'s walls, run `trigger`, gather when each got the (needle's) frame."""
        await self.each(cmd="arm", target=target, needle=needle)
        t0 = time.monotonic()
        await trigger()
        triggered = time.monotonic() - t0
        replies = await self.each(cmd="collect", target=target, timeout=timeout)
        return {
            "latencies": [t - t0 for r in replies for t in r["times"]],
            "missing": sum(r["missing"] for r in replies),
            "trigger": triggered,
            "sample": next((r["sample"] for r in replies if r.get("sample")), None),
        }

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.all))


@contextmanager
def servers(*started: AppServer | RefServer) -> Iterator[None]:
    """Stop the given servers however the block ends."""
    try:
        yield
    finally:
        for server in started:
            server.stop()


def machine() -> str:
    """One line about where the figures come from."""
    import platform

    load = os.getloadavg()
    return (f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load[0]:.1f} at start")


def write_result(name: str, text: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(text, "utf-8")
    return path


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
