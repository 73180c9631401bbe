"""A fake Mastodon server on a loopback port, speaking the documented wire format: hashtag
timelines with min_id/max_id/since_id and Link headers, statuses by id, rate-limit headers, the
instance's streaming address and the hashtag stream over a websocket."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.factories import serve_app

# docs.joinmastodon.org/entities/Status/ (the example, its long account note and fields cut).
DOCS_STATUS: dict[str, Any] = {
    "id": "103270115826048975",
    "created_at": "2019-12-08T03:48:33.901Z",
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.social/users/Gargron/statuses/103270115826048975",
    "url": "https://mastodon.social/@Gargron/103270115826048975",
    "replies_count": 5,
    "reblogs_count": 6,
    "favourites_count": 11,
    "favourited": False,
    "reblogged": False,
    "muted": False,
    "bookmarked": False,
    "content": "<p>&quot;I lost my inheritance with one wrong digit on my sort code&quot;</p>"
               "<p><a href=\"https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-"
               "inheritance-with-one-wrong-digit-on-my-sort-code\" rel=\"nofollow noopener "
               "noreferrer\" target=\"_blank\"><span class=\"invisible\">https://www.</span>"
               "<span class=\"ellipsis\">theguardian.com/money/2019/dec</span><span class="
               "\"invisible\">/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-"
               "code</span></a></p>",
    "reblog": None,
    "application": {"name": "Web", "website": None},
    "account": {
        "id": "1",
        "username": "Gargron",
        "acct": "Gargron",
        "display_name": "Eugen",
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2016-03-16T14:34:26.392Z",
        "note": "<p>Developer of Mastodon and administrator of mastodon.social.</p>",
        "url": "https://mastodon.social/@Gargron",
        "avatar": "https://files.mastodon.social/accounts/avatars/000/000/001/original/"
                  "d96d39a0abb45b92.jpg",
        "avatar_static": "https://files.mastodon.social/accounts/avatars/000/000/001/original/"
                         "d96d39a0abb45b92.jpg",
        "header": "https://files.mastodon.social/accounts/headers/000/000/001/original/"
                  "c91b871f294ea63e.png",
        "header_static": "https://files.mastodon.social/accounts/headers/000/000/001/original/"
                         "c91b871f294ea63e.png",
        "followers_count": 322930,
        "following_count": 459,
        "statuses_count": 61323,
        "last_status_at": "2019-12-10T08:14:44.811Z",
        "emojis": [],
        "fields": [],
    },
    "media_attachments": [],
    "mentions": [],
    "tags": [],
    "emojis": [],
    "card": None,
    "poll": None,
}

# docs.joinmastodon.org/methods/streaming/ (the status.update example of the websocket section).
DOCS_REMOTE_STATUS: dict[str, Any] = {
    "id": "108914327388663283",
    "created_at": "2022-08-30T23:05:53.839Z",
    "in_reply_to_id": "108914298452377720",
    "in_reply_to_account_id": "107946650784398271",
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "unlisted",
    "language": None,
    "uri": "https://letsalllovela.in/objects/e9cebb0c-7c75-414f-9608-20b5628e52d7",
    "url": "https://letsalllovela.in/objects/e9cebb0c-7c75-414f-9608-20b5628e52d7",
    "replies_count": 0,
    "reblogs_count": 0,
    "favourites_count": 0,
    "edited_at": None,
    "content": "<span class=\"h-card\"><a class=\"u-url mention\" href=\"https://pl.nulled.red/"
               "users/disarray\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">@<span>"
               "disarray</span></a></span> glad i was able to help",
    "filtered": [],
    "reblog": None,
    "account": {
        "id": "464472", "username": "freon", "acct": "freon@letsalllovela.in",
        "display_name": "freon", "locked": False, "bot": False, "discoverable": True,
        "group": False, "created_at": "2018-08-18T00:00:00.000Z",
        "note": "tech archaeologist, unix weenie", "url": "https://letsalllovela.in/users/freon",
        "avatar": "https://files.mastodon.social/cache/accounts/avatars/000/464/472/original/"
                  "bfc518d70cf6f13a.png",
        "avatar_static": "https://files.mastodon.social/cache/accounts/avatars/000/464/472/"
                         "original/bfc518d70cf6f13a.png",
        "followers_count": 37, "following_count": 41, "statuses_count": 18442,
        "last_status_at": "2022-08-30", "emojis": [], "fields": [],
    },
    "media_attachments": [],
    "mentions": [{"id": "107946650784398271", "username": "disarray",
                  "url": "https://pl.nulled.red/users/disarray", "acct": "disarray@pl.nulled.red"}],
    "tags": [],
    "emojis": [],
    "card": None,
    "poll": None,
}

# docs.joinmastodon.org/entities/MediaAttachment/ (the four examples).
DOCS_IMAGE: dict[str, Any] = {
    "id": "22345792", "type": "image",
    "url": "https://files.mastodon.social/media_attachments/files/022/345/792/original/"
           "57859aede991da25.jpeg",
    "preview_url": "https://files.mastodon.social/media_attachments/files/022/345/792/small/"
                   "57859aede991da25.jpeg",
    "remote_url": None,
    "text_url": "https://mastodon.social/media/2N4uvkuUtPVrkZGysms",
    "meta": {"original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.33},
             "small": {"width": 461, "height": 346, "size": "461x346", "aspect": 1.33},
             "focus": {"x": -0.27, "y": 0.51}},
    "description": "test media description",
    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
}
DOCS_VIDEO: dict[str, Any] = {
    "id": "22546306", "type": "video",
    "url": "https://files.mastodon.social/media_attachments/files/022/546/306/original/"
           "dab9a597f68b9745.mp4",
    "preview_url": "https://files.mastodon.social/media_attachments/files/022/546/306/small/"
                   "dab9a597f68b9745.png",
    "remote_url": None,
    "meta": {"length": "0:01:28.65", "duration": 88.65, "fps": 24, "size": "1280x720",
             "width": 1280, "height": 720, "aspect": 1.78,
             "original": {"width": 1280, "height": 720, "frame_rate": "6159375/249269",
                          "duration": 88.654, "bitrate": 862056},
             "small": {"width": 400, "height": 225, "size": "400x225", "aspect": 1.78}},
    "description": None,
    "blurhash": "U58E0g8_0M.94T?bIr00?bD%NGoM?bD%oLt7",
}
DOCS_GIFV: dict[str, Any] = {
    "id": "21130559", "type": "gifv",
    "url": "https://files.mastodon.social/media_attachments/files/021/130/559/original/"
           "bc84838f77991326.mp4",
    "preview_url": "https://files.mastodon.social/media_attachments/files/021/130/559/small/"
                   "bc84838f77991326.png",
    "remote_url": None,
    "meta": {"original": {"width": 600, "height": 332, "frame_rate": "100/3", "duration": 1.11,
                          "bitrate": 1627639},
             "small": {"width": 400, "height": 221, "size": "400x221", "aspect": 1.81}},
    "description": None,
    "blurhash": "URHT%Jm,2a1d%MRO%LozkrNH$*n*oMn$Rjt7",
}
DOCS_AUDIO: dict[str, Any] = {
    "id": "21165404", "type": "audio",
    "url": "https://files.mastodon.social/media_attachments/files/021/165/404/original/"
           "a31a4a46cd713cd2.mp3",
    "preview_url": "https://files.mastodon.social/media_attachments/files/021/165/404/small/"
                   "a31a4a46cd713cd2.mp3",
    "remote_url": None,
    "meta": {"length": "0:06:42.86", "duration": 402.86, "audio_encode": "mp3",
             "original": {"duration": 402.860408, "bitrate": 166290}},
    "description": None,
    "blurhash": None,
}


def tag(name: str) -> dict[str, str]:
    """A Status::Tag as a server lists it."""
    return {"name": name, "url": f"https://mastodon.social/tags/{name.lower()}"}


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    authorization: str | None
    at: datetime


class FakeMastodon:
    """One instance: holds statuses by local id and answers like Mastodon 4 does."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token                     # when set, every API call needs it
        self.entries: dict[int, dict[str, Any]] = {}   # local id -> status body (may be broken)
        self.loose = False                     # timelines carry every status, as any[] would
        self.garbage: list[Any] = []           # appended to every timeline page
        self.replies: list[Response] = []      # served, in order, instead of the next answers
        self.broken_ids: set[str] = set()      # statuses/:id answers 500 for these
        self.hang = False                      # API calls never answer (until shut down)
        self.exhaust_rate_limit_until: datetime | None = None  # next answer: remaining 0
        self.requests: list[Seen] = []
        self.changed = asyncio.Event()
        self.streams: list[tuple[WebSocket, str]] = []
        self.base_url = ""
        self._next_id = 109_000_000_000_000_000
        self._release = asyncio.Event()
        self.app = Starlette(routes=[
            Route("/api/v1/timelines/tag/{hashtag}", self._timeline),
            Route("/api/v1/statuses/{id}", self._status),
            Route("/api/v2/instance", self._instance),
            WebSocketRoute("/api/v1/streaming", self._streaming),
        ])

    # Set-up -------------------------------------------------------------------------------------

    def add(self, base: dict[str, Any] | None = None, *, tags: tuple[str, ...] = ("Werkstolz",),
            **fields: Any) -> dict[str, Any]:
        """Store a status (by default the documented example) under the next local id."""
        self._next_id += 1
        local_id = self._next_id
        status = copy.deepcopy(base or DOCS_STATUS)
        status.update({"id": str(local_id),
                       "uri": f"https://mastodon.social/users/Gargron/statuses/{local_id}",
                       "url": f"https://mastodon.social/@Gargron/{local_id}",
                       "tags": [tag(name) for name in tags]})
        status.update(fields)
        self.entries[local_id] = status
        return status

    async def publish(self, base: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        status = self.add(base, **fields)
        await self._send(status, "update", json.dumps(status))
        return status

    async def edit(self, status: dict[str, Any], **changes: Any) -> None:
        status.update(changes, edited_at="2026-11-22T10:00:00.000Z")
        await self._send(status, "status.update", json.dumps(status))

    async def delete(self, status: dict[str, Any]) -> None:
        self.entries.pop(int(status["id"]))
        await self._send(status, "delete", status["id"])

    async def send_raw(self, text: str) -> None:
        for websocket, _ in list(self.streams):
            await websocket.send_text(text)

    async def drop_streams(self) -> None:
        for websocket, _ in list(self.streams):
            await websocket.close(code=1001)

    async def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        """Wait until `condition()` holds, re-checking on every request and stream change."""
        async def loop() -> None:
            while True:
                self.changed.clear()
                if condition():
                    return
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)

    def seen(self, path_part: str) -> list[Seen]:
        return [seen for seen in self.requests if path_part in seen.path]

    # Answers ------------------------------------------------------------------------------------

    async def _timeline(self, request: Request) -> Response:
        if (early := await self._before(request)) is not None:
            return early
        wanted = request.path_params["hashtag"].lower()
        params = request.query_params
        limit = min(int(params.get("limit", "20")), 40)
        matching = sorted(
            (local_id for local_id, status in self.entries.items()
             if (self.loose or any(t["name"].lower() == wanted for t in status.get("tags", [])))
             and (params.get("only_media") != "true" or status.get("media_attachments"))),
            reverse=True)
        if "max_id" in params:
            matching = [i for i in matching if i < int(params["max_id"])]
        if "since_id" in params:
            matching = [i for i in matching if i > int(params["since_id"])]
        if "min_id" in params:
            # Immediately newer than min_id: the oldest `limit` above it, newest first.
            newer = sorted(i for i in matching if i > int(params["min_id"]))[:limit]
            page = sorted(newer, reverse=True)
        else:
            page = matching[:limit]
        headers = self._rate_headers()
        if page:
            url = f"{self.base_url}/api/v1/timelines/tag/{request.path_params['hashtag']}"
            headers["link"] = (f'<{url}?limit={limit}&max_id={page[-1]}>; rel="next", '
                               f'<{url}?limit={limit}&min_id={page[0]}>; rel="prev"')
        body = [self.entries[i] for i in page] + self.garbage
        return JSONResponse(body, headers=headers)

    async def _status(self, request: Request) -> Response:
        if (early := await self._before(request)) is not None:
            return early
        local_id = request.path_params["id"]
        if local_id in self.broken_ids:
            return JSONResponse({"error": "boom"}, status_code=500)
        status = self.entries.get(int(local_id)) if local_id.isdigit() else None
        if status is None:
            return JSONResponse({"error": "Record not found"}, status_code=404,
                                headers=self._rate_headers())
        return JSONResponse(status, headers=self._rate_headers())

    async def _instance(self, request: Request) -> Response:
        ws_url = self.base_url.replace("http://", "ws://")
        return JSONResponse({"domain": "mastodon.example",
                             "configuration": {"urls": {"streaming": ws_url}}})

    async def _before(self, request: Request) -> Response | None:
        self.requests.append(Seen(request.url.path, dict(request.query_params),
                                  request.headers.get("authorization"), datetime.now(UTC)))
        self.changed.set()
        if self.hang:
            await self._release.wait()
        if self.replies:
            return self.replies.pop(0)
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": "The access token is invalid"}, status_code=401)
        return None

    def _rate_headers(self) -> dict[str, str]:
        reset, remaining = datetime.now(UTC), "299"
        if self.exhaust_rate_limit_until is not None:
            reset, remaining = self.exhaust_rate_limit_until, "0"
            self.exhaust_rate_limit_until = None
        return {"x-ratelimit-limit": "300", "x-ratelimit-remaining": remaining,
                "x-ratelimit-reset": reset.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z")}

    async def _streaming(self, websocket: WebSocket) -> None:
        if websocket.headers.get("authorization") != f"Bearer {self.token}":
            await websocket.close(code=1008)  # refused before the handshake: HTTP 403
            return
        await websocket.accept()
        entry = (websocket, websocket.query_params.get("tag", "").lower())
        self.streams.append(entry)
        self.changed.set()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            self.streams.remove(entry)
            self.changed.set()

    async def _send(self, status: dict[str, Any], event: str, payload: str) -> None:
        names = {t["name"].lower() for t in status.get("tags", [])}
        for websocket, hashtag in list(self.streams):
            if hashtag in names:
                await websocket.send_text(json.dumps(
                    {"stream": ["hashtag", hashtag], "event": event, "payload": payload}))


@asynccontextmanager
async def serve(fake: FakeMastodon) -> AsyncIterator[FakeMastodon]:
    """Serve the fake on a free loopback port for the duration of the block."""
    try:
        async with serve_app(fake.app) as base_url:
            fake.base_url = base_url
            yield fake
    finally:
        fake._release.set()
