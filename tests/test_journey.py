"""One post's whole journey: demo source -> moderation queue -> approve via the API -> a wall."""

from __future__ import annotations

from pathlib import Path

from tests.factories import demo_source, make_settings, running, wait_for, write_demo_posts
from tests.wsclient import WallClient


async def test_demo_post_reaches_a_wall_after_approval(database_url: str, tmp_path: Path
                                                       ) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 3)
    settings = make_settings(database_url, sources=[demo_source(posts_file)])
    async with running(settings) as server:
        token = await server.token()
        async with server.client(token) as api:

            async def pending() -> list[dict[str, object]]:
                response = await api.get("/api/posts", params={"status": "pending"})
                assert response.status_code == 200
                items: list[dict[str, object]] = response.json()["items"]
                return items if len(items) == 3 else []

            queue = await wait_for(pending, what="the demo source to fill the queue")
            assert [p["text"] for p in queue] == [f"Beitrag Nummer {i} #Werkstolz"
                                                  for i in (1, 2, 3)]
            assert all(p["status"] == "pending" and p["source"] == "demo" for p in queue)

            wall = await WallClient.connect(server.ws_url)
            assert (await wall.next())["type"] == "wall"
            snapshot = await wall.next()
            assert snapshot == {"type": "snapshot", "seq": 0, "posts": []}

            second = queue[1]
            approved = await api.post(f"/api/posts/{second['id']}/approve")
            assert approved.status_code == 200
            assert approved.json()["status"] == "approved"
            assert approved.json()["decided_by"] == "mod"

            change = await wall.next()
            assert change["type"] == "change"
            assert change["seq"] == 1
            assert change["kind"] == "approved"
            assert change["post"]["id"] == second["id"]
            assert change["post"]["text"] == "Beitrag Nummer 2 #Werkstolz"
            assert change["post"]["author"]["name"] == "Person 2"

            left = (await api.get("/api/posts", params={"status": "pending"})).json()["items"]
            assert [p["id"] for p in left] == [queue[0]["id"], queue[2]["id"]]
            await wall.close()
