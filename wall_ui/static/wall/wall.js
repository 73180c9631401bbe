// Entry point of the wall page: reads the wall's settings from the page, and wires the
// connection to the pacer, the pacer to the post store, and the store to the layout that draws it.
//
// Exposed for tests and operators on <body>: data-state ("connecting" | "live" | "offline"),
// data-seq (last applied sequence number), data-empty ("true" | "false"), data-layout, and
// data-announcement / data-qr / data-logo ("true" | "false"); each card carries data-post-id.

import { socketUrl, WallConnection } from "./connection.js";
import { GridLayout } from "./grid.js";
import { createI18n } from "./i18n.js";
import { SpotlightLayout } from "./layouts/spotlight.js";
import { TickerLayout } from "./layouts/ticker.js";
import { Overlays } from "./overlays.js";
import { Pacer } from "./pacer.js";
import { SessionMemory } from "./persist.js";
import { Shell } from "./shell.js";
import { Spotlight } from "./spotlight.js";
import { PostStore } from "./store.js";

// Every layout renders from the same PostStore: constructor(root, ctx), render(posts, info),
// refreshTimes(), destroy(); a layout with `rotates = true` moves on by itself (no re-showing).
const LAYOUTS = { grid: GridLayout, spotlight: SpotlightLayout, ticker: TickerLayout };
const TIME_REFRESH_MS = 30_000;

function readSettings(body) {
  let settings = {};
  try {
    settings = JSON.parse(body.dataset.settings || "{}") || {};
  } catch {
    // a broken attribute: the wall frame brings the settings a moment later
  }
  return {
    wsPath: body.dataset.wsPath || `/ws/wall/${settings.slug || ""}`,
    lang: body.dataset.lang || document.documentElement.lang || "en",
    settings,
  };
}

function main() {
  const body = document.body;
  const { wsPath, lang, settings: initial } = readSettings(body);
  const i18n = createI18n(lang);
  const clock = {
    offset: 0,
    now() {
      return Date.now() + this.offset;
    },
  };
  const ctx = {
    i18n,
    clock,
    wallTags: lowerSet(initial.hashtags || []),
    settings: { rotateSeconds: 12, paceSeconds: 2, maxPosts: 30 },
  };

  const shell = new Shell(document, i18n);
  const overlays = new Overlays(document, clock);
  const stage = document.getElementById("wall-grid");
  const spotlight = new Spotlight(document, ctx);
  const store = new PostStore(initial.max_posts || 30);
  const pacer = new Pacer(store);
  let layoutName = null;
  let view = null;

  function setLayout(name) {
    const wanted = name in LAYOUTS ? name : layoutName || "grid";
    if (wanted === layoutName) return;
    if (view) view.destroy();
    layoutName = wanted;
    body.dataset.layout = wanted;
    view = new LAYOUTS[wanted](stage, ctx);
    pacer.configure({ reshows: !view.rotates });
    view.render(store.list(), { reason: "layout" });
  }

  /** The wall's settings, from the page at first, then from `wall` frames (also live changes). */
  function applySettings(wall) {
    const hashtags = Array.isArray(wall.hashtags) ? wall.hashtags : undefined;
    shell.setWall({ title: wall.title, eventName: wall.event_name, hashtags });
    if (hashtags) ctx.wallTags = lowerSet(hashtags);
    overlays.apply(wall);
    const s = ctx.settings;
    if (Number.isFinite(wall.rotate_seconds)) s.rotateSeconds = wall.rotate_seconds;
    if (Number.isFinite(wall.pace_seconds)) s.paceSeconds = wall.pace_seconds;
    if (Number.isInteger(wall.max_posts)) s.maxPosts = wall.max_posts;
    pacer.configure({ paceSeconds: s.paceSeconds, rotateSeconds: s.rotateSeconds });
    setLayout(wall.layout);
    if (view && typeof view.configure === "function") view.configure();
    store.setMaxPosts(s.maxPosts);
  }

  store.subscribe((posts, info) => {
    shell.setEmpty(posts.length === 0);
    if (view) view.render(posts, info);
  });
  applySettings(initial);

  // A reload in the same tab shows the posts it had and resumes instead of starting over.
  const memory = new SessionMemory(wsPath);
  const restored = memory.restore();
  // Posts still waiting their turn are kept too: the seq says they arrived.
  const remember = (seq) => memory.save(seq, [...pacer.queued.reverse(), ...store.entries()]);
  store.replace(restored ? restored.posts : [], { reason: "restore" });
  if (restored) body.dataset.seq = String(restored.seq);

  const connection = new WallConnection({
    url: socketUrl(wsPath),
    seq: restored ? restored.seq : null,
    handlers: {
      onWall: applySettings,
      onSnapshot(posts) {
        pacer.reset();
        store.replace(posts);
        spotlight.hide();
      },
      onChange(frame) {
        if (frame.kind === "wall") {
          if (frame.wall && frame.wall.slug === initial.slug) applySettings(frame.wall);
          return;
        }
        if (frame.kind === "announcement") {
          overlays.announce(frame.announcement);
          return;
        }
        pacer.apply(frame);
        if (frame.kind === "spotlight" && frame.post) spotlight.show(frame.post, frame.seconds);
        if (frame.kind === "retracted") spotlight.hide(frame.post_id);
      },
      onSeq(seq) {
        body.dataset.seq = String(seq);
        remember(seq);
      },
      onStatus(status) {
        shell.setStatus(status);
      },
      onServerTime(serverMs) {
        // Relative times follow the server's clock; a projector PC's clock is often off.
        clock.offset = serverMs - Date.now();
      },
    },
  });
  pacer.onRelease = () => remember(connection.seq);
  connection.start();
  setInterval(() => view.refreshTimes(), TIME_REFRESH_MS);
}

function lowerSet(hashtags) {
  return new Set(hashtags.map((h) => String(h).replace(/^#/, "").toLowerCase()));
}

main();
