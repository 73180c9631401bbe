// The event's walls (GET /api/walls, refreshed every few seconds): for organizers each wall with
// its current layout and a switch that takes effect at once (PATCH /api/walls/{slug}); for
// everyone the announcement they show, handed to announce.js.

import { AnnouncementControl } from "./announce.js";
import { failureMessage } from "./api.js";
import { el, icon } from "./dom.js";
import { say } from "./texts.js";

const REFRESH_MS = 10_000;
const UNDO_MS = 10_000;
const LAYOUTS = [
  { name: "grid", icon: "grid" },
  { name: "spotlight", icon: "spotlight_layout" },
  { name: "ticker", icon: "ticker" },
];

const $ = (id) => document.getElementById(id);

/** The Walls tab of the desk: the announcement for everyone, the layouts for organizers (the
    template leaves that part out for moderators; the API refuses them anyway). */
export function wallsTab({ api, toasts, eventSlug, onStrip }) {
  const announcement = new AnnouncementControl({
    api,
    toasts,
    eventSlug,
    els: {
      box: $("announce"), form: $("announce-form"), text: $("announce-text"), count: $("announce-count"),
      error: $("announce-error"), duration: $("announce-duration"), send: $("announce-send"),
      remove: $("announce-remove"), now: $("announce-now"), nowLabel: $("announce-now-label"),
      nowText: $("announce-now-text"), nowMeta: $("announce-now-meta"),
    },
    onShown: (shown) => {
      // Seen from every tab: what the screens show besides the posts.
      $("announce-strip").hidden = !shown;
      $("announce-strip-text").textContent = shown ? shown.text : "";
      $("on-air").hidden = !shown;
      document.body.dataset.announcement = String(Boolean(shown));
    },
  });
  const walls = new WallsPanel({
    api,
    toasts,
    list: $("wall-list"),
    status: $("walls-status"),
    onWalls: (shown, names, askedAt) => announcement.learn(shown, names, askedAt),
  });
  $("announce-strip").addEventListener("click", onStrip);
  return { announcement, walls };
}

export class WallsPanel {
  constructor({ api, toasts, list, status, onWalls = () => {} }) {
    Object.assign(this, { api, toasts, list, status, onWalls });
    this.event = null;
    this.rows = new Map(); // wall slug -> {node, wall}
    this.changedAt = 0;
    setInterval(() => {
      if (!document.hidden) this.load();
    }, REFRESH_MS);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.load();
    });
    if (list) {
      list.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-layout]");
        const row = button && button.closest("[data-wall]");
        if (row && button.getAttribute("aria-pressed") !== "true") this.switchLayout(row.dataset.wall, button.dataset.layout);
      });
    }
  }

  show(eventSlug) {
    this.event = eventSlug;
    this.rows.clear();
    if (this.list) this.list.replaceChildren();
    this.load();
  }

  async load() {
    const event = this.event;
    if (!event) return;
    const askedAt = performance.now();
    let walls;
    try {
      walls = (await this.api.get("/api/walls")).filter((w) => w.event === event);
    } catch {
      if (this.status && !this.rows.size) this.status.textContent = say("desk_walls_load_failed");
      return; // the next round tries again
    }
    if (event !== this.event) return;
    if (this.status) this.status.textContent = "";
    // Every wall of an event shows the same announcement.
    const announcement = walls.map((w) => w.announcement).find(Boolean) || null;
    this.onWalls(announcement, walls.map((w) => w.title || w.slug), askedAt);
    if (!this.list || askedAt < this.changedAt) return;
    this.render(walls);
  }

  /** The rows, changed in place: a tap in progress keeps its button. */
  render(walls) {
    this.list.querySelector(".wall-none")?.remove();
    const seen = new Set();
    walls.forEach((wall, index) => {
      seen.add(wall.slug);
      let row = this.rows.get(wall.slug);
      if (!row) {
        row = { node: this.renderRow(wall), wall };
        this.rows.set(wall.slug, row);
      }
      row.wall = wall;
      // In the API's order; a row already in place is not moved (that would take its focus).
      const here = this.list.children[index];
      if (here !== row.node) this.list.insertBefore(row.node, here || null);
      this.update(row);
    });
    for (const [slug, row] of this.rows) {
      if (!seen.has(slug)) {
        row.node.remove();
        this.rows.delete(slug);
      }
    }
    if (!walls.length) this.list.replaceChildren(el("li", "wall-none", say("desk_walls_none")));
  }

  renderRow(wall) {
    const node = el("li", "wall-row");
    node.dataset.wall = wall.slug;
    const name = el("div", "wall-name");
    name.append(el("strong", "wall-title"), el("span", "wall-slug", `/wall/${wall.slug}`));
    const group = el("div", "layout-switch");
    group.setAttribute("role", "group");
    for (const layout of LAYOUTS) {
      const button = el("button", "layout-option");
      button.type = "button";
      button.dataset.layout = layout.name;
      const words = el("span", "layout-words");
      words.append(el("span", "label", say(`desk_layout_${layout.name}`)),
        el("span", "layout-hint", say(`desk_layout_${layout.name}_hint`)));
      button.append(icon(layout.icon), words);
      group.append(button);
    }
    const open = el("a", "open-wall");
    open.href = `/wall/${encodeURIComponent(wall.slug)}`;
    open.target = "_blank";
    open.rel = "noopener";
    open.append(icon("open"), el("span", "label", say("open_wall")));
    node.append(name, group, open);
    return node;
  }

  update(row) {
    const { node, wall } = row;
    const title = wall.title || wall.slug;
    node.querySelector(".wall-title").textContent = title;
    node.dataset.layout = wall.layout;
    node.querySelector(".layout-switch").setAttribute("aria-label", say("desk_walls_layout_of", { wall: title }));
    node.querySelector(".open-wall").setAttribute("aria-label", `${say("open_wall")}: ${title}`);
    for (const button of node.querySelectorAll("button[data-layout]")) {
      button.setAttribute("aria-pressed", String(button.dataset.layout === wall.layout));
    }
  }

  async switchLayout(slug, layout, { undoable = true } = {}) {
    const row = this.rows.get(slug);
    if (!row || row.node.dataset.busy === "true") return;
    const before = row.wall.layout;
    const title = row.wall.title || slug;
    this.changedAt = performance.now();
    // Shown at once; put back if the server does not take it.
    row.wall = { ...row.wall, layout };
    this.update(row);
    this.setBusy(row, true);
    try {
      const answer = await this.api.patch(`/api/walls/${encodeURIComponent(slug)}`, { layout });
      this.changedAt = performance.now();
      row.wall = { ...row.wall, ...(answer || {}) };
      this.update(row);
      const message = say("desk_layout_done", { wall: title, layout: say(`desk_layout_${row.wall.layout}`) });
      this.toasts.show(undoable ? {
        message, kind: "done", until: Date.now() + UNDO_MS,
        undo: () => this.switchLayout(slug, before, { undoable: false }),
      } : { message, kind: "done" });
    } catch (err) {
      row.wall = { ...row.wall, layout: before };
      this.update(row);
      const message = failureMessage(err, {
        offline: say("desk_walls_network_failed", { action: say("desk_layout_switch") }),
        forbidden: say("desk_walls_forbidden"),
      });
      this.toasts.show({ message, kind: "error", ms: 8000 });
    } finally {
      this.setBusy(row, false);
    }
  }

  setBusy(row, busy) {
    row.node.dataset.busy = String(busy);
    for (const button of row.node.querySelectorAll("button")) button.disabled = busy;
  }
}
