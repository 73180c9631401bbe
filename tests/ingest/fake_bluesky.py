"""A fake Jetstream (websockets on loopback) and a fake Bluesky AppView (Starlette on uvicorn),
plus builders for events and PostViews in the shapes of the real wire formats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.factories import serve_app, wait_for

POST = "app.bsky.feed.post"
MODERATION = "did:plc:ar7c4by46qjdydhdevvrndac"   # Bluesky's own labeler
T0 = 1_783_200_000_000_000                         # a time_us in the capture's summer


class FakeJetstream:
    """Replays a growing log of events: from `cursor` (time_us) if given, else live from the
    moment of connecting; commit events only of the `wantedCollections` asked for."""

    def __init__(self) -> None:
        self.log: list[tuple[int, str]] = []
        self.connections: list[dict[str, list[str]]] = []   # query of every connection
        self.url = ""
        self._live: set[ServerConnection] = set()
        self._appended = asyncio.Event()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeJetstream]:
        async with serve(self._handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}/subscribe"
            yield self

    def publish(self, *events: dict[str, Any] | str) -> None:
        """Append events (dicts, or raw lines sent as they are) and send them to live clients."""
        for event in events:
            if isinstance(event, dict):
                self.log.append((event["time_us"], json.dumps(event, ensure_ascii=False)))
            else:
                self.log.append((_time_us(event, self.log[-1][0] if self.log else 0), event))
        self._appended.set()
        self._appended = asyncio.Event()

    async def wait_connections(self, count: int) -> None:
        await wait_for(lambda: len(self.connections) >= count, what=f"{count} connections")

    def drop(self) -> None:
        """Cut every connection without a closing handshake, as a failing network does."""
        for ws in list(self._live):
            ws.transport.abort()

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = parse_qs(urlsplit(ws.request.path).query)
        wanted = set(query.get("wantedCollections", []))
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        position = 0 if cursor is not None else len(self.log)
        self._live.add(ws)
        self.connections.append(query)
        closed = asyncio.ensure_future(ws.wait_closed())
        try:
            while not closed.done():
                while position < len(self.log):
                    time_us, line = self.log[position]
                    position += 1
                    if (cursor is None or time_us >= cursor) and _wanted(line, wanted):
                        await ws.send(line)
                appended = asyncio.ensure_future(self._appended.wait())
                await asyncio.wait({appended, closed}, return_when=asyncio.FIRST_COMPLETED)
                appended.cancel()
        except ConnectionClosed:   # the client went away mid-send
            pass
        finally:
            closed.cancel()
            self._live.discard(ws)


def _time_us(line: str, default: int) -> int:
    try:
        time_us = json.loads(line)["time_us"]
    except (ValueError, TypeError, KeyError):
        return default
    return time_us if isinstance(time_us, int) else default


def _wanted(line: str, wanted: set[str]) -> bool:
    try:
        event = json.loads(line)
        collection = event["commit"]["collection"] if event.get("kind") == "commit" else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return True   # malformed lines go out as they are: the client has to cope
    return collection is None or not wanted or collection in wanted


class FakeAppView:
    """Answers app.bsky.feed.getPosts from `views`, or fails as `failure` says."""

    def __init__(self) -> None:
        self.views: dict[str, dict[str, Any]] = {}
        self.requests: list[list[str]] = []
        self.failure: str | None = None   # "500", "timeout", "malformed", "no-post-list"
        self.url = ""
        self._release = asyncio.Event()

    @property
    def requested(self) -> list[str]:
        return [uri for request in self.requests for uri in request]

    def add(self, *views: dict[str, Any]) -> None:
        self.views.update({view["uri"]: view for view in views})

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeAppView]:
        app = Starlette(routes=[Route("/xrpc/app.bsky.feed.getPosts", self._get_posts)])
        try:
            async with serve_app(app) as base_url:
                self.url = base_url
                yield self
        finally:
            self._release.set()

    async def _get_posts(self, request: Request) -> Response:
        uris = request.query_params.getlist("uris")
        self.requests.append(uris)
        if self.failure == "500":
            return JSONResponse({"error": "InternalServerError"}, status_code=500)
        if self.failure == "timeout":
            await self._release.wait()
        if self.failure == "malformed":
            return Response('{"posts": [', media_type="application/json")
        if self.failure == "no-post-list":
            return JSONResponse({"posts": "none"})
        return JSONResponse({"posts": [self.views[uri] for uri in uris if uri in self.views]})


def byte_range(text: str, part: str) -> dict[str, int]:
    """The facet index of `part` in `text`: UTF-8 byte offsets, as the lexicon has them."""
    start = text.encode().index(part.encode())
    return {"byteStart": start, "byteEnd": start + len(part.encode())}


def tag_facet(text: str, tag: str) -> dict[str, Any]:
    return {"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            "index": byte_range(text, f"#{tag}")}


def link_facet(text: str, part: str, uri: str) -> dict[str, Any]:
    return {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            "index": byte_range(text, part)}


def post_event(n: int, text: str = "Hallo #Werkstolz", *, time_us: int | None = None,
               operation: str = "create", facets: list[Any] | None = None,
               **record: Any) -> dict[str, Any]:
    """A Jetstream commit of post number `n` (its own did and rkey); by default tagged with a
    tag facet for every '#Werkstolz' in the text."""
    if facets is None:
        facets = [tag_facet(text, "Werkstolz")] if "#Werkstolz" in text else []
    body: dict[str, Any] = {"$type": POST, "createdAt": "2026-07-04T14:38:06.240Z",
                            "langs": ["de"], "text": text, **record}
    if facets:
        body["facets"] = facets
    version = f"{n:04d}{operation[0]}{len(text)}"
    return {"did": did(n), "time_us": T0 + n * 1000 if time_us is None else time_us,
            "kind": "commit",
            "commit": {"rev": f"3mptc{version}", "operation": operation, "collection": POST,
                       "rkey": rkey(n), "record": body, "cid": f"bafyrei{version}"}}


def delete_event(n: int, *, time_us: int) -> dict[str, Any]:
    return {"did": did(n), "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"3mptd{n:04d}", "operation": "delete", "collection": POST,
                       "rkey": rkey(n)}}


def did(n: int) -> str:
    return f"did:plc:testauthor{n:04d}"


def rkey(n: int) -> str:
    return f"3mptbz{n:04d}abc"


def uri(n: int) -> str:
    return f"at://{did(n)}/{POST}/{rkey(n)}"


def label(subject: str, value: str, *, neg: bool = False, src: str = MODERATION
          ) -> dict[str, Any]:
    found: dict[str, Any] = {"src": src, "uri": subject, "val": value,
                             "cts": "2026-07-04T14:38:09.000Z"}
    if neg:
        found["neg"] = True
    return found


def post_view(n: int, event: dict[str, Any] | None = None, *, handle: str | None = None,
              display_name: str = "Jörg Ümlaut", images: int = 0,
              labels: tuple[str, ...] = (), author_labels: tuple[str, ...] = (),
              embed: dict[str, Any] | None = None) -> dict[str, Any]:
    """An app.bsky.feed.defs#postView of post `n` as the AppView answers getPosts."""
    record = (event or post_event(n))["commit"]["record"]
    cdn = "https://cdn.bsky.app/img"
    if images:
        embed = {"$type": "app.bsky.embed.images#view", "images": [
            {"thumb": f"{cdn}/feed_thumbnail/plain/{did(n)}/bafkrei{i}@jpeg",
             "fullsize": f"{cdn}/feed_fullsize/plain/{did(n)}/bafkrei{i}@jpeg",
             "alt": f"Bild {i}: Getriebe in der Halle", "aspectRatio": {"width": 2000,
                                                                    "height": 1500}}
            for i in range(1, images + 1)]}
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#postView",
        "uri": uri(n), "cid": f"bafyreiview{n:04d}",
        "author": {"did": did(n), "handle": handle or f"person{n}.bsky.social",
                   "displayName": display_name,
                   "avatar": f"{cdn}/avatar/plain/{did(n)}/bafkreiavatar@jpeg",
                   "labels": [label(did(n), value) for value in author_labels],
                   "createdAt": "2024-11-13T03:20:36.682Z"},
        "record": record,
        "replyCount": 0, "repostCount": 0, "likeCount": 3, "quoteCount": 0,
        "indexedAt": "2026-07-04T14:38:08.000Z",
        "labels": [label(uri(n), value) for value in labels],
    }
    if embed is not None:
        view["embed"] = embed
    return view
