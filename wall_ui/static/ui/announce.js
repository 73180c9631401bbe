// The event's announcement: a short text every wall of the event shows as a band above the
// posts (PUT/DELETE /api/events/{slug}/announcement). The box above the form always says what
// the screens show now; sending and taking off can be undone for a few seconds.

import { ApiError, failureMessage } from "./api.js";
import { lang, say } from "./texts.js";

// The API's limit (app/displays.py, Announcement.text), counted in characters as Python does.
export const MAX_CHARS = 280;
const UNDO_MS = 10_000;
// The API takes at least 5 s; an undo that would bring back less than that brings back nothing.
const MIN_SECONDS = 5;

const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });

/** What the walls will show: one line, as the band shows it. */
export function normalise(text) {
  return text.replace(/\s+/g, " ").trim();
}

function length(text) {
  return [...text].length; // code points, not UTF-16 units: an emoji is one character
}

export class AnnouncementControl {
  constructor({ api, toasts, eventSlug, els, onShown = () => {} }) {
    Object.assign(this, { api, toasts, eventSlug, els, onShown });
    this.shown = null; // {text, until, at} as the API said, or null
    this.wallNames = [];
    this.changedAt = 0; // when our last write started: older reads must not undo it
    this.expiry = null;
    els.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    els.text.addEventListener("input", () => this.check({ typing: true }));
    els.remove.addEventListener("click", () => this.remove());
    this.check({ typing: true });
    this.render();
  }

  /** A fresh read of the walls (GET /api/walls) that began at `askedAt`. */
  learn(announcement, wallNames, askedAt) {
    this.wallNames = wallNames;
    if (askedAt < this.changedAt) return; // our own change is newer than this answer
    this.shown = announcement || null;
    this.render();
  }

  /** Another event: nothing known about its announcement yet. */
  reset() {
    this.shown = null;
    this.wallNames = [];
    this.changedAt = 0;
    this.els.text.value = "";
    this.check({ typing: true });
    this.render();
  }

  /** The text's length against the limit; the error under the field when it is not sendable. */
  check({ typing = false } = {}) {
    const text = normalise(this.els.text.value);
    const n = length(text);
    const over = n - MAX_CHARS;
    this.els.count.textContent = say("desk_announce_chars", { n, max: MAX_CHARS });
    this.els.count.classList.toggle("over", over > 0);
    let error = "";
    if (over > 0) error = say("desk_announce_too_long", { n: over, max: MAX_CHARS });
    else if (!text && !typing) error = say("desk_announce_empty");
    this.showError(error);
    return error ? null : text;
  }

  showError(message) {
    this.els.error.textContent = message;
    this.els.text.setAttribute("aria-invalid", String(Boolean(message)));
  }

  async send() {
    const text = this.check();
    if (text === null) {
      this.els.text.focus();
      return;
    }
    const seconds = this.els.duration.value ? Number(this.els.duration.value) : null;
    const before = this.shown;
    if (await this.write({ text, seconds }, say("desk_announce_send"))) {
      this.els.text.value = "";
      this.els.duration.value = ""; // the next one starts from the safe default again
      this.check({ typing: true });
      this.els.text.blur(); // closes the on-screen keyboard: the box above shows the result
      this.toastWithUndo(say("desk_announce_done"), before);
    }
  }

  async remove() {
    const before = this.shown;
    if (await this.write(null, say("desk_announce_remove"))) {
      this.toastWithUndo(say("desk_announce_removed"), before);
    }
  }

  toastWithUndo(message, before) {
    this.toasts.show({
      message, kind: "done", until: Date.now() + UNDO_MS,
      undo: () => this.write(restorable(before), say("desk_undo")).then((ok) => {
        if (ok) this.toasts.show({ message: say("desk_undone"), kind: "done" });
      }),
    });
  }

  /** PUT the announcement (or DELETE it for null); true when the walls have it. */
  async write(announcement, action) {
    const path = `/api/events/${encodeURIComponent(this.eventSlug())}/announcement`;
    this.changedAt = performance.now();
    this.setBusy(true);
    try {
      const answer = announcement
        ? await this.api.put(path, announcement.seconds ? announcement : { text: announcement.text })
        : await this.api.del(path);
      this.changedAt = performance.now();
      this.shown = (answer && answer.announcement) || null;
      this.showError("");
      this.render();
      return true;
    } catch (err) {
      this.failed(err, action);
      return false;
    } finally {
      this.setBusy(false);
    }
  }

  failed(err, action) {
    if (err instanceof ApiError && err.status === 422) {
      this.showError(validationMessage(err.body));
      this.els.text.focus();
      return;
    }
    const message = failureMessage(err, {
      offline: say("desk_walls_network_failed", { action }), forbidden: say("desk_forbidden"),
    });
    this.toasts.show({ message, kind: "error", ms: 8000 });
  }

  setBusy(busy) {
    this.els.send.disabled = busy;
    this.els.remove.disabled = busy;
    this.els.box.dataset.busy = String(busy);
  }

  render() {
    const { els } = this;
    clearTimeout(this.expiry);
    let shown = this.shown;
    const until = shown && shown.until ? Date.parse(shown.until) : null;
    if (until !== null && until <= Date.now()) shown = this.shown = null;
    if (until !== null && shown) this.expiry = setTimeout(() => this.render(), until - Date.now() + 500);

    const on = Boolean(shown);
    els.now.dataset.on = String(on);
    els.nowLabel.textContent = say(on ? "desk_announce_now" : "desk_announce_none");
    els.nowText.textContent = on ? shown.text : "";
    els.nowText.hidden = !on;
    els.remove.hidden = !on;
    const meta = [];
    if (on) {
      if (shown.at) meta.push(say("desk_announce_since", { time: clock.format(Date.parse(shown.at)) }));
      meta.push(until !== null ? say("desk_announce_until", { time: clock.format(until) })
        : say("desk_announce_open_end"));
      if (this.wallNames.length) meta.push(say("desk_announce_on_walls", { walls: this.wallNames.join(", ") }));
    }
    els.nowMeta.textContent = meta.join(" · ");
    els.nowMeta.hidden = !on;
    els.send.querySelector(".label").textContent = say(on ? "desk_announce_replace" : "desk_announce_send");
    this.onShown(shown);
  }
}

/** The announcement `before` as a request that brings it back (null: take the new one off). */
function restorable(before) {
  if (!before) return null;
  if (!before.until) return { text: before.text, seconds: null };
  const left = Math.ceil((Date.parse(before.until) - Date.now()) / 1000);
  return left >= MIN_SECONDS ? { text: before.text, seconds: left } : null;
}

/** FastAPI's 422 ({detail: [{loc, type, msg, ctx}]}) in the desk's words where it can. */
function validationMessage(body) {
  const errors = Array.isArray(body && body.detail) ? body.detail : [];
  const tooLong = errors.find((e) => e.type === "string_too_long");
  if (tooLong) {
    const max = (tooLong.ctx && tooLong.ctx.max_length) || MAX_CHARS;
    const n = tooLong.input ? length(String(tooLong.input)) - max : 1;
    return say("desk_announce_too_long", { n: Math.max(1, n), max });
  }
  if (errors.some((e) => e.type === "string_too_short")) return say("desk_announce_empty");
  const detail = errors.map((e) => e.msg).filter(Boolean).join("; ") || (body && body.detail) || "422";
  return say("desk_announce_rejected", { detail });
}
