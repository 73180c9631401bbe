// Which event the desk works on, and whether its walls are paused: the pause button, and the
// banner nobody can miss while they are.

import { ApiError, NetworkError } from "./api.js";
import { say } from "./texts.js";

const REMEMBER = "socialwall.desk.event";

export class EventControl {
  constructor({ api, select, pauseButton, banner, resumeButton, toasts, initial, onSwitch }) {
    Object.assign(this, { api, select, pauseButton, banner, resumeButton, toasts, onSwitch });
    this.events = new Map(initial.map((e) => [e.slug, { paused: false, hashtags: [], ...e }]));
    let remembered = null;
    try {
      remembered = localStorage.getItem(REMEMBER);
    } catch {
      // storage may be off; the first event it is
    }
    if (remembered && this.events.has(remembered)) select.value = remembered;
    select.addEventListener("change", () => {
      try {
        localStorage.setItem(REMEMBER, select.value);
      } catch {
        // not remembered, no harm
      }
      this.render();
      onSwitch(select.value);
    });
    pauseButton.addEventListener("click", () => this.setPaused(!this.current.paused));
    resumeButton.addEventListener("click", () => this.setPaused(false));
  }

  get slug() {
    return this.select.value;
  }

  get current() {
    return this.events.get(this.slug) || { slug: this.slug, paused: false, hashtags: [] };
  }

  /** Fetch names, hashtags and pause state (GET /api/events); the page's list is the fallback. */
  async load() {
    let list = null;
    try {
      list = await this.api.get("/api/events");
    } catch {
      // Offline: the page's events, unpaused, and the live frames later.
    }
    if (Array.isArray(list) && list.length) {
      for (const event of list) this.apply(event);
      // Only the events this moderator is assigned to.
      const allowed = new Set(list.map((e) => e.slug));
      const before = this.slug;
      for (const option of [...this.select.options]) if (!allowed.has(option.value)) option.remove();
      for (const event of list) {
        if (![...this.select.options].some((o) => o.value === event.slug)) {
          this.select.append(new Option(event.name, event.slug));
        }
      }
      if (this.slug !== before) this.onSwitch(this.slug);
    }
    this.render();
  }

  /** An event as the API or an event.updated frame describes it. */
  apply(event) {
    if (!event || !event.slug) return;
    const known = this.events.get(event.slug) || {};
    this.events.set(event.slug, { ...known, ...event, paused: Boolean(event.paused) });
    this.render();
  }

  async setPaused(paused) {
    const slug = this.slug;
    this.pauseButton.disabled = true;
    this.resumeButton.disabled = true;
    try {
      const answer = await this.api.post(`/api/events/${encodeURIComponent(slug)}/${paused ? "pause" : "resume"}`);
      // The answer is the event as it is now; if it is not, trust the request.
      this.apply(answer && typeof answer.paused === "boolean" ? { slug, ...answer } : { ...this.events.get(slug), slug, paused });
      this.toasts.show({ message: say(paused ? "desk_paused_done" : "desk_resumed_done"), kind: "done" });
    } catch (err) {
      const message = err instanceof NetworkError
        ? say("desk_network_failed", { action: say(paused ? "desk_pause" : "desk_resume") })
        : say("desk_server_failed", { status: err instanceof ApiError ? err.status : "?", detail: err.message });
      this.toasts.show({ message, kind: "error", ms: 8000 });
    } finally {
      this.pauseButton.disabled = false;
      this.resumeButton.disabled = false;
    }
  }

  render() {
    const paused = Boolean(this.current.paused);
    document.body.dataset.paused = String(paused);
    this.banner.hidden = !paused;
    this.pauseButton.setAttribute("aria-pressed", String(paused));
    this.pauseButton.querySelector(".label").textContent = say(paused ? "desk_resume" : "desk_pause");
  }
}
