// The moderation desk (/moderate): the entry module that wires the pieces together.
//
//   api.js      fetch with the CSRF header, errors that tell "answered" from "no answer"
//   queue.js    the cards of the current tab (PostList), card.js renders one
//   actions.js  approve, reject, ... optimistic, with undo and 409 handling; bulk
//   gestures.js swipe right/left          keys.js  keyboard shortcuts
//   live.js     the websocket             events.js  event choice, pause/resume
//   filters.js  source, hashtag, media, search        sources.js  source health strip
//   loader.js   GET /api/posts page by page           counts.js  the waiting counter
//   walls.js    the Walls tab: each wall's layout     announce.js  the event's announcement

import { Moderation } from "./actions.js";
import { createApi } from "./api.js";
import { refreshAges } from "./card.js";
import { Counts } from "./counts.js";
import { readJson } from "./dom.js";
import { EventControl } from "./events.js";
import { Filters } from "./filters.js";
import { enableSwipe } from "./gestures.js";
import { bindKeys } from "./keys.js";
import { LiveFeed } from "./live.js";
import { Loader } from "./loader.js";
import { PostList, TABS } from "./queue.js";
import { SourceHealth } from "./sources.js";
import { say } from "./texts.js";
import { Toasts } from "./toasts.js";
import { wallsTab } from "./walls.js";

const COUNTS_EVERY_MS = 30_000;
const AGES_EVERY_MS = 30_000;

const $ = (id) => document.getElementById(id);
const body = document.body;
const me = body.dataset.user;

function signedOut() {
  window.location.assign("/login?next=/moderate");
}

const api = createApi({ csrf: document.querySelector('meta[name="csrf-token"]').content, onSignedOut: signedOut });
const toasts = new Toasts($("toasts"), { undoLabel: say("desk_undo"), closeLabel: say("desk_close") });
const list = new PostList($("queue"), { onChange: () => renderState() });

const counts = new Counts({
  api, eventSlug: () => events.slug, onChange: () => renderState(), onUnreachable: () => live.suspect(),
});

// --- loading the current tab ---------------------------------------------------------------

const loader = new Loader({
  api,
  list,
  query: () => ({ event: events.slug, ...TABS[list.tab].params, ...filters.params() }),
  applyFrame: (frame) => applyFrame(frame),
  onPage: (page, first) => {
    if (first) {
      counts.set(page.counts);
      $("status").textContent = "";
    }
    filters.learn({ posts: page.items });
  },
  onFailed: () => {
    $("status").textContent = say("desk_load_failed");
  },
  onSettled: () => {
    body.dataset.loading = String(loader.loading);
    renderState();
    loadMoreIfVisible();
  },
});

function load() {
  body.dataset.loading = "true";
  loader.load();
}

const moreObserver = new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loader.loadMore();
}, { rootMargin: "600px 0px" });
moreObserver.observe($("more"));
$("more").addEventListener("click", () => loader.loadMore());

function loadMoreIfVisible() {
  if (loader.nextCursor === null) return;
  const box = $("more").getBoundingClientRect();
  if (box.top < window.innerHeight + 600) loader.loadMore();
}

// --- live frames ---------------------------------------------------------------------------

function applyFrame(frame) {
  if (loader.hold(frame)) return;
  if (frame.type === "post.new" && frame.post) {
    list.upsert(frame.post, { fresh: true });
    counts.refreshSoon();
  } else if (frame.type === "post.updated" && frame.post) {
    const post = frame.post;
    const wasCurrent = list.currentId === post.id && body.classList.contains("keyboard");
    const dragged = list.node(post.id)?.classList.contains("dragging");
    if (list.upsert(post) === "removed") {
      if (dragged) swipe.cancel();
      if ((wasCurrent || dragged) && post.decided_by && post.decided_by !== me) {
        const status = say(post.held ? "desk_status_held" : `desk_status_${post.status}`);
        toasts.show({ message: say("desk_handled_by", { by: post.decided_by, status }), kind: "warn", ms: 6000 });
      }
    }
    counts.refreshSoon();
  } else if (frame.type === "event.updated" && frame.event) {
    events.apply(frame.event);
  }
}

const live = new LiveFeed({
  onReady: load,
  onFrame: applyFrame,
  onStatus: (state) => {
    body.dataset.live = state;
    $("live-label").textContent = say(`desk_${state === "live" ? "live" : state}`);
  },
  onSignedOut: signedOut,
  onRefused: () => {
    $("status").textContent = say("desk_refused");
  },
});

// --- the page around the list ----------------------------------------------------------------

const events = new EventControl({
  api,
  select: $("event"),
  pauseButton: $("pause"),
  banner: $("paused"),
  resumeButton: $("resume"),
  toasts,
  initial: readJson("desk-events", []),
  onSwitch: () => start(),
});

const filters = new Filters({
  search: $("q"), source: $("filter-source"), hashtag: $("filter-hashtag"), media: $("filter-media"),
  onChange: () => {
    list.filter = (post) => filters.matches(post);
    load();
  },
});
list.filter = (post) => filters.matches(post);

const sourceHealth = new SourceHealth($("sources"), {
  api,
  onSources: (sources) => filters.learn({ sources: sources.map((s) => s.name) }),
});

// The Walls tab: the announcement for everyone, each wall's layout for organizers.
const screens = wallsTab({ api, toasts, eventSlug: () => events.slug, onStrip: () => showTab("walls") });

function renderState() {
  const pending = counts.pending ?? (list.tab === "queue" && loader.nextCursor === null && !filters.active ? list.size : null);
  $("pending-count").textContent = pending === null ? "–" : String(pending);
  $("count-queue").textContent = pending === null ? "" : String(pending);
  $("count-held").textContent = counts.held ? String(counts.held) : "";
  body.dataset.waiting = pending ? "true" : "false";
  const empty = $("empty");
  empty.hidden = list.size > 0 || body.dataset.loading === "true";
  empty.textContent = filters.active ? say("desk_empty_filtered")
    : list.tab === "queue" ? say("queue_empty") : say(`desk_empty_${list.tab}`);
  $("more").hidden = loader.nextCursor === null;
  $("selected-count").textContent = say("desk_selected", { n: list.selected.size });
  for (const b of $("bulk").querySelectorAll("button[data-bulk]")) b.disabled = list.selected.size === 0;
}

// --- tabs, selection, actions --------------------------------------------------------------

function showTab(tab) {
  if (!(tab in TABS) && tab !== "walls") return;
  body.dataset.tab = tab;
  for (const b of document.querySelectorAll("[role=tab]")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === tab));
    b.tabIndex = b.dataset.tab === tab ? 0 : -1;
  }
  setSelecting(false, { render: tab === "walls" });
  window.scrollTo({ top: 0 });
  if (tab === "walls") {
    // The post list stays as it is underneath, hidden; coming back reloads it.
    screens.walls.load();
    return;
  }
  list.tab = tab;
  loader.reset();
  list.replaceAll([]);
  load();
}

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => showTab(tab.dataset.tab));
}

function setSelecting(on, { render = true } = {}) {
  const allowed = list.tab === "queue" || list.tab === "held";
  const selecting = on && allowed;
  body.dataset.selecting = String(selecting);
  $("bulk").hidden = !selecting;
  $("select-mode").setAttribute("aria-pressed", String(selecting));
  $("select-mode").querySelector(".label").textContent = say(selecting ? "desk_select_done" : "desk_select");
  if (render) list.setSelecting(selecting);
  else {
    list.selecting = selecting;
    list.selected.clear();
  }
  renderState();
}

$("select-mode").addEventListener("click", () => setSelecting(!list.selecting));
$("bulk-cancel").addEventListener("click", () => setSelecting(false));
for (const b of $("bulk").querySelectorAll("button[data-bulk]")) {
  b.addEventListener("click", async () => {
    const ids = [...list.selected];
    // The selection was for this one action: back to the normal cards while it runs.
    setSelecting(false);
    await moderation.bulk(ids, b.dataset.bulk);
  });
}

const moderation = new Moderation({ api, list, toasts, me, counts, afterwards: () => counts.refreshSoon() });

$("queue").addEventListener("click", (event) => {
  const card = event.target.closest(".card[data-post-id]");
  if (!card) return;
  const id = Number(card.dataset.postId);
  const control = event.target.closest("[data-action]");
  const action = control && control.dataset.action;
  if (action === "reveal") {
    control.classList.remove("veiled");
    control.removeAttribute("data-action");
    return;
  }
  if (action === "select" || (list.selecting && !control)) {
    list.toggleSelected(id);
    return;
  }
  if (action) {
    if (list.moving) return; // the card under the finger has just changed
    moderation.act(id, action);
    return;
  }
  list.setCurrent(id, { focus: false });
});

const swipe = enableSwipe($("queue"), {
  enabled: () => (list.tab === "queue" || list.tab === "held") && !list.selecting,
  onSwipe: (card, direction) => moderation.act(Number(card.dataset.postId), direction === "right" ? "approve" : "reject"),
});

// --- keyboard ------------------------------------------------------------------------------

const onPosts = () => body.dataset.tab !== "walls";

function onCurrent(perTab) {
  return () => {
    if (!onPosts()) return; // no acting on cards nobody can see
    const post = list.current();
    if (!post) {
      list.move(1); // nothing chosen yet: choose, do not act
      return;
    }
    const action = typeof perTab === "function" ? perTab(post) : perTab[list.tab];
    if (action) moderation.act(post.id, action);
  };
}

document.addEventListener("keydown", () => body.classList.add("keyboard"), true);
document.addEventListener("pointerdown", () => body.classList.remove("keyboard"), true);

bindKeys({
  next: () => onPosts() && list.move(1),
  previous: () => onPosts() && list.move(-1),
  approve: onCurrent({ queue: "approve", held: "approve" }),
  reject: onCurrent({ queue: "reject", held: "reject" }),
  pin: onCurrent((post) => (list.tab === "queue" && post.status === "pending" ? "approve-pin"
    : list.tab === "approved" ? (post.pinned ? "unpin" : "pin") : null)),
  spotlight: onCurrent({ approved: "spotlight" }),
  hold: onCurrent((post) => (list.tab === "queue" && post.status === "pending" ? "hold" : list.tab === "held" ? "unhold" : null)),
  undo: () => onPosts() && moderation.undoLast(),
  select: () => {
    if (!onPosts()) return;
    const post = list.current();
    if (!post) {
      list.move(1);
      return;
    }
    if (!list.selecting) setSelecting(true);
    list.toggleSelected(post.id);
    list.setCurrent(post.id);
  },
  help: () => $("help").showModal(),
  escape: () => {
    if (list.selecting) setSelecting(false);
  },
});

$("help-button").addEventListener("click", () => $("help").showModal());
$("help-close").addEventListener("click", () => $("help").close());

// --- start ---------------------------------------------------------------------------------

function start() {
  filters.forget(events.current.hashtags || []);
  counts.reset();
  loader.reset();
  body.dataset.loading = "true";
  list.replaceAll([]);
  sourceHealth.show(events.slug);
  screens.announcement.reset();
  screens.walls.show(events.slug);
  live.open(events.slug); // "ready" loads the list
}

setInterval(() => refreshAges($("queue"), list.posts), AGES_EVERY_MS);
setInterval(() => counts.refresh(), COUNTS_EVERY_MS);
events.load().then(() => filters.learn({ eventTags: events.current.hashtags || [] }));
start();
