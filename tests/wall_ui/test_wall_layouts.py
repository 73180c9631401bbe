"""The spotlight and ticker layouts in real headless Chromium: one post at a time, rotating
(pinned first, then newest, a new arrival next), a retracted post gone at once, the DOM bounded
however many posts come; videos play only while on screen, and media of a card that left are
let go. Screenshots at 1920x1080 and 3840x2160 land in test-artifacts/."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import update

from app.models import Media
from tests.browser import artifact
from tests.factories import Server, demo_source, make_settings, running, wait_for

# One Chromium for the module (tests/wall_ui/conftest.py).
pytestmark = pytest.mark.asyncio(loop_scope="module")

SIZES = [(1920, 1080), (3840, 2160)]
ROTATE_SECONDS = 1.5

# The post on show: the card that is not fading out.
CURRENT = "#wall-grid .card:not(.is-leaving)"
SHOWN = f"(id) => document.querySelector('{CURRENT}')?.dataset.postId === id"
# Settled: no card on its way in or out, every picture of the card on show loaded.
SETTLED = (
    f"() => {{ const c = document.querySelector('{CURRENT}');"
    " return !!c && !document.querySelector('#wall-grid .is-leaving')"
    " && c.getAnimations().length === 0"
    " && [...c.querySelectorAll('img')].every(i => i.complete); }"
)
# The most cards #wall-grid ever held at once, from now on.
COUNT_CARDS = """() => {
  const grid = document.getElementById('wall-grid');
  const count = () => grid.querySelectorAll('.card').length;
  window.__maxCards = count();
  new MutationObserver(() => { window.__maxCards = Math.max(window.__maxCards, count()); })
    .observe(grid, { childList: true, subtree: true });
}"""


def author(name: str, handle: str, avatar: str | None = None) -> dict[str, str]:
    return {"name": name, "handle": handle, **({"avatar": avatar} if avatar else {})}


SHOWCASE = {
    "id": "showcase",
    "author": author("Anna Weiß", "@anna.weiss@social.brandt.example", "avatar-anna.png"),
    "text": "Guten Morgen aus Halle 3! 🎉 Der Leadership Summit ist eröffnet: 180 "
            "Führungskräfte, ein Werk, ein Ziel. Schöne Grüße an alle Kolleginnen und Kollegen "
            "in Übersee! #Summit26 #Werkstolz",
    "lang": "de",
    "media": [{"file": "halle-montage.jpg", "alt": "Die Montagehalle 3 mit Hallenkran"},
              {"file": "team-gruppe.jpg", "alt": "Das Team vor der Bühne"}],
}
FILLERS = [
    ("Jörg Brandt", "avatar-joerg.png", "de", "„Kunden kaufen Gewissheit.“ Was für ein Satz! 💪 "
                                              "#KundenZuFans", "buehne-keynote.jpg"),
    ("Sophie Müller", "avatar-sophie.png", "de", "Kaffeepause mit Aussicht ☕ #Summit26",
     "kaffee-bar.jpg"),
    ("ليلى حداد", None, "ar", "شكراً لفريق براندت على الاستقبال الرائع! #KundenZuFans", None),
    ("佐藤 健", None, "ja", "工場見学、本当に素晴らしかった！🇯🇵🤝🇩🇪 #Werkstolz",
     "werkfuehrung.jpg"),
    ("Mehmet Yılmaz", "avatar-mehmet.png", "de", "Stolz wie Bolle: die Azubis führen durchs "
                                                "Werk. 👩🏽‍🔧 #Werkstolz", None),
]


def posts_file(tmp_path: Path, count: int, first: dict[str, Any] | None = None) -> Path:
    """`count` demo posts (ids p00, p01, ...), the first one `first` if given, the others
    varied: umlauts, emoji, Arabic, Japanese, with and without pictures."""
    entries = [first] if first else []
    for i in range(len(entries), count):
        name, avatar, lang, text, picture = FILLERS[i % len(FILLERS)]
        entries.append({
            "id": f"p{i:02d}", "author": author(name, f"@user{i}@example.social", avatar),
            "text": f"{text} ({i})", "lang": lang,
            "media": [{"file": picture, "alt": "Bild"}] if picture else []})
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def wall(layout: str, **options: Any) -> dict[str, Any]:
    return {"slug": "main", "title": "Leadership Summit 2026", "layout": layout,
            "rotate_seconds": ROTATE_SECONDS, "pace_seconds": 0, "max_posts": 20,
            "theme": {"background": "#0b1020", "accent": "#ff6b3d"}, **options}


async def queued_ids(api: httpx.AsyncClient, count: int) -> list[str]:
    """The ids of the demo posts in the order of the posts file (oldest first)."""

    async def queued() -> list[str]:
        items = (await api.get("/api/posts", params={"limit": 100})).json()["items"]
        return [str(p["id"]) for p in items] if len(items) == count else []

    ids = await wait_for(queued, what=f"{count} demo posts to be queued")
    return sorted(ids, key=int)


async def approve(api: httpx.AsyncClient, post_id: str, **params: Any) -> None:
    response = await api.post(f"/api/posts/{post_id}/approve", params=params)
    assert response.status_code == 200, response.text


async def open_wall(browser: Browser, server: Server, width: int, height: int,
                    problems: list[str], **options: Any) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height}, **options)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{server.base_url}/wall/main")
    await page.wait_for_selector("body[data-state='live']")
    return page


async def current(page: Page) -> str | None:
    result: str | None = await page.evaluate(
        f"() => document.querySelector('{CURRENT}')?.dataset.postId ?? null")
    return result


@pytest.mark.parametrize("layout", ["spotlight", "ticker"])
async def test_one_post_at_a_time_rotating_and_bounded(tmp_path: Path, layout: str,
                                                       desk_browser: Browser) -> None:
    posts = posts_file(tmp_path, 30, first=SHOWCASE)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'wall.db'}"
    settings = make_settings(database_url, sources=[demo_source(posts)], walls=[wall(layout)])
    rotation_ms = (ROTATE_SECONDS + 5) * 1000
    async with running(settings) as server, server.client(await server.token()) as api:
        ids = await queued_ids(api, 30)
        problems: list[str] = []
        pages = list(await asyncio.gather(
            *(open_wall(desk_browser, server, w, h, problems) for w, h in SIZES)))

        async def each(check: Any, *args: Any, **kwargs: Any) -> None:
            await asyncio.gather(*(check(page, *args, **kwargs) for page in pages))

        async def wait(page: Page, script: str, arg: Any = None, timeout: float = 10_000) -> None:
            await page.wait_for_function(script, arg=arg, timeout=timeout)

        for page in pages:
            await page.evaluate(COUNT_CARDS)
            assert await page.evaluate("document.body.dataset.layout") == layout

        # The first post comes on at once, large, with its pictures and its alt texts.
        showcase = ids[0]
        await approve(api, showcase)
        await each(wait, SHOWN, showcase)
        await each(wait, SETTLED)
        for page, (width, height) in zip(pages, SIZES, strict=True):
            card = page.locator(f"#wall-grid [data-post-id='{showcase}']")
            assert "Guten Morgen aus Halle 3" in await card.inner_text()
            assert await card.locator("img[alt='Die Montagehalle 3 mit Hallenkran']").count() == 1
            assert await card.locator(".card__text").get_attribute("dir") == "auto"
            assert await card.locator(".card__text").get_attribute("lang") == "de"
            await page.screenshot(path=artifact(f"wall-layout-{layout}-{width}x{height}.png"))

        # A new post is next: it comes on when the first one has had its time.
        await approve(api, ids[1])
        await each(wait, SHOWN, ids[1], timeout=rotation_ms)
        # Retracted while on show: gone the moment the wall applies the change (data-seq moves
        # on right after it: no fade-out, no waiting for the next turn); the other post is back.
        # (The frame itself takes milliseconds; the timeout is for a loaded CI machine.)
        seqs = await asyncio.gather(*(page.evaluate("Number(document.body.dataset.seq)")
                                      for page in pages))
        assert (await api.post(f"/api/posts/{ids[1]}/retract")).status_code == 200
        await asyncio.gather(*(
            wait(page, "(seq) => Number(document.body.dataset.seq) > seq", seq, timeout=3000)
            for page, seq in zip(pages, seqs, strict=True)))
        for page in pages:
            assert await page.locator(f"[data-post-id='{ids[1]}']").count() == 0
        await each(wait, SHOWN, showcase, timeout=5000)

        # Many more posts: the rotation goes on, and the page never holds more than the card on
        # show and the one leaving.
        for post_id in ids[2:]:
            await approve(api, post_id)
        await each(wait, "() => document.querySelector('#wall-grid .rot-count')?.textContent"
                         ".endsWith('/ 20')")
        before = await asyncio.gather(*(current(page) for page in pages))
        await asyncio.gather(*(
            wait(page, f"(id) => {{ const c = document.querySelector('{CURRENT}');"
                       " return !!c && c.dataset.postId !== id; }", shown, timeout=rotation_ms)
            for page, shown in zip(pages, before, strict=True)))
        for page in pages:
            assert await current(page) in ids
            assert await page.evaluate("window.__maxCards") <= 2
            assert await page.locator("#wall-grid *").count() < 150
        assert problems == []


async def test_spotlight_order_pinned_first_then_newest_and_a_newcomer_next(
        tmp_path: Path, desk_browser: Browser) -> None:
    posts = posts_file(tmp_path, 6)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'order.db'}"
    # Quick turns: what matters here is the order.
    settings = make_settings(database_url, sources=[demo_source(posts)],
                             walls=[wall("spotlight", rotate_seconds=0.5)])
    async with running(settings) as server, server.client(await server.token()) as api:
        browser = desk_browser
        p0, p1, p2, p3, p4, p5 = await queued_ids(api, 6)
        for post_id in (p0, p2, p3, p4):
            await approve(api, post_id)
        await approve(api, p1, pin="true")
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        # Every card that comes on, in order, from the first one.
        await page.add_init_script("""(() => {
          window.__shown = [];
          new MutationObserver((records) => {
            for (const r of records) for (const n of r.addedNodes) {
              if (n.nodeType === 1 && n.matches('#wall-grid .card')) {
                window.__shown.push(n.dataset.postId);
              }
            }
          }).observe(document, { childList: true, subtree: true });
        })()""")
        await page.goto(f"{server.base_url}/wall/main")

        # Pinned first, then newest first, round and round.
        cycle = [p1, p4, p3, p2, p0]
        await page.wait_for_function("() => window.__shown.length >= 6", timeout=12_000)
        shown = await page.evaluate("window.__shown")
        assert shown[:6] == [*cycle, p1]

        # A newcomer is shown next; then the rotation goes on where it was.
        await approve(api, p5)
        await page.wait_for_function(
            "(id) => { const i = window.__shown.lastIndexOf(id);"
            " return i > 0 && window.__shown.length > i + 1; }", arg=p5, timeout=6000)
        shown = await page.evaluate("window.__shown")
        at = shown.index(p5)
        before, after = shown[at - 1], shown[at + 1]
        assert after == cycle[(cycle.index(before) + 1) % len(cycle)]


RECORD_WEBM = """async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const g = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  const start = performance.now();
  await new Promise((resolve) => {
    const draw = () => {
      const t = performance.now() - start;
      g.fillStyle = `hsl(${t / 4 % 360} 70% 45%)`;
      g.fillRect(0, 0, 320, 180);
      if (t < 600) requestAnimationFrame(draw); else resolve();
    };
    draw();
  });
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}"""


async def test_videos_play_only_on_screen_and_media_are_released(
        tmp_path: Path, desk_browser: Browser) -> None:
    entries = [
        {"id": "video", "author": author("Priya Raman", "@priya@example.social",
                                         "avatar-priya.png"),
         "text": "Zeitraffer vom Bühnenaufbau 🎬 #Summit26", "lang": "de",
         "media": [{"file": "clip.webm", "alt": "Zeitraffer"}]},
        {"id": "sensitive", "author": author("Lukas Schmidt", "@lukas@example.social"),
         "text": "Der Prüfstand beim Belastungstest #Werkstolz", "lang": "de",
         "content_warning": "Lauter Knall", "sensitive": True,
         "media": [{"file": "clip.webm", "alt": "Prüfstand"}]},
        {"id": "picture", "author": author("Sophie Müller", "@sophie@example.social"),
         "text": "Kaffeepause ☕", "lang": "de",
         "media": [{"file": "kaffee-bar.jpg", "alt": "Kaffeebar"}]},
        {"id": "text", "author": author("Jörg Brandt", "@joerg@example.social"),
         "text": "Danke an alle! #Werkstolz", "lang": "de"},
    ]
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'video.db'}"
    # rotate_seconds 0: no rotation, each new post comes on at once.
    settings = make_settings(database_url, sources=[demo_source(path)],
                             walls=[wall("spotlight", rotate_seconds=0)])
    async with running(settings) as server, server.client(await server.token()) as api:
        browser = desk_browser
        video, sensitive, picture, text = await queued_ids(api, 4)
        # The demo source only knows pictures: these two are videos with a still.
        async with server.sessions() as session:
            await session.execute(update(Media).where(Media.url.like("%/clip.webm")).values(
                kind="video", preview_url="/demo-media/buehne-keynote.jpg"))
            await session.commit()
        recorder = await browser.new_page()
        clip = base64.b64decode(await recorder.evaluate(RECORD_WEBM))
        await recorder.close()

        problems: list[str] = []
        # Reduced motion: quick fades (and that path covered too).
        page = await browser.new_page(viewport={"width": 1920, "height": 1080},
                                      reduced_motion="reduce")
        await page.route("**/demo-media/clip.webm", lambda route: route.fulfill(
            status=200, body=clip, content_type="video/webm"))
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{server.base_url}/wall/main")
        await page.wait_for_selector("body[data-state='live']")

        # On show: muted, looping, inline, playing.
        await approve(api, video)
        await page.wait_for_function(SHOWN, arg=video)
        await page.wait_for_function(
            f"() => {{ window.__video = document.querySelector('{CURRENT} video');"
            " return !!window.__video && !window.__video.paused"
            " && window.__video.currentTime > 0; }")
        attributes = await page.evaluate(
            "() => { const v = window.__video; return [v.muted, v.loop, v.playsInline,"
            " v.preload, v.getAttribute('poster'), v.getAttribute('aria-label')]; }")
        assert attributes == [True, True, True, "metadata", "/demo-media/buehne-keynote.jpg",
                              "Zeitraffer"]
        # Off screen it pauses; back on screen it plays again.
        await page.evaluate("() => { document.getElementById('wall-grid').style.translate ="
                            " '0 300vh'; }")
        await page.wait_for_function("() => window.__video.paused")
        await page.evaluate("() => { document.getElementById('wall-grid').style.translate = ''; }")
        await page.wait_for_function("() => !window.__video.paused")

        # Behind a content warning: blurred, never playing. The card that left lets go of its
        # video: no source, paused, out of the page.
        await approve(api, sensitive)
        await page.wait_for_function(SHOWN, arg=sensitive)
        await page.wait_for_function(
            "() => !window.__video.isConnected && window.__video.paused"
            " && !window.__video.hasAttribute('src')")
        await page.wait_for_function(SETTLED)
        veiled = await page.evaluate(
            f"() => {{ const c = document.querySelector('{CURRENT}');"
            " const v = c.querySelector('.card__media--sensitive video');"
            " return [!!c.querySelector('.card__media-veil'), !!v && v.paused,"
            " !!v && v.currentTime === 0]; }")
        assert veiled == [True, True, True]

        # Pictures of a card that left are let go too.
        await approve(api, picture)
        await page.wait_for_function(SHOWN, arg=picture)
        await page.wait_for_function(SETTLED)
        await page.evaluate(f"() => {{ window.__img ="
                            f" document.querySelector('{CURRENT} .card__media img'); }}")
        assert await page.evaluate("window.__img.getAttribute('src')") == \
            "/demo-media/kaffee-bar.jpg"
        await approve(api, text)
        await page.wait_for_function(SHOWN, arg=text)
        await page.wait_for_function(
            "() => !window.__img.isConnected && !window.__img.hasAttribute('src')")
        assert await page.locator("#wall-grid .card").count() <= 2
        assert problems == []


async def test_layouts_switch_live_and_leave_nothing_behind(
        tmp_path: Path, desk_browser: Browser) -> None:
    posts = posts_file(tmp_path, 3, first=SHOWCASE)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'switch.db'}"
    settings = make_settings(database_url, sources=[demo_source(posts)], walls=[wall("grid")])
    async with running(settings) as server, server.client(await server.token()) as api, \
            server.client(await server.token("org", "organizer")) as organizer:
        browser = desk_browser
        ids = await queued_ids(api, 3)
        for post_id in ids:
            await approve(api, post_id)
        problems: list[str] = []
        page = await open_wall(browser, server, 1920, 1080, problems, reduced_motion="reduce")
        await page.locator("#wall-grid .card").nth(2).wait_for()

        leftovers = ("() => [...document.querySelectorAll('#wall-grid .rot-slot, #wall-grid"
                     " .rot-progress, #wall-grid .tick-band')].length")
        for layout in ("spotlight", "ticker", "grid"):
            response = await organizer.patch("/api/walls/main", json={"layout": layout})
            assert response.status_code == 200, response.text
            await page.wait_for_function("(l) => document.body.dataset.layout === l", arg=layout)
            classes = await page.evaluate(
                "() => [...document.getElementById('wall-grid').classList].sort()")
            if layout == "grid":
                assert classes == ["wall-grid", "wall-grid--masonry"]
                await page.locator("#wall-grid .card").nth(2).wait_for()
                assert await page.evaluate(leftovers) == 0
            else:
                assert classes == ["wall-grid", f"wall-grid--{layout}"]
                # The grid's height and cards are gone; one post is on show.
                assert await page.evaluate(
                    "() => document.getElementById('wall-grid').style.height") == ""
                await page.wait_for_function(SETTLED)
                assert await page.locator("#wall-grid .card").count() == 1
                assert await current(page) in ids
        assert problems == []
