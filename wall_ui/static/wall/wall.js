// Entry point of the wall page: reads the page's data-* attributes and wires the connection to
// the post store, and the store to the layout that draws it.
//
// Exposed for tests and operators on <body>: data-state ("connecting" | "live" | "offline"),
// data-seq (last applied sequence number), data-empty ("true" | "false"); each card carries
// data-post-id.

import { socketUrl, WallConnection } from "./connection.js";
import { GridLayout } from "./grid.js";
import { createI18n } from "./i18n.js";
import { SessionMemory } from "./persist.js";
import { Shell } from "./shell.js";
import { Spotlight } from "./spotlight.js";
import { PostStore } from "./store.js";

// Later layouts (spotlight, ticker) register here; they all render from the same PostStore.
const LAYOUTS = { grid: GridLayout };
const TIME_REFRESH_MS = 30_000;

function readConfig(data) {
  return {
    wsPath: data.wsPath || `/ws/wall/${data.slug || ""}`,
    lang: data.lang || document.documentElement.lang || "en",
    title: data.title || "",
    eventName: data.eventName || "",
    hashtags: (data.hashtags || "").split(/\s+/).filter(Boolean),
    layout: data.layout || "grid",
    maxPosts: Number(data.maxPosts) || 30,
  };
}

function main() {
  const body = document.body;
  const config = readConfig(body.dataset);
  const i18n = createI18n(config.lang);
  const clock = {
    offset: 0,
    now() {
      return Date.now() + this.offset;
    },
  };
  const ctx = { i18n, clock, wallTags: lowerSet(config.hashtags) };

  const shell = new Shell(document, i18n);
  shell.setWall(config);

  const stage = document.getElementById("wall-grid");
  let layoutName = config.layout in LAYOUTS ? config.layout : "grid";
  let view = new LAYOUTS[layoutName](stage, ctx);

  const spotlight = new Spotlight(document, ctx);
  const store = new PostStore(config.maxPosts);
  store.subscribe((posts, info) => {
    shell.setEmpty(posts.length === 0);
    view.render(posts, info);
  });

  // A reload in the same tab shows the posts it had and resumes instead of starting over.
  const memory = new SessionMemory(config.wsPath);
  const restored = memory.restore();
  store.replace(restored ? restored.posts : [], { reason: "restore" });
  if (restored) body.dataset.seq = String(restored.seq);

  const connection = new WallConnection({
    url: socketUrl(config.wsPath),
    seq: restored ? restored.seq : null,
    handlers: {
      onWall(wall) {
        const hashtags = Array.isArray(wall.hashtags) ? wall.hashtags : undefined;
        shell.setWall({ title: wall.title, eventName: wall.event_name, hashtags });
        if (hashtags) ctx.wallTags = lowerSet(hashtags);
        const wanted = wall.layout in LAYOUTS ? wall.layout : layoutName;
        if (wanted !== layoutName) {
          view.destroy();
          layoutName = wanted;
          view = new LAYOUTS[layoutName](stage, ctx);
          view.render(store.list(), { reason: "layout" });
        }
        if (wall.max_posts !== undefined) store.setMaxPosts(wall.max_posts);
      },
      onSnapshot(posts) {
        store.replace(posts);
        spotlight.hide();
      },
      onChange(frame) {
        store.apply(frame);
        if (frame.kind === "spotlight" && frame.post) spotlight.show(frame.post, frame.seconds);
        if (frame.kind === "retracted") spotlight.hide(frame.post_id);
      },
      onSeq(seq) {
        body.dataset.seq = String(seq);
        memory.save(seq, store.entries());
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
  connection.start();
  setInterval(() => view.refreshTimes(), TIME_REFRESH_MS);
}

function lowerSet(hashtags) {
  return new Set(hashtags.map((h) => String(h).replace(/^#/, "").toLowerCase()));
}

main();
