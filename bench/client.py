"""A benchmark client process: holds many wall connections and times frames for the driver.

Speaks docs/protocol.md with websockets' Sans-I/O client inside a plain asyncio Protocol, so
that a received frame costs one callback and no task: the timestamp is taken when the bytes
arrive. Commands come as JSON lines on stdin, one JSON line answers each on stdout:

  connect  target url count [stalled]   open `count` more connections to `target`
  arm      target [needle]              the next change frame (containing needle) is timed
  collect  target timeout               wait until every live armed connection got it
  stats    target                       connections open, closed, and their close codes
  ports    target                       the local ports of the stalled connections
  close    target                       close every connection of `target`
  quit
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

CONNECT_CONCURRENCY = 64
HELLO = b'{"type":"hello","last_seq":null}'
PONG = b'{"type":"pong"}'


# A stalled wall stops reading from its socket after the snapshot (like a frozen screen): its
# kernel buffers fill and the server's writes back up.
class WallConnection(asyncio.Protocol):
    """One wall: handshake, hello, wait for the snapshot, answer pings, time armed frames."""

    def __init__(self, url: str, stalled: bool) -> None:
        # Like a browser, offer permessage-deflate: the server decides whether to use it.
        self.ws = ClientProtocol(parse_uri(url), max_size=None,
                                 extensions=enable_client_permessage_deflate(None))
        self.stalled = stalled
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.armed = False
        self.needle: bytes | None = None
        self.received: float | None = None
        self.sample: bytes | None = None
        self.opened_at = 0.0
        self.closed_at: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.opened_at = time.monotonic()
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                self._handshake(event)
            elif event.opcode is Opcode.TEXT:
                self._text(bytes(event.data), now)
            elif event.opcode is Opcode.CLOSE and self.ws.close_rcvd is not None:
                self.close_code = self.ws.close_rcvd.code
        self._flush()
        if self.ws.close_expected() and self.transport is not None:
            self.transport.close()

    def _handshake(self, response: Response) -> None:
        if response.status_code != 101:
            self._fail(RuntimeError(f"handshake answered {response.status_code}"))
            return
        self.ws.send_text(HELLO)

    def _text(self, data: bytes, now: float) -> None:
        if data.startswith(b'{"type":"ping"'):
            self.ws.send_text(PONG)
        elif data.startswith(b'{"type":"snapshot"') and not self.ready.done():
            self.ready.set_result(None)
            if self.stalled and self.transport is not None:
                self.transport.pause_reading()
        elif (self.armed and self.received is None and data.startswith(b'{"type":"change"')
              and (self.needle is None or self.needle in data)):
            self.received = now
            self.sample = data

    def _flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            for chunk in self.ws.data_to_send():
                if chunk:
                    self.transport.write(chunk)

    def _fail(self, exc: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed_at = time.monotonic()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(
                f"closed before the snapshot (close code {self.close_code}): {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def close(self) -> None:
        if self.transport is not None and self.open:
            self.transport.abort()


class Client:
    """The connections of this process, by target name ("app", "ref", ...)."""

    def __init__(self) -> None:
        self.targets: dict[str, list[WallConnection]] = {}

    async def connect(self, target: str, url: str, count: int, stalled: bool = False,
                      ) -> dict[str, Any]:
        uri = parse_uri(url)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        loop = asyncio.get_running_loop()

        async def one() -> WallConnection:
            async with gate:
                _, conn = await loop.create_connection(lambda: WallConnection(url, stalled),
                                                       uri.host, uri.port)
                await asyncio.wait_for(conn.ready, 60)
                return conn

        connections = await asyncio.gather(*(one() for _ in range(count)))
        self.targets.setdefault(target, []).extend(connections)
        return {"connected": len(self.targets[target])}

    def arm(self, target: str, needle: str | None = None) -> dict[str, Any]:
        for conn in self.targets.get(target, []):
            conn.armed, conn.received, conn.sample = True, None, None
            conn.needle = needle.encode() if needle else None
        return {}

    async def collect(self, target: str, timeout: float) -> dict[str, Any]:
        """Receive times of the armed healthy walls; those still waiting at the end are missing."""
        healthy = [c for c in self.targets.get(target, []) if not c.stalled]
        deadline = time.monotonic() + timeout
        while any(c.open and c.received is None for c in healthy):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.002)
        times = [c.received for c in healthy if c.received is not None]
        sample = next((c.sample for c in healthy if c.sample), None)
        for conn in healthy:
            conn.armed = False
        return {"times": times, "missing": len(healthy) - len(times),
                "sample": sample.decode() if sample else None}

    def stats(self, target: str) -> dict[str, Any]:
        conns = self.targets.get(target, [])
        return {
            group: {
                "open": sum(c.open for c in members),
                "closed": sum(not c.open for c in members),
                "codes": dict(Counter(str(c.close_code) for c in members if not c.open)),
                "closed_after": sorted(c.closed_at - c.opened_at for c in members
                                       if c.closed_at is not None),
            }
            for group, members in (("healthy", [c for c in conns if not c.stalled]),
                                   ("stalled", [c for c in conns if c.stalled]))
        }

    def ports(self, target: str) -> dict[str, Any]:
        """Local ports of the stalled connections, to find them in /proc/net/tcp."""
        return {"ports": [c.transport.get_extra_info("sockname")[1]
                          for c in self.targets.get(target, [])
                          if c.stalled and c.transport is not None]}

    async def close(self, target: str) -> dict[str, Any]:
        conns = self.targets.pop(target, [])
        for conn in conns:
            conn.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.closed for c in conns)), 30)
        return {}


async def serve_commands() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    client = Client()
    while line := await reader.readline():
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "quit":
            reply: dict[str, Any] = {}
        else:
            try:
                result = getattr(client, name)(**command)
                reply = await result if asyncio.iscoroutine(result) else result
            except Exception as exc:
                reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if name == "quit":
            return


def main() -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve_commands())
    else:
        uvloop.run(serve_commands())


if __name__ == "__main__":
    main()
